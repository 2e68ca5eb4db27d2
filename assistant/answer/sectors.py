"""The sector answer: what the plan asks of a sector (or the department mapped to it) — each
of its sections, heading first, then its sentences in order."""

from __future__ import annotations

from ..abstain import NOT_FOUND as NOT_FOUND_STATE
from ..text import collapse, sentence_spans
from ..types import SECTION_SEPARATOR, Answer, Document, Hit, Query, Source
from .quotes import (
    NOT_FOUND,
    Evidence,
    check_numbers,
    cite,
    evidence_source,
    plan_label,
    span_source,
    with_titles,
)

TASK_SENTENCES = 16  # per answer, shared among the sector's sections
TASK_MIN_SENTENCES = 3


def compose_sections(query: Query, sections: list, documents: dict[str, Document]) -> Answer:
    """What the plan asks of a sector: each of its sections, heading first, then its
    sentences in order (fewer per section when the sector spans many)."""
    if not sections:
        return Answer(question=query.text, text=NOT_FOUND, found=False, sources=(), intent=query.intent,
                      hits=(), state=NOT_FOUND_STATE, confidence=0.0, features=None)
    per_section = max(TASK_MIN_SENTENCES, TASK_SENTENCES // len(sections))
    sources: list[Source] = []
    lines = []
    for heading, doc_id, chunks in sections:
        head = span_source(documents[doc_id], heading.section_path, heading.start, heading.end,
                           "该领域的章节")
        lines.append(f"{SECTION_SEPARATOR.join(heading.section_path)}[{cite(sources, head)}]"
                     f"{plan_label(documents[doc_id], len(documents))}")
        text = documents[doc_id].text
        spans = [(c, s) for c in sorted(chunks, key=lambda c: c.start) if c.kind != "table_row"
                 for s in with_titles(sentence_spans(text, c.start, c.end))]
        for chunk, (start, end) in spans[:per_section]:
            hit = Hit(chunk=chunk, score=1.0, rank=len(sources))
            source = evidence_source(Evidence(hit, start, end, collapse(text[start:end]), 0.0, 0.0), documents)
            lines.append(f"· {source.quote}[{cite(sources, source)}]")
        if len(spans) > per_section:
            lines.append(f"  （本节还有更多内容，可在原文中查看“{heading.section_path[-1]}”。）")
    intro = f"规划中与“{query.department or query.sector}”有关的章节及原文如下："
    if query.department:
        intro += "（规划不点名部门，部门与领域的对应来自本地对照表）"
    text = "\n".join([intro, *lines])
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent=query.intent)

