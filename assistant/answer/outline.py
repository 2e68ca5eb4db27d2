"""The outline answer: what a heading of the plan lists — its sub-headings in order, or its
paragraphs' opening sentences — each quoted (“发展现状写了哪几个方面”, “第四章下面有哪些工程”)."""

from __future__ import annotations

import re

from ..segment import bigrams
from ..structure import MATCH_MIN, NUMBERING, YEAR, heading_title, item_asked
from ..text import sentence_spans, squash
from ..types import Answer, Block, ParsedDocument, Query
from .quotes import check_numbers, front_source, plan_label

OUTLINE_ITEMS = 20
TITLE_SENTENCE = 16  # a first sentence this short is an item's title
FEW_PARAGRAPHS = 2  # a section of so few paragraphs is outlined sentence by sentence
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,40})[”\"」』]")
_INSERT = re.compile(r"^\s*(?:专栏|表)\s*\d+")  # a box or table set into a section's text
_COUNT_ASKED = re.compile(r"(?:几|多少)\s*大?\s*(?:项|个|条|点|节|块|部分|方面|类)")


def answer_outline(query: Query, doc_id: str, heading: Block, parsed: dict[str, ParsedDocument],
                   plans_indexed: int, detail: bool = False, item: int | None = None) -> Answer:
    """A heading's sub-headings in order, each quoted; a heading without any lists the
    opening sentence of each of its paragraphs (every sentence, when it has only one or two
    paragraphs). With `detail` (the question also asks how much), each item is quoted with
    its sentences that state a quantity. A question about one item by its number (第三项)
    gets that item's outline, or is told the heading has fewer items."""
    p = parsed[doc_id]
    doc = p.document
    children = _children(p, heading)
    while len(children) == 1 and _children(p, children[0]):  # a section that only holds one 专栏: its items
        heading, children = children[0], _children(p, children[0])
    # 共几项？第五个是什么: the whole list answers both (the count, and the fifth in its place)
    asked = item_asked(query.text) if item is None and not _COUNT_ASKED.search(squash(query.text)) else 0
    if asked and asked <= len(children):
        return answer_outline(query, doc_id, children[asked - 1], parsed, plans_indexed, detail, item=asked)
    depth = len(heading.section_path)
    paragraphs = [b for b in p.blocks if b.kind in ("paragraph", "table_row") and b.section_path[:depth] == heading.section_path]
    own = [b for b in paragraphs if b.section_path == heading.section_path]
    if children and own and all(_INSERT.match(c.section_path[-1]) for c in children):
        # a section written as paragraphs with a 专栏 set in: the paragraphs' points, and the box in its place
        items = sorted([(_first_sentence(doc.text, b), b.section_path) for b in own]
                       + [((c.start, c.end), c.section_path) for c in children])
        children = []
    elif children:
        items = [(_item_span(doc.text, c, paragraphs) if detail else _item_opening(doc.text, c, paragraphs),
                  c.section_path) for c in children]
    elif len(paragraphs) <= FEW_PARAGRAPHS:
        items = [(span, b.section_path) for b in paragraphs for span in sentence_spans(doc.text, b.start, b.end)]
    else:
        items = [(_first_sentence(doc.text, b), b.section_path) for b in paragraphs]
    sources = [front_source(doc, (heading.start, heading.end), "问题所指的章节标题", heading.section_path)]
    label = plan_label(doc, plans_indexed)
    missing = bool(asked) and asked > len(items)  # 第（十一）项 of ten: what it has, not an answer
    absent = _absent_part(query.text, p, heading, paragraphs)
    lines = [f"“{sources[0].quote}”[1]{label}下没有问题所说的“{absent}”，它列有：" if absent
             else f"“{sources[0].quote}”[1]{label}下没有问题所问的那一项，它列有：" if missing
             else f"“{sources[0].quote}”[1]{label}下列有{count_words(len(items))}项（每项附其开头一句）：" if children
             else f"“{sources[0].quote}”[1]{label}共{count_words(len(items))}段，各段要点："]
    for span, section in items[:OUTLINE_ITEMS]:
        sources.append(front_source(doc, span, "该章节下的条目", section))
        lines.append(f"· {sources[-1].quote}[{len(sources)}]")
    if len(items) > OUTLINE_ITEMS:
        lines.append("  （还有更多条目，可在原文中查看。）")
    if len(sources) == 1:
        return Answer(question=query.text, text="规划中未找到该章节下的内容。", found=False, intent="outline")
    text = "\n".join(lines)
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=not (missing or absent), sources=tuple(sources), intent="outline")


