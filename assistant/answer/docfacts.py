"""The document-fact answer: 文号, 印发单位, 日期, 规划期 … quoted from the front-matter line
that states each (or, for a notice signed after the plan it wraps, its 落款), for every plan in scope."""

from __future__ import annotations

from ..structure import FIELD_NAMES, body_start, field_span
from ..types import Answer, ParsedDocument, Query, Source
from .quotes import check_numbers, front_source, plan_label

SIGNATURE = "落款"


def answer_doc_fact(query: Query, fields: tuple[str, ...], parsed: dict[str, ParsedDocument]) -> Answer:
    """The front-matter line that states each asked field (哪个部门发的，文号是多少: the
    issuer and the number), for every plan in scope."""
    sources: list[Source] = []
    lines = []
    for field in fields:
        for p in parsed.values():
            doc = p.document
            span = field_span(p, field)
            label = f"《{plan_label(doc, 2)[1:-1]}》" if len(parsed) > 1 else "规划"
            if span is None:
                lines.append(f"· {label}正文前未写明{FIELD_NAMES[field]}。")
                continue
            signed = (SIGNATURE,) if span[0] >= body_start(p) else ()  # a signature after the plan it wraps
            source = front_source(doc, span, f"文件的{FIELD_NAMES[field]}", section=signed)
            sources.append(source)
            lines.append(f"· {label}的{FIELD_NAMES[field]}：{source.quote}[{len(sources)}]")
    if not sources:
        names = "、".join(FIELD_NAMES[f] for f in fields)
        return Answer(question=query.text, text=f"规划中未找到{names}。", found=False, intent="doc_fact")
    text = "\n".join(["规划原文如下：", *lines])
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent="doc_fact")


