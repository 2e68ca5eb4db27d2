"""drafts: a draft eval set for a plan, generated from its own structure.

For a newly added plan nobody has written gold questions yet. This drafts candidates from
what the pipeline already knows about the plan: one how-much question per target in the
registry, one which-targets question per sector, one outline question per heading that has
sub-headings, one question per 专栏/表, and the document facts its front matter prints.
Each item carries key facts and verbatim evidence in the eval format (evals/README.md) and
`"generated": true`: it catches regressions in how the plan is read, it measures no accuracy
(the questions are worded the way the pipeline reads the plan). A person reviews it (keep,
edit, delete) before it is saved.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .structure import FIELD_NAMES, field_span, tables_of
from .text import collapse

MAX_PER_KIND = 40


def draft_items(assistant, doc_id: str) -> list[dict]:
    """Candidate eval items for one plan, in the eval JSONL format."""
    parsed = assistant.parsed[doc_id]
    doc = parsed.document
    text = doc.text
    items: list[dict] = []

    def add(kind: str, question: str, facts: list[str], evidence: list[str], section: str = "") -> None:
        items.append({"id": f"{doc_id}-g{len(items) + 1:03d}", "question": question, "type": kind,
                      "answerable": True, "key_facts": facts, "evidence": evidence, "section": section,
                      "doc": doc_id, "generated": True})

    targets = [t for t in assistant.registry if t.doc_id == doc_id]
    for t in targets[:MAX_PER_KIND]:
        when = f"到{t.year}年" if t.year[:4].isdigit() else ""
        add("fact", f"{when}{t.indicator}{_asked_as(t.comparator)}", [f"{t.value}{t.unit}"],
            [_clip(t.quote, t.value, t.unit)], t.section)
    for sector in sorted({t.sector for t in targets}):
        chosen = [t for t in targets if t.sector == sector][:6]
        add("department", f"{sector}领域有哪些量化目标？", [f"{t.value}{t.unit}" for t in chosen],
            [_clip(t.quote, t.value, t.unit) for t in chosen], chosen[0].section)
    headings = parsed.headings()
    for h in headings[:MAX_PER_KIND]:
        children = [c for c in headings if len(c.section_path) == len(h.section_path) + 1
                    and c.section_path[:len(h.section_path)] == h.section_path]
        if len(children) >= 2:
            title = re.sub(r"^[一二三四五六七八九十\d（()）、.．\s]+", "", h.section_path[-1])
            add("section", f"“{title}”下面包括哪几个方面？", [collapse(text[c.start:c.end]) for c in children],
                [collapse(text[c.start:c.end]) for c in children[:3]], " › ".join(h.section_path))
    for table in tables_of({doc_id: parsed}):
        for row in table.rows[:3]:
            cells = [c for c in row.cells[1:] if c and any(ch.isdigit() for ch in c)]
            if cells:
                add("table", f"表中“{row.cells[0]}”一行的数值是多少？", cells[:3],
                    [collapse(text[row.start:row.end])], " › ".join(row.section_path))
    for field, name in FIELD_NAMES.items():
        span = field_span(parsed, field)
        if span and field in ("number", "issuer", "date"):
            quote = collapse(text[span[0]:span[1]])
            add("doc_fact", f"这份规划的{name}是什么？", [quote], [quote])
    return items


ASKED_AS = (("降", "要下降多少？"), ("减", "要减少多少？"), ("提高", "要提高多少？"), ("提升", "要提高多少？"),
            ("增", "要增加多少？"), ("控制", "要控制在多少？"), ("不高于", "上限是多少？"), ("不超过", "上限是多少？"),
            ("完成", "有什么目标要求？"), ("累计", "累计要达到多少？"))


def _asked_as(comparator: str) -> str:
    """The question's verb as the plan's (下降, 提高, 控制在 …), not always 达到."""
    return next((asked for word, asked in ASKED_AS if word in comparator), "要达到多少？")


def _clip(quote: str, value: str, unit: str = "", width: int = 60) -> str:
    """A stretch of the quote around the value as it stands with its unit (5% is not the 5 of
    2025), short enough to stay a clean evidence span, and never without the value."""
    found = re.search(rf"(?<![\d.]){re.escape(value)}\s*{re.escape(unit)}", quote) if value else None
    if len(quote) <= width or found is None:
        return quote
    start = max(0, min(found.start() - width // 2, found.end() - width))
    return quote[start:max(start + width, found.end())]


def write_draft(items: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    return path
