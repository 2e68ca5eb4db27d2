"""structure: answers read off a plan's own structure rather than retrieved passages.

- outline: “发展现状写了哪几个方面”, “第四章下面有哪些工程” — the question names a heading of
  the plan (matched by its characters, any heading at any depth, or 第N章); the answer lists
  that heading's sub-headings in order (or its paragraphs' opening sentences), each cited.
- document facts: 文号, 印发单位, 日期, 规划期, 附件, 标题, 主送单位 — quoted from the front
  matter (letterhead, notice, cover) before the plan's first heading.

What counts as asking for an outline or a document fact is data: `corpus/ask_cues.toml`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .answer import plan_label
from .errors import CorpusError
from .frontmatter import DATE, NUMBER
from .segment import bigrams
from .text import collapse, squash
from .types import SECTION_SEPARATOR, Answer, Block, Document, ParsedDocument, Query, Source

OUTLINE_ITEMS = 20
MATCH_MIN = 0.6  # share of a heading's character pairs the question must hold
MIN_SHARED = 2
BARE_LIST = 0.8  # “主要任务有哪些”: the question, less list words, is nearly the heading itself
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}\s*[.．、]|专栏\s*\d+|表\s*\d+)\s*")
_CHAPTER = re.compile(r"第\s*([一二三四五六七八九十]+|\d{1,2})\s*(?:章|部分|大部分|篇)")
_YEAR_RANGE = re.compile(r"(?:19|20)\d{2}\s*[-—–~～至到]\s*(?:19|20)?\d{2,4}\s*年?")
FIELD_NAMES = {"number": "发文字号", "issuer": "印发单位", "date": "印发日期", "period": "规划期",
               "annex": "附件", "title": "标题", "recipients": "主送单位"}


@dataclass(frozen=True)
class AskCues:
    outline: tuple[str, ...]
    list_words: tuple[str, ...]
    doc_fields: dict  # field -> cue words

    @classmethod
    def load(cls, path: Path) -> AskCues:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            return cls(outline=tuple(data["outline"]["cues"]), list_words=tuple(data["outline"]["list_words"]),
                       doc_fields={k: tuple(v) for k, v in data["doc_fact"].items()})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
            raise CorpusError(f"问法提示词文件 {path.name} 无法读取或格式错误（{exc}），请对照文件开头的说明修改。") from exc

    def doc_field(self, question: str) -> str:
        q = squash(question)
        return next((field for field, cues in self.doc_fields.items() if any(c in q for c in cues)), "")


# ---- document facts ---------------------------------------------------------------------

def answer_doc_fact(query: Query, field: str, parsed: dict[str, ParsedDocument]) -> Answer:
    """The front-matter line that states the asked field, for every plan in scope."""
    sources: list[Source] = []
    lines = []
    for p in parsed.values():
        doc = p.document
        span = _field_span(p, field)
        label = f"《{plan_label(doc, 2)[1:-1]}》" if len(parsed) > 1 else "规划"
        if span is None:
            lines.append(f"· {label}正文前未写明{FIELD_NAMES[field]}。")
            continue
        source = _span(doc, span, f"文件的{FIELD_NAMES[field]}")
        sources.append(source)
        lines.append(f"· {label}的{FIELD_NAMES[field]}：{source.quote}[{len(sources)}]")
    if not sources:
        return Answer(question=query.text, text=f"规划中未找到{FIELD_NAMES[field]}。", found=False, intent="doc_fact")
    return Answer(question=query.text, text="\n".join(["规划原文如下：", *lines]), found=True,
                  sources=tuple(sources), intent="doc_fact")


def _field_span(p: ParsedDocument, field: str) -> tuple[int, int] | None:
    doc = p.document
    front_end = next((b.start for b in p.blocks if b.kind == "heading"), len(doc.text))
    lines = _lines(doc.text, 0, front_end)
    flat_title = squash(doc.meta.title)[:8]
    tests = {
        "number": lambda line: bool(NUMBER.search(line)),
        "issuer": lambda line: bool(doc.meta.issuer) and squash(doc.meta.issuer) in squash(line) and "。" not in line,
        "date": lambda line: bool(DATE.search(line)) and len(squash(line)) <= 20,
        "period": lambda line: bool(_YEAR_RANGE.search(line)),
        "annex": lambda line: squash(line).startswith("附件"),
        "title": lambda line: bool(flat_title) and flat_title in squash(line) and "。" not in line,
        "recipients": lambda line: line.rstrip().endswith(("：", ":")) and ("，" in line or "各" in line),
    }
    found = [span for span in lines if tests[field](doc.text[span[0]:span[1]])]
    if field == "period" and not found:  # the period stands in the title of a plan without front matter
        found = [span for span in _lines(doc.text, 0, len(doc.text))[:3] if _YEAR_RANGE.search(doc.text[span[0]:span[1]])]
    if not found:
        return None
    return found[-1] if field == "date" else found[0]


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    for raw in text[start:end].splitlines(keepends=True):
        body = raw.strip()
        if body:
            lead = len(raw) - len(raw.lstrip())
            spans.append((pos + lead, pos + lead + len(body)))
        pos += len(raw)
    return spans


# ---- outlines ---------------------------------------------------------------------------

def outline_subject(question: str, parsed: dict[str, ParsedDocument], cues: AskCues) -> tuple[str, Block] | None:
    """(doc_id, heading) when the question asks what a heading of the plan contains."""
    q = squash(question)
    asks_outline = any(c in q for c in cues.outline)
    asks_list = any(w in q for w in cues.list_words)
    if not (asks_outline or asks_list):
        return None
    if m := _CHAPTER.search(q):
        return _chapter(m.group(1), parsed)
    rest = q
    for cue in sorted(cues.outline + cues.list_words, key=len, reverse=True):
        rest = rest.replace(cue, "")
    asked = set(bigrams(rest))
    best, best_score = None, 0.0
    for doc_id, p in parsed.items():
        for block in p.headings():
            title = set(bigrams(_title(block)))
            shared = len(title & asked)
            if not title or shared < min(MIN_SHARED, len(title)):
                continue
            score = shared / len(title)
            if score > best_score or (score == best_score and best and len(block.section_path) < len(best[1].section_path)):
                best, best_score = (doc_id, block), score
    if best is None or best_score < MATCH_MIN:
        return None
    if not asks_outline and len(set(bigrams(_title(best[1]))) & asked) / max(1, len(asked)) < BARE_LIST:
        return None  # “X有哪些Y”: a list question about X, not X's outline
    return best


def _title(block: Block) -> str:
    return _NUMBERING.sub("", block.section_path[-1])


def _chapter(ordinal: str, parsed: dict[str, ParsedDocument]) -> tuple[str, Block] | None:
    if ordinal.isdigit():
        import cn2an

        ordinal = cn2an.an2cn(ordinal)
    for doc_id, p in parsed.items():
        for block in p.headings():
            if len(block.section_path) == 1 and block.section_path[0].startswith(f"{ordinal}、"):
                return doc_id, block
    return None


def answer_outline(query: Query, doc_id: str, heading: Block, parsed: dict[str, ParsedDocument],
                   plans_indexed: int) -> Answer:
    """A heading's sub-headings in order, each quoted; a heading without any lists the
    opening sentence of each of its paragraphs."""
    p = parsed[doc_id]
    doc = p.document
    depth = len(heading.section_path)
    children = [b for b in p.headings()
                if len(b.section_path) == depth + 1 and b.section_path[:depth] == heading.section_path]
    items = [((b.start, b.end), b.section_path) for b in children] or [
        (_first_sentence(doc.text, b), b.section_path) for b in p.blocks
        if b.kind in ("paragraph", "table_row") and b.section_path[:depth] == heading.section_path]
    sources = [_span(doc, (heading.start, heading.end), "问题所指的章节标题", heading.section_path)]
    label = plan_label(doc, plans_indexed)
    lines = [f"“{sources[0].quote}”[1]{label}下列有：" if children else f"“{sources[0].quote}”[1]{label}各段要点："]
    for span, section in items[:OUTLINE_ITEMS]:
        sources.append(_span(doc, span, "该章节下的条目", section))
        lines.append(f"· {sources[-1].quote}[{len(sources)}]")
    if len(items) > OUTLINE_ITEMS:
        lines.append("  （还有更多条目，可在原文中查看。）")
    if len(sources) == 1:
        return Answer(question=query.text, text="规划中未找到该章节下的内容。", found=False, intent="outline")
    return Answer(question=query.text, text="\n".join(lines), found=True, sources=tuple(sources), intent="outline")


def _first_sentence(text: str, block: Block) -> tuple[int, int]:
    from .text import sentence_spans

    spans = sentence_spans(text, block.start, block.end)
    return spans[0] if spans else (block.start, block.end)


def _span(doc: Document, span: tuple[int, int], why: str, section: tuple[str, ...] = ()) -> Source:
    start, end = span
    return Source(doc=doc.doc_id, title=doc.meta.title, section=SECTION_SEPARATOR.join(section) or "正文前",
                  quote=collapse(doc.text[start:end]), score=1.0, start=start, end=end, why=why)
