"""Quoting the plan: the citations, the section and plan labels of an answer line, and the
check that an answer states no number its quotes lack. Shared by every kind of answer."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from ..errors import InternalCheckError
from ..text import collapse, number_occurs, squash, unsupported_numbers
from ..types import SECTION_SEPARATOR, Answer, Document, Hit, Query, Source

NOT_FOUND = "规划中未找到与该问题直接相关的内容。"
RELATED_HEAD = "规划中未找到直接回答，以下原文可能相关："
NOT_FOUND_YEAR = "规划中未找到该年份的相关目标或表述。"
PREMISE_MISMATCH = "注意：问题中的数值与规划不一致，规划原文如下："
PREMISE_WRONG = "不对：问题所说的数值与规划不一致。"
PREMISE_RIGHT = "是的，与规划一致。"
PART_MISSING = "问题的其余部分，规划中未找到相关内容。"
NO_SUCH_PART = "规划中未找到问题所说的{kind}，请核对编号。"
ASCII_DIGIT = re.compile(r"\d")
_YEAR_NUMBER = re.compile(r"(?<!\d)20\d{2}(?=\s*年)")
TITLE_MAX_CHARS = 16


class NumberFaithfulnessError(InternalCheckError):
    """An answer states a number that none of its quotes contains (a bug, never shown)."""

    reason = "回答中有数字在所引原文里找不到"


@dataclass(frozen=True)
class Evidence:
    hit: Hit
    start: int
    end: int
    quote: str
    coverage: float
    score: float


def years_held(query: Query, text: str) -> bool:
    """The text states the year the question asks for: the year it asks an amount for (到2030年
    …比2025年), or else any year it names."""
    if query.target_year:
        return number_occurs(query.target_year, text)
    return not query.years or any(number_occurs(y, text) for y in query.years)


def quoted_already(source: Source, sources) -> bool:
    """The answer quotes this span, or the same words where the plan prints them again."""
    said = squash(source.quote)
    return any(s.doc == source.doc and ((s.start < source.end and source.start < s.end) or said in squash(s.quote))
               for s in sources)


def merged(rankings) -> list[Hit]:
    """The passages several searches found, each once at its best rank, ranked anew."""
    best: dict[str, Hit] = {}
    for hits in rankings:
        for hit in hits:
            if hit.chunk.id not in best or hit.rank < best[hit.chunk.id].rank:
                best[hit.chunk.id] = hit
    ranked = sorted(best.values(), key=lambda h: h.rank)  # stable: a tie keeps the first search's
    return [dataclasses.replace(h, rank=i) for i, h in enumerate(ranked, start=1)]


def markers_in(line: str, sources) -> list[int]:
    """The citation markers of a line, [n] for n within its answer's sources; a bracketed
    number beyond them is printed text (a PDF's footnote “[12]” in a quote), no marker."""
    return [int(m) for m in re.findall(r"\[(\d+)\]", line) if 0 < int(m) <= len(sources)]


def renumber(line: str, mapping: dict[int, int]) -> str:
    """Markers renumbered; a bracketed number that is no marker (a PDF's footnote “[1]” in a
    quote) stays as printed."""
    return re.sub(r"\[(\d+)\]", lambda m: f"[{mapping.get(int(m.group(1)), m.group(1))}]", line)


def with_titles(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A short title sentence (“2.清洁取暖。”) is quoted together with the sentence it heads."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and out[-1][1] - out[-1][0] <= TITLE_MAX_CHARS and out[-1][1] <= start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def states_quantity(quote: str) -> bool:
    """A number that is not a year, in digits or in words (一至两个, 三家)."""
    return bool(ASCII_DIGIT.search(_YEAR_NUMBER.sub("", quote)) or _COUNTED.search(quote))


def why(hit: Hit) -> str:
    lexical = f"词法第 {hit.lexical_rank} 名（BM25 {hit.lexical_score:.2f}）" if hit.lexical_rank else "词法未命中"
    dense = f"语义第 {hit.dense_rank} 名（相似度 {hit.dense_score:.3f}）" if hit.dense_rank else "语义未命中"
    return f"{lexical}；{dense}；融合得分 {hit.score:.4f}，综合第 {hit.rank} 名"


def overlaps(a: Evidence, b: Evidence) -> bool:
    return a.hit.chunk.doc_id == b.hit.chunk.doc_id and a.start < b.end and b.start < a.end


def where(section: str) -> str:
    """The section in the answer line, as deep as the source card's: each level without its
    number (2. / （1） / 表 2), since digits in an answer must come from its quotes; a level
    with a digit in its own words is left out."""
    levels = (_LEVEL_NUMBER.sub("", p) for p in section.split(SECTION_SEPARATOR))
    parts = [p for p in levels if p and not ASCII_DIGIT.search(p)]
    return f"（{SECTION_SEPARATOR.join(parts)}）" if parts else ""


def check_numbers(text: str, quotes: list[str]) -> None:
    missing = unsupported_numbers(text, quotes)
    if missing:
        raise NumberFaithfulnessError(f"answer states numbers its quotes lack: {missing}")


def plan_label(doc: Document, plans_indexed: int) -> str:
    """“〔福建省“十四五”节能减排综合工作实施方案〕” after an answer line when more than one
    plan is indexed. Digits are left out (“（2021-2025年）”): an answer states no number
    that its quotes lack, and the label is no quote."""
    if plans_indexed <= 1:
        return ""
    title = re.sub(r"[（(][^（）()]*\d[^（）()]*[）)]", "", doc.meta.title)
    return f"〔{ASCII_DIGIT.sub('', title)}〕"


def cite(sources: list[Source], source: Source) -> int:
    for i, s in enumerate(sources, start=1):
        if (s.doc, s.start, s.end) == (source.doc, source.start, source.end):
            return i
    sources.append(source)
    return len(sources)


def span_source(doc: Document, section_path: tuple[str, ...], start: int, end: int, why: str,
                table_header: bool = False) -> Source:
    """A Source quoting doc.text[start:end] (whitespace collapsed) that retrieval did not rank."""
    return Source(doc=doc.doc_id, title=doc.meta.title, section=SECTION_SEPARATOR.join(section_path),
                  quote=collapse(doc.text[start:end]), score=1.0, start=start, end=end, why=why,
                  table_header=table_header)


_COUNTED = re.compile(r"[一二两三四五六七八九十百千万]+(?:[至到、][一二两三四五六七八九十百千万]+)?[个家项条座台处类]")
_LEVEL_NUMBER = re.compile(r"^\s*(?:\d+\s*[.、．]|[（(]\s*\d+\s*[）)]|(?:表|专栏|图)\s*\d+)\s*")


def evidence_source(e: Evidence, documents: dict[str, Document]) -> Source:
    """The Source of a quoted sentence retrieval found."""
    doc = documents[e.hit.chunk.doc_id]
    return Source(doc=doc.doc_id, title=doc.meta.title, section=e.hit.chunk.section,
                  quote=e.quote, score=e.hit.score, start=e.start, end=e.end,
                  why=why(e.hit))


def front_source(doc: Document, span: tuple[int, int], why: str, section: tuple[str, ...] = (),
                 table_header: bool = False) -> Source:
    """A Source for a span read off the plan's structure; a span before the first heading is “正文前”."""
    source = span_source(doc, section, span[0], span[1], why, table_header=table_header)
    return source if source.section else dataclasses.replace(source, section="正文前")


def confirmed(answer: Answer, numbers: tuple[str, ...]) -> Answer:
    """A premise the question asks to confirm (“规划说要降20%，对吧？”) gets a verdict first:
    不对 when the quotes hold none of the numbers it states, 是的 when they hold them all.
    Quotes with no figure at all give no verdict: they cannot refute a number."""
    if not answer.found or not numbers:
        return answer
    quoted = " ".join(s.quote for s in answer.sources)
    if not ASCII_DIGIT.search(_YEAR_NUMBER.sub("", quoted)):
        return answer
    first, _, rest = answer.text.partition("\n")
    if first == PREMISE_MISMATCH or not any(number_occurs(n, quoted) for n in numbers):
        verdict = PREMISE_WRONG
    elif all(number_occurs(n, quoted) for n in numbers):
        verdict = PREMISE_RIGHT
    else:
        return answer
    body = f"规划原文如下：\n{rest}" if first in (PREMISE_MISMATCH, "规划原文如下：") else answer.text
    return dataclasses.replace(answer, text=f"{verdict}{body}")
