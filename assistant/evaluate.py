"""evaluate: an eval set (JSONL or CSV) -> per-question results and metrics, through the
same facade as every other caller."""

from __future__ import annotations

import csv
import io
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import AssistantError, EvalSetError
from .text import contains_fact, find_spans, is_verbatim, unsupported_numbers
from .types import Answer, EvalItem, EvalResult

TYPES = ("fact", "list", "section", "table", "doc_fact", "compare", "department", "out_of_scope", "trap")
ABSTENTION_TYPES = ("out_of_scope", "trap")
STRUCTURAL_INTENTS = ("sector_targets", "section", "sector_tasks")
LIST_SEPARATOR = "|"  # inside CSV cells holding several key facts or evidence spans


def load_eval_set(path: Path, max_items: int | None = None, max_bytes: int | None = None) -> list[EvalItem]:
    """The items of a JSONL or CSV eval set. EvalSetError names the file, the line and the
    reason: malformed, not UTF-8, over `max_bytes` or over `max_items` (the limits come from
    Settings.max_eval_bytes / max_eval_items; None means no limit)."""
    path = Path(path)
    try:
        if not path.is_file():
            raise EvalSetError(f"评测集 {path} 是文件夹或其他非普通文件，请给出 .jsonl 或 .csv 文件。" if path.exists()
                               else f"找不到评测集文件 {path}。")
    except OSError as exc:  # a name too long for the file system, a folder without permission
        raise EvalSetError(f"无法打开评测集 {path.name[:80]}（{exc.strerror}）。") from None
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".jsonl", ".json"}:
        raise EvalSetError(f"评测集 {path.name} 的格式不支持：请使用 .jsonl 或 .csv。")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise EvalSetError(f"评测集 {path.name} 有 {size / 1e6:.1f} MB，超过上限 {max_bytes / 1e6:g} MB"
                           "（配置项 max_eval_bytes）。请拆成几个较小的评测集分别运行。")
    text = _decode(path)
    rows = _csv_rows(path.name, text) if suffix == ".csv" else _jsonl_rows(path.name, text)
    if max_items is not None and len(rows) > max_items:
        raise EvalSetError(f"评测集 {path.name} 有 {len(rows)} 题，超过上限 {max_items} 题"
                           "（配置项 max_eval_items）。请拆成几个较小的评测集分别运行。")
    items = [_item(path.name, line, row) for line, row in rows]
    if not items:
        raise EvalSetError(f"评测集 {path.name} 中没有题目。")
    seen: dict[str, int] = {}
    for (line, _), item in zip(rows, items, strict=False):
        if item.id in seen:
            raise EvalSetError(f"评测集 {path.name} 第 {line} 行：id “{item.id}” 与第 {seen[item.id]} 行重复。")
        seen[item.id] = line
    return items


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise EvalSetError(f"评测集 {path.name} 第 {line} 行不是 UTF-8 编码（可能是 GBK 等编码）。"
                           "评测集须为 UTF-8（可带 BOM）：请在编辑器或表格软件中另存为“UTF-8”后重试。") from exc


def _jsonl_rows(name: str, text: str) -> list[tuple[int, dict]]:
    rows = []
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"评测集 {name} 第 {line_no} 行不是合法的 JSON（第 {exc.colno} 列）。") from exc
        if not isinstance(row, dict):
            raise EvalSetError(f"评测集 {name} 第 {line_no} 行应为一个 JSON 对象。")
        rows.append((line_no, row))
    return rows


