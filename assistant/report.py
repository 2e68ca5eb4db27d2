"""Eval reports: JSON (for comparing runs), Markdown, and a self-contained HTML page with a
chart of the metrics by question type and every failed question."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import time
from pathlib import Path

from .types import EvalResult

CHART_METRICS = ("hit@5", "mrr", "key_fact_recall", "abstention_accuracy", "passed")
TABLE_METRICS = ("questions", "hit@1", "hit@3", "hit@5", "mrr", "key_fact_recall", "right_source", "answered",
                 "answerable_not_found", "abstention_accuracy", "confident_wrong", "citation_validity", "number_faithfulness",
                 "passed", "state_answered", "state_related", "state_not_found", "latency_p50_ms", "latency_p95_ms")
SPLIT_METRICS = ("questions", "key_fact_recall", "right_source", "hit@5", "abstention_accuracy", "answerable_not_found",
                 "confident_wrong", "passed")

# What a reader of a report (the 评测 tab, report.md, report.html) sees for the JSON report's keys
TYPE_NAMES = {"overall": "总体", "fact": "事实", "list": "列举", "section": "章节", "compare": "比较",
              "department": "部门", "out_of_scope": "范围外", "trap": "陷阱", "table": "表格", "doc_fact": "文档信息"}
METRIC_NAMES = {"questions": "题数", "hit@1": "首位命中", "hit@3": "前3命中", "hit@5": "前5命中",
                "mrr": "平均倒数排名",
                "key_fact_recall": "要点召回", "right_source": "出处正确", "answered": "作答率",
                "answerable_not_found": "应答却未找到", "abstention_accuracy": "拒答准确率", "confident_wrong": "高置信错答",
                "state_answered": "状态：已作答", "state_related": "状态：可能相关", "state_not_found": "状态：未找到",
                "citation_validity": "引用有效", "number_faithfulness": "数字有据", "passed": "通过率",
                "latency_p50_ms": "延迟中位数（毫秒）",
                "latency_p95_ms": "延迟95分位（毫秒）"}
MODE_NAMES = {"extractive": "原文摘录", "llm": "大模型"}


REASONS = {"number": "数字与原文不符", "unsupported": "原文中找不到依据", "uncited": "未标注出处",
           "bad_marker": "引用了未提供的出处", "no_marker": "没有标注出处", "empty": "没有回答",
           "timeout": "超时", "connection": "无法连接", "status": "服务返回错误", "service": "服务出错",
           "malformed": "返回内容无法识别"}


def report_data(results: list[EvalResult], metrics: dict, eval_set: str, mode: str) -> dict:
    from .evaluate import llm_outcomes

    return {
        "eval_set": eval_set, "mode": mode, "run_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "metrics": metrics,
        "llm": llm_outcomes(results),
        "items": [{
            "id": r.item.id, "type": r.item.type, "question": r.item.question,
            "answerable": r.item.answerable, "found": r.answer.found, "passed": r.passed,
            "state": r.answer.answer_state, "confidence": r.answer.confidence, "plans": list(r.item.plans),
            "source_right": r.source_right, "confident_wrong": r.confident_wrong,
            "gold_rank": r.gold_rank, "key_facts": list(r.item.key_facts),
            "facts_missing": list(r.facts_missing), "citations_valid": r.citations_valid,
            "numbers_faithful": r.numbers_faithful, "latency_ms": round(r.latency_ms, 1),
            "answer": r.answer.text, "mode": r.answer.mode,
            "fallback_reason": r.answer.fallback_reason, "dropped": list(r.answer.dropped), "note": r.answer.note,
            "sources": [s.to_json() for s in r.answer.sources],
        } for r in results],
    }


def metrics_table(metrics: dict) -> str:
    """Markdown table: one row per question type, overall first."""
    head = "| 类型 | " + " | ".join(_metric(m) for m in TABLE_METRICS) + " |"
    rule = "|" + "---|" * (len(TABLE_METRICS) + 1)
    rows = [f"| {_kind(kind)} | " + " | ".join(_fmt(values.get(m)) for m in TABLE_METRICS) + " |"
            for kind, values in metrics.items()]
    return "\n".join([head, rule, *rows])


def splits_table(splits: dict[str, dict]) -> str:
    """dev, test and paraphrase side by side: one row per type, a column group per split."""
    names = list(splits)
    kinds = list(dict.fromkeys(k for m in splits.values() for k in m))
    head = "| 类型 | " + " | ".join(f"{_metric(m)}（{n}）" for m in SPLIT_METRICS for n in names) + " |"
    rule = "|" + "---|" * (len(SPLIT_METRICS) * len(names) + 1)
    rows = [f"| {_kind(kind)} | " + " | ".join(_fmt(splits[n].get(kind, {}).get(m)) for m in SPLIT_METRICS for n in names)
            + " |" for kind in kinds]
    return "\n".join([head, rule, *rows])


PLAN_METRICS = ("questions", "key_fact_recall", "right_source", "abstention_accuracy", "answerable_not_found",
                "confident_wrong", "passed")


def plans_table(plans: dict[str, dict]) -> str:
    """One row per plan: the figures that say whether the assistant serves that plan."""
    head = "| 规划 | " + " | ".join(_metric(m) for m in PLAN_METRICS) + " |"
    rule = "|" + "---|" * (len(PLAN_METRICS) + 1)
    rows = [f"| {plan} | " + " | ".join(_fmt(values.get(m)) for m in PLAN_METRICS) + " |"
            for plan, values in plans.items()]
    return "\n".join([head, rule, *rows])


def llm_summary(llm: dict | None) -> str:
    """One line on LLM mode: how many answers the model gave, trimmed, or fell back, and why
    (empty when no question went to a model)."""
    if not llm or not llm.get("asked"):
        return ""
    line = (f"LLM 回答：共 {llm['asked']} 题交给模型；采用 {llm['llm']}，删句后采用 {llm['trimmed']}，"
            f"回退为原文摘录 {llm['fallback']}")
    if llm["fallback"]:
        line += f"（{_reasons(llm['fallback_reasons'])}）"
    if llm["trimmed"]:
        line += f"；删去的句子：{_reasons(llm['dropped_reasons'])}"
    return line + "。"


def _metric(name: str) -> str:
    return METRIC_NAMES.get(name, name)


def _kind(kind: str) -> str:
    return TYPE_NAMES.get(kind, kind)


def mode_name(mode: str) -> str:
    """原文摘录, or 大模型（…） for "llm（…）": the answer mode as a report shows it."""
    head, paren, rest = mode.partition("（")
    return MODE_NAMES.get(head, head) + paren + rest


def _reasons(counts: dict) -> str:
    return "、".join(f"{REASONS.get(k, k)} {n}" for k, n in counts.items())


def _fmt(value) -> str:
    return "—" if value is None else (f"{value:.3f}" if isinstance(value, float) and value <= 1 else str(value))


CJK_FONT_HINTS = ("Noto Sans CJK SC", "Noto Sans CJK", "Noto Serif CJK", "Source Han", "WenQuanYi", "SimHei", "Microsoft YaHei",
                  "PingFang", "Droid Sans Fallback", "AR PL")


def cjk_font() -> str | None:
    """A font installed on this system that draws Chinese (matplotlib's own fonts do not)."""
    from matplotlib import font_manager

    def find():
        names = sorted({f.name for f in font_manager.fontManager.ttflist})
        return next((n for hint in CJK_FONT_HINTS for n in names if hint.lower() in n.lower()), None)

    found = find()
    if found is None:  # installed after matplotlib cached its font list: look on disk once
        for path in font_manager.findSystemFonts():
            if re.search(r"cjk|wqy|wenquanyi|simhei|yahei|droidsansfallback|sourcehan", Path(path).name, re.I):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = find()
    return found


def chart_png(metrics: dict, metric_names: dict | None = None, kind_names: dict | None = None) -> bytes:
    """Bars per question type; labels in Chinese when a CJK font is installed (see cjk_font)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    font = cjk_font()
    metric_names = metric_names or {}
    kind_names = kind_names or {}
    label = (lambda table, key: table.get(key, key)) if font else (lambda table, key: key)
    kinds = list(metrics)
    with matplotlib.rc_context({"font.family": [font, "sans-serif"]} if font else {}):
        fig, ax = plt.subplots(figsize=(11, 4.6), dpi=100)
        width = 0.8 / len(CHART_METRICS)
        for i, name in enumerate(CHART_METRICS):
            values = [metrics[k].get(name) for k in kinds]
            xs = np.arange(len(kinds)) + i * width
            ax.bar(xs, [v if v is not None else 0 for v in values], width, label=label(metric_names, name))
        ax.set_xticks(np.arange(len(kinds)) + width * (len(CHART_METRICS) - 1) / 2,
                      [label(kind_names, k) for k in kinds])
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("得分" if font else "score")
        ax.set_title("各类型指标" if font else "Metrics by question type")
        ax.legend(ncol=len(CHART_METRICS), fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.1),
                  frameon=False)  # below the axes: never over the bars
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        plt.close(fig)
    return buffer.getvalue()


def compare(old: dict, new: dict) -> str:
    """What got better or worse between two JSON reports."""
    lines = ["| 类型 | 指标 | 之前 | 现在 | 变化 |", "|---|---|---|---|---|"]
    for kind, values in new["metrics"].items():
        for name in TABLE_METRICS[1:]:
            before, after = old["metrics"].get(kind, {}).get(name), values.get(name)
            if isinstance(before, (int, float)) and isinstance(after, (int, float)) and before != after:
                lines.append(f"| {_kind(kind)} | {_metric(name)} | {_fmt(before)} | {_fmt(after)} | {after - before:+.3f} |")
    old_pass = {i["id"]: i["passed"] for i in old["items"]}
    fixed = [i["id"] for i in new["items"] if i["passed"] and old_pass.get(i["id"]) is False]
    broken = [i["id"] for i in new["items"] if not i["passed"] and old_pass.get(i["id"]) is True]
    lines.append(f"\n变好（之前失败、现在通过）：{', '.join(fixed) or '无'}")
    lines.append(f"变差（之前通过、现在失败）：{', '.join(broken) or '无'}")
    return "\n".join(lines)


def write_report(data: dict, out_dir: Path, comparison: str = "") -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "md": out_dir / "report.md", "html": out_dir / "report.html"}
    paths["json"].write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    failed = [i for i in data["items"] if not i["passed"]]
    md = [f"# 评测报告：{data['eval_set']}", "",
          f"运行时间 {data['run_at']} · 回答模式 {mode_name(data['mode'])} · 题目 {len(data['items'])} · 未通过 {len(failed)}",
          "", metrics_table(data["metrics"]), ""]
    if len(data.get("splits", {})) > 1:
        md += [f"## 各评测集对照（{' / '.join(data['splits'])}）", "", splits_table(data["splits"]), ""]
    if data.get("paraphrase"):
        p = data["paraphrase"]
        md += [f"改写一致率（原题与其改写是否找到依据、所含要点都一致）：{_fmt(p['agreement'])}（{p['questions']} 题；"
               f"不一致：{'、'.join(p['disagreeing']) or '无'}）", ""]
    if llm_summary(data.get("llm")):
        md += [llm_summary(data.get("llm")), ""]
    if comparison:
        md += ["## 与上次对比", "", comparison, ""]
    md += ["## 未通过的题目", ""]
    for item in failed:
        md += [f"### {item['id']}（{_kind(item['type'])}）{item['question']}",
               f"- 期望要点：{'、'.join(item['key_facts']) or '（应回答“规划中未找到”）'}",
               f"- 缺少：{'、'.join(item['facts_missing']) or '—'} · 找到依据：{'是' if item['found'] else '否'}"
               f" · 出处检索名次：{item['gold_rank'] or '—'}",
               "- 回答：" + item["answer"].replace("\n", " "), ""]
    paths["md"].write_text("\n".join(md), encoding="utf-8")
    paths["html"].write_text(_html(data, failed, comparison), encoding="utf-8")
    return paths


def _html(data: dict, failed: list[dict], comparison: str) -> str:
    chart = base64.b64encode(chart_png(data["metrics"], METRIC_NAMES, TYPE_NAMES)).decode()
    rows = "".join(
        f"<tr><th>{html.escape(_kind(kind))}</th>" + "".join(f"<td>{_fmt(v.get(m))}</td>" for m in TABLE_METRICS) + "</tr>"
        for kind, v in data["metrics"].items())
    header = "".join(f"<th>{html.escape(_metric(m))}</th>" for m in TABLE_METRICS)
    fails = "".join(
        "<tr><td>{id}<br><small>{type}</small></td><td>{q}</td><td>{facts}</td><td>{ans}</td><td>{src}</td></tr>".format(
            id=html.escape(i["id"]), type=html.escape(_kind(i["type"])), q=html.escape(i["question"]),
            facts=html.escape("、".join(i["key_facts"]) or "（应回答“规划中未找到”）"),
            ans=html.escape(i["answer"]).replace("\n", "<br>"),
            src="<br>".join(html.escape(f"{s['section']}：{s['quote']}") for s in i["sources"]) or "—")
        for i in failed)
    compare_html = f"<h2>与上次对比</h2><pre>{html.escape(comparison)}</pre>" if comparison else ""
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>评测报告 {html.escape(data['eval_set'])}</title>
<style>body{{font-family:system-ui,sans-serif;margin:24px;color:#222}}table{{border-collapse:collapse;margin:12px 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;font-size:13px;vertical-align:top}}th{{background:#f3f3f3}}
img{{max-width:100%}}</style></head><body>
<h1>评测报告：{html.escape(data['eval_set'])}</h1>
<p>运行时间 {html.escape(data['run_at'])} · 回答模式 {html.escape(mode_name(data['mode']))} · 题目 {len(data['items'])} · 未通过 {len(failed)}</p>
{f"<p>{html.escape(llm_summary(data.get('llm')))}</p>" if llm_summary(data.get('llm')) else ""}
<h2>各类型指标</h2><div style="overflow-x:auto"><table><tr><th>类型</th>{header}</tr>{rows}</table></div>
<img alt="各类型指标图" src="data:image/png;base64,{chart}">
{compare_html}
<h2>未通过的题目（{len(failed)}）</h2>
<table><tr><th>编号</th><th>问题</th><th>期望要点</th><th>回答</th><th>出处</th></tr>{fails}</table>
</body></html>"""