def count_words(n: int) -> str:
    """A count of the items listed, in words (五, 十二): the items are all quoted below it, and
    digits in an answer are kept for the figures its quotes state."""
    import cn2an

    return "两" if n == 2 else cn2an.an2cn(n)  # 两项, not 二项


def _absent_part(question: str, p: ParsedDocument, heading: Block, paragraphs: list[Block]) -> str:
    """A part the question names in quotes (保障措施里“强化人才支撑”那一节) that is neither the
    heading itself nor one of its sub-headings, and that its paragraphs do not print: a
    premise the plan lacks. "" when every quoted part is there."""
    depth = len(heading.section_path)
    inside = [b for b in p.headings() if b.section_path[:depth] == heading.section_path]
    text = squash("".join(p.document.text[b.start:b.end] for b in paragraphs))
    for named in _QUOTED.findall(question):
        pairs = set(bigrams(squash(named)))
        if not pairs or squash(named) in text:
            continue
        if not any(len(pairs & set(bigrams(heading_title(b)))) / len(pairs) >= MATCH_MIN for b in inside):
            return named
    return ""


def _item_span(text: str, child: Block, paragraphs: list[Block]) -> tuple[int, int]:
    """A sub-heading with the sentences of its first paragraph up to the first that states a
    quantity (“1.锅炉节能改造。…累计实现节能量2万吨标准煤。”)."""
    block = next((b for b in paragraphs if b.start >= child.start and b.section_path[:len(child.section_path)]
                  == child.section_path), None)
    if block is None:
        return child.start, child.end
    spans = sentence_spans(text, block.start, block.end)
    end = next((e for s, e in spans if re.search(r"\d", YEAR.sub("", NUMBERING.sub("", text[s:e])))),
               spans[0][1] if spans else block.end)
    return min(child.start, block.start), end  # a heading on a line of its own is quoted with it


def _item_opening(text: str, child: Block, paragraphs: list[Block]) -> tuple[int, int]:
    """A sub-heading with the first sentence under it, so each item says what it covers
    (“（一）加快推进结构调整 … 坚决遏制高耗能高排放项目盲目发展。”); the heading alone when
    nothing follows it in its own section."""
    block = next((b for b in paragraphs if b.start >= child.start and b.section_path == child.section_path), None)
    if block is None or block.start - child.end > 2:
        return child.start, child.end
    spans = sentence_spans(text, block.start, block.end)
    if not spans:
        return child.start, child.end
    first = 0 if spans[0][0] >= child.end or len(spans) == 1 else 1  # a run-in title is a sentence of its own
    if first + 1 < len(spans) and spans[first][1] - spans[first][0] <= TITLE_SENTENCE:  # “工业领域。” heads what follows
        first += 1
    return min(child.start, block.start), spans[first][1]


def _children(p: ParsedDocument, heading: Block) -> list[Block]:
    depth = len(heading.section_path)
    return [b for b in p.headings() if len(b.section_path) == depth + 1 and b.section_path[:depth] == heading.section_path]


def _first_sentence(text: str, block: Block) -> tuple[int, int]:
    spans = sentence_spans(text, block.start, block.end)
    if not spans:
        return block.start, block.end
    if len(spans) > 1 and spans[0][1] - spans[0][0] <= TITLE_SENTENCE:  # “1.燃气项目。” heads what follows
        return spans[0][0], spans[1][1]
    return spans[0]