def _csv_rows(name: str, text: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
            for key in ("key_facts", "evidence"):
                cell = (row.get(key) or "").strip()
                row[key] = [p.strip() for p in cell.split(LIST_SEPARATOR) if p.strip()]
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise EvalSetError(f"评测集 {name} 第 {reader.line_num} 行不是合法的 CSV（引号未配对？）。") from exc
    return rows


def _item(name: str, line: int, row: dict) -> EvalItem:
    def fail(reason: str):
        raise EvalSetError(f"评测集 {name} 第 {line} 行：{reason}")

    for key in ("id", "question", "type"):
        if not str(row.get(key) or "").strip():
            fail(f"缺少字段 {key}。")
    kind = str(row["type"]).strip()
    if kind not in TYPES:
        fail(f"type “{kind}” 无效，应为 {', '.join(TYPES)} 之一。")
    answerable = _boolean(row.get("answerable", kind != "out_of_scope"), fail)
    key_facts, evidence = row.get("key_facts") or [], row.get("evidence") or []
    for key, value in (("key_facts", key_facts), ("evidence", evidence)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            fail(f"{key} 应为字符串列表。")
    if answerable and not key_facts:
        fail("可回答的题目至少需要一个 key_facts。")
    if not answerable and (key_facts or evidence):
        fail("不可回答（answerable=false）的题目不应有 key_facts 或 evidence。")
    plans = row.get("plans") or []
    if not isinstance(plans, list) or not all(isinstance(v, str) for v in plans):
        fail("plans 应为规划编号（文件名去掉扩展名）的列表。")
    return EvalItem(id=str(row["id"]).strip(), question=str(row["question"]).strip(), type=kind,
                    answerable=answerable, key_facts=tuple(key_facts), evidence=tuple(evidence),
                    section=str(row.get("section") or ""), paraphrase_of=str(row.get("paraphrase_of") or ""),
                    plans=tuple(plans))


def _boolean(value, fail) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "是"}:
        return True
    if text in {"false", "0", "no", "否"}:
        return False
    return fail(f"answerable “{value}” 无效，应为 true 或 false。")


def run_eval(assistant, items: list[EvalItem], progress: Callable[[int, int], None] | None = None,
             docs: list[str] | None = None) -> list[EvalResult]:
    results = []
    for i, result in enumerate(iter_eval(assistant, items, docs), start=1):
        results.append(result)
        if progress:
            progress(i, len(items))
    return results


def iter_eval(assistant, items: list[EvalItem], docs: list[str] | None = None) -> Iterator[EvalResult]:
    """One result per item, as each is judged: a caller that stops iterating (a cancelled
    run in the app) stops the run. An item whose question cannot be asked is judged as an
    error answer; no item ends the run."""
    documents = assistant.documents
    for item in items:
        began = time.perf_counter()
        try:
            answer = assistant.ask(item.question, docs=docs)
        except AssistantError as exc:
            answer = Answer(question=item.question, text=str(exc), found=False, intent="error", error=str(exc))
        latency = (time.perf_counter() - began) * 1000
        yield _judge(item, answer, latency, documents)


def _judge(item: EvalItem, answer: Answer, latency: float, documents) -> EvalResult:
    facts_found = tuple(f for f in item.key_facts if contains_fact(answer.text, f))
    quotes = [s.quote for s in answer.sources]
    spans = _gold_spans(item, documents)
    cited = [(i, s.doc, s.start, s.end) for i, s in enumerate(answer.sources, start=1)]
    return EvalResult(
        item=item, answer=answer, latency_ms=latency,
        gold_rank=_gold_rank(item, answer, spans),
        source_right=_first_gold(cited, spans) is not None if item.answerable and item.evidence else None,
        facts_found=facts_found,
        facts_missing=tuple(f for f in item.key_facts if f not in facts_found),
        citations_valid=all(s.doc in documents and is_verbatim(s.quote, documents[s.doc].text)
                            for s in answer.sources),
        numbers_faithful=not unsupported_numbers(answer.text, quotes))


def _gold_spans(item: EvalItem, documents) -> list[tuple[str, int, int]]:
    """Every place a gold span stands (a sentence printed twice is gold in both), in the
    item's own plans when it names them: the same sentence in another plan is not its source."""
    spans = []
    for quote in item.evidence:
        for doc_id, doc in documents.items():
            if not item.plans or doc_id in item.plans:
                spans += [(doc_id, *span) for span in find_spans(doc.text, quote)]
    return spans


def _gold_rank(item: EvalItem, answer: Answer, spans: list[tuple[str, int, int]]) -> int | None:
    """Rank of the first retrieved chunk that holds at least half of a gold evidence span,
    or is itself at least half gold (a span may run over several table rows or chunks)."""
    # Answers from the targets registry or from a named 专栏/表 are found by structure, not
    # by search: their ranked passages are their sources, in order.
    if answer.intent in STRUCTURAL_INTENTS or not answer.hits:
        ranked = [(i, s.doc, s.start, s.end) for i, s in enumerate(answer.sources, start=1)]
    else:
        ranked = [(h.rank, h.chunk.doc_id, h.chunk.start, h.chunk.end) for h in answer.hits]
    return _first_gold(ranked, spans)


def _first_gold(ranked: list[tuple[int, str, int, int]], spans: list[tuple[str, int, int]]) -> int | None:
    for rank, doc, c_start, c_end in ranked:
        for doc_id, start, end in spans:
            overlap = min(end, c_end) - max(start, c_start)
            if doc_id == doc and overlap >= 0.5 * min(end - start, c_end - c_start):
                return rank
    return None


def llm_outcomes(results: list[EvalResult]) -> dict:
    """How LLM mode fared: answers shown as the model wrote them, shown with sentences
    dropped, and replaced by the extractive answer, with the reasons counted. Answers that
    never went to the model (extractive mode, lists kept complete, no evidence) are not
    counted; in extractive mode everything is zero."""
    shown = [r for r in results if r.answer.mode == "llm" and r.answer.found]
    trimmed = [r for r in shown if r.answer.dropped]
    fell_back = [r for r in results if r.answer.fallback_reason]
    asked = len(shown) + len(fell_back)
    return {
        "asked": asked,
        "llm": len(shown) - len(trimmed),
        "trimmed": len(trimmed),
        "fallback": len(fell_back),
        "fallback_rate": round(len(fell_back) / asked, 4) if asked else None,
        "fallback_reasons": dict(Counter(r.answer.fallback_reason for r in fell_back).most_common()),
        "dropped_reasons": dict(Counter(d for r in trimmed for d in r.answer.dropped).most_common()),
    }


def metrics(results: list[EvalResult]) -> dict:
    """Overall and per-type metrics; each is None where no question measures it."""
    out = {"overall": _metrics(results)}
    for kind in TYPES:
        subset = [r for r in results if r.item.type == kind]
        if subset:
            out[kind] = _metrics(subset)
    return out


def _metrics(results: list[EvalResult]) -> dict:
    retrieval = [r for r in results if r.item.answerable and r.item.evidence]
    answerable = [r for r in results if r.item.answerable]
    abstention = [r for r in results if r.item.type in ABSTENTION_TYPES]
    latencies = sorted(r.latency_ms for r in results)

    def share(rows, test):
        return round(sum(1 for r in rows if test(r)) / len(rows), 4) if rows else None

    facts_total = sum(len(r.item.key_facts) for r in answerable)
    return {
        "questions": len(results),
        "hit@1": share(retrieval, lambda r: r.gold_rank is not None and r.gold_rank <= 1),
        "hit@3": share(retrieval, lambda r: r.gold_rank is not None and r.gold_rank <= 3),
        "hit@5": share(retrieval, lambda r: r.gold_rank is not None and r.gold_rank <= 5),
        "mrr": round(sum(1 / r.gold_rank for r in retrieval if r.gold_rank) / len(retrieval), 4)
        if retrieval else None,
        "key_fact_recall": round(sum(len(r.facts_found) for r in answerable) / facts_total, 4)
        if facts_total else None,
        "right_source": share(retrieval, lambda r: r.source_right),
        "answered": share(answerable, lambda r: r.answer.found),
        "answerable_not_found": share(answerable, lambda r: r.answer.answer_state == "not_found"),
        "state_answered": share(results, lambda r: r.answer.answer_state == "answered"),
        "state_related": share(results, lambda r: r.answer.answer_state == "related"),
        "state_not_found": share(results, lambda r: r.answer.answer_state == "not_found"),
        "abstention_accuracy": share(abstention, lambda r: r.abstained_correctly),
        "confident_wrong": share(results, lambda r: r.confident_wrong),
        "citation_validity": share(results, lambda r: r.citations_valid),
        "number_faithfulness": share(results, lambda r: r.numbers_faithful),
        "passed": share(results, lambda r: r.passed),
        "latency_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "latency_p95_ms": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1)
        if latencies else None,
    }


def paraphrase_agreement(originals: list[EvalResult], rewordings: list[EvalResult]) -> dict:
    """Per original question: do its rewordings get the same answer (same found, same key
    facts found)? The share of questions whose every rewording agrees, and the disagreements."""
    by_id = {r.item.id: r for r in originals}
    groups: dict[str, list[EvalResult]] = {}
    for r in rewordings:
        if r.item.paraphrase_of in by_id:
            groups.setdefault(r.item.paraphrase_of, []).append(r)
    disagree = [qid for qid, group in groups.items()
                if any(r.answer.found != by_id[qid].answer.found
                       or set(r.facts_found) != set(by_id[qid].facts_found) for r in group)]
    return {"questions": len(groups),
            "agreement": round(1 - len(disagree) / len(groups), 4) if groups else None,
            "disagreeing": disagree}
