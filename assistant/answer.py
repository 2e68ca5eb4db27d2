"""answer: hits -> an extractive Answer made of the plan's own sentences, with sources.

No LLM: the answer is the best-supported sentences, quoted verbatim, each with a marker
[n] that points to its Source. A number the quotes do not contain can never appear,
and `check_numbers` enforces it. When the evidence does not cover the question, the
answer says 规划中未找到 and `found` is False.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import collapse, number_occurs, sentence_spans, squash, unsupported_numbers
from .types import SECTION_SEPARATOR, Answer, Document, Hit, Query, Source

NOT_FOUND = "规划中未找到与该问题直接相关的内容。"
NOT_FOUND_YEAR = "规划中未找到该年份的相关目标或表述。"
PREMISE_MISMATCH = "注意：问题中的数值与规划不一致，规划原文如下："
QUANTITY_ASK = re.compile(r"多少|几|比例|比重|占比|率|目标|指标|达到|降低|下降|控制|%|％|百分")
_ASCII_DIGIT = re.compile(r"\d")
HOW_MUCH = re.compile(r"多少|几[家个项条年%％]|百分之几|多大|多高|多低")
_YEAR_NUMBER = re.compile(r"(?<!\d)20\d{2}(?=\s*年)")
SENTENCES_PER_HIT = 12
RELATED_MIN_CHARS = 8


class NumberFaithfulnessError(AssertionError):
    """An answer states a number that none of its quotes contains (a bug, never shown)."""


@dataclass(frozen=True)
class Evidence:
    hit: Hit
    start: int
    end: int
    quote: str
    coverage: float
    score: float


class Composer:
    def __init__(self, documents: dict[str, Document], index, segmenter,
                 max_sentences: int, min_coverage: float):
        self.documents = documents
        self.index = index
        self.segmenter = segmenter
        self.max_sentences = max_sentences
        self.min_coverage = min_coverage

    def compose(self, query: Query, hits: list[Hit]) -> Answer:
        evidence = self._answering(query, self.rank_evidence(query, hits))
        if not evidence or evidence[0].coverage < self.min_coverage:
            return self._not_found(query, hits, NOT_FOUND)
        chosen = self._choose(evidence)
        quotes = " ".join(e.quote for e in chosen) + " " + " ".join(e.hit.chunk.context for e in chosen)
        if query.years and not any(number_occurs(y, quotes) for y in query.years):
            return self._not_found(query, hits, NOT_FOUND_YEAR)
        sources = tuple(self._source(e) for e in chosen)
        lines = [f"· {s.quote}[{i}]{_where(s.section)}" for i, s in enumerate(sources, start=1)]
        head = "规划原文如下："
        if query.numbers and not any(number_occurs(n, " ".join(s.quote for s in sources))
                                     for n in query.numbers):
            head = PREMISE_MISMATCH
        text = "\n".join([head, *lines])
        check_numbers(text, [s.quote for s in sources])
        return Answer(question=query.text, text=text, found=True, sources=sources,
                      intent=query.intent, hits=tuple(hits))

    def rank_evidence(self, query: Query, hits: list[Hit]) -> list[Evidence]:
        weights = self._weights(query.text)
        total = sum(weights.values()) or 1.0
        quantity = bool(QUANTITY_ASK.search(query.text))
        top_score = max((h.score for h in hits), default=1.0)
        evidence = []
        for hit in hits:
            text = self.documents[hit.chunk.doc_id].text
            spans = ([(hit.chunk.start, hit.chunk.end)] if hit.chunk.kind == "table_row"
                     else sentence_spans(text, hit.chunk.start, hit.chunk.end)[:SENTENCES_PER_HIT])
            for start, end in spans:
                quote = collapse(text[start:end])
                tokens = set(self.segmenter.tokens(f"{hit.chunk.context} {quote}"))
                coverage = sum(w for t, w in weights.items() if t in tokens) / total
                score = coverage * (1 + 0.3 * hit.score / top_score)
                if quantity and _ASCII_DIGIT.search(quote):
                    score += 0.1
                evidence.append(Evidence(hit, start, end, quote, coverage, score))
        return sorted(evidence, key=lambda e: -e.score)

    def _answering(self, query: Query, evidence: list[Evidence]) -> list[Evidence]:
        """Evidence that can answer at all: it names the question's most specific word, and
        when the question asks for a quantity, it states one (a number that is not a year)."""
        focus = self._focus_word(query.text)
        if focus:
            evidence = [e for e in evidence if focus in self.segmenter.canonical(
                squash(f"{e.hit.chunk.context}{e.quote}")).lower()]
        if HOW_MUCH.search(query.text):
            evidence = [e for e in evidence if _states_quantity(e.quote)]
        return evidence

    def _focus_word(self, question: str) -> str:
        """The rarest content word that stands somewhere in the plans. Words no plan holds
        (补贴, or a typo) are left to coverage, which they already lower."""
        idf, unseen = self.index.idf, self.index.unseen_idf()
        words = [w for w in self.segmenter.terms(question)
                 if len(w) > 1 and not _ASCII_DIGIT.search(w) and self._in_corpus(w)]
        return max(words, key=lambda w: (idf.get(w, unseen), len(w)), default="")

    def _in_corpus(self, word: str) -> bool:
        return any(word in self.segmenter.canonical(squash(d.text)).lower() for d in self.documents.values())

    def _weights(self, question: str) -> dict[str, float]:
        idf, unseen = self.index.idf, self.index.unseen_idf()
        return {t: idf.get(t, unseen) for t in set(self.segmenter.query_tokens(question))}

    def _choose(self, evidence: list[Evidence]) -> list[Evidence]:
        best = evidence[0]
        chosen = [best]
        for e in evidence[1:]:
            if len(chosen) >= self.max_sentences:
                break
            if e.score >= 0.8 * best.score and e.coverage >= self.min_coverage and not any(
                    _overlaps(e, c) for c in chosen):
                chosen.append(e)
        return sorted(chosen, key=lambda e: (e.hit.chunk.doc_id, e.start))

    def _source(self, e: Evidence) -> Source:
        doc = self.documents[e.hit.chunk.doc_id]
        return Source(doc=doc.doc_id, title=doc.meta.title, section=e.hit.chunk.section,
                      quote=e.quote, score=e.hit.score, start=e.start, end=e.end,
                      why=why(e.hit))

    def _not_found(self, query: Query, hits: list[Hit], text: str) -> Answer:
        return Answer(question=query.text, text=text, found=False, sources=(),
                      intent=query.intent, hits=tuple(hits))


def _states_quantity(quote: str) -> bool:
    return bool(_ASCII_DIGIT.search(_YEAR_NUMBER.sub("", quote)))


def why(hit: Hit) -> str:
    lexical = f"词法第 {hit.lexical_rank} 名（BM25 {hit.lexical_score:.2f}）" if hit.lexical_rank else "词法未命中"
    dense = f"语义第 {hit.dense_rank} 名（相似度 {hit.dense_score:.3f}）" if hit.dense_rank else "语义未命中"
    return f"{lexical}；{dense}；融合得分 {hit.score:.4f}，综合第 {hit.rank} 名"


def _overlaps(a: Evidence, b: Evidence) -> bool:
    return a.hit.chunk.doc_id == b.hit.chunk.doc_id and a.start < b.end and b.start < a.end


def _where(section: str) -> str:
    """The section in the answer line, only the levels that hold no digit (digits in an
    answer must come from its quotes)."""
    parts = [p for p in section.split(SECTION_SEPARATOR) if not _ASCII_DIGIT.search(p)]
    return f"（{SECTION_SEPARATOR.join(parts)}）" if parts else ""


def check_numbers(text: str, quotes: list[str]) -> None:
    missing = unsupported_numbers(text, quotes)
    if missing:
        raise NumberFaithfulnessError(f"answer states numbers its quotes lack: {missing}")


def compose_targets(query: Query, targets: list, sectors, documents: dict[str, Document],
                    registry: list | None = None) -> Answer:
    """A complete list answer from the targets registry: one line per target, each cited."""
    if query.intent == "department_unknown" or (query.department and not sectors.sectors_of_department(query.department)):
        known = "、".join(sectors.departments())
        text = (f"本地的部门对照表中没有“{query.unknown_department or query.department}”。"
                f"可查询的部门有：{known}。也可以按领域提问，例如“交通领域有哪些目标？”")
        return Answer(question=query.text, text=text, found=False, intent=query.intent)
    scope = _scope(query, sectors)
    if not targets:
        return Answer(question=query.text, text=f"规划中未找到{scope}的量化目标。", found=False,
                      intent=query.intent)
    sources: list[Source] = []
    lines = []
    for target in targets:
        markers = [_cite(sources, _target_source(target, documents))]
        if target.source_kind == "table":
            markers.append(_cite(sources, _header_source(target, documents)))
        lines.append(f"· {describe(target)}" + "".join(f"[{m}]" for m in markers))
        for other in related_targets(target, registry or [], exclude=targets):
            mark = _cite(sources, _target_source(other, documents))
            lines.append(f"  另一处表述（{other.sector}领域）：{describe(other)}[{mark}]")
    head = f"{scope}的量化目标如下（来自目标清单，每项附规划原文）："
    if query.department:
        head += (f"\n说明：规划本身不点名部门，以下是规划归入“{'、'.join(sectors.sectors_of_department(query.department))}”"
                 f"领域的目标；部门与领域的对应来自本地对照表。")
    text = "\n".join([head, *lines])
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent=query.intent)


def related_targets(target, registry: list, exclude: list = ()) -> list:
    """Targets elsewhere that state the same indicator with another value or wording
    (城市生活垃圾无害化处理率 99% vs 城镇… 98.2%): shown side by side, never merged."""
    from difflib import SequenceMatcher

    out = []
    for other in registry:
        if other is target or other in exclude or other.unit != target.unit:
            continue
        match = SequenceMatcher(None, target.indicator, other.indicator).find_longest_match()
        if match.size >= RELATED_MIN_CHARS:
            out.append(other)
    return out


def describe(target) -> str:
    """“指标：值单位（基准，比较，期限）”, every number taken from the target's quotes."""
    when = f"{target.year}年" if target.year.isdigit() else target.year
    detail = "，".join(p for p in (target.baseline, target.comparator, when) if p)
    return f"{target.indicator}：{target.value}{target.unit}（{detail}）"


def _scope(query: Query, sectors) -> str:
    if query.department:
        return f"{query.department}（对应领域：{'、'.join(sectors.sectors_of_department(query.department))}）"
    return f"{query.sector}领域"


def _cite(sources: list[Source], source: Source) -> int:
    for i, s in enumerate(sources, start=1):
        if (s.doc, s.start, s.end) == (source.doc, source.start, source.end):
            return i
    sources.append(source)
    return len(sources)


def _target_source(target, documents) -> Source:
    doc = documents[target.doc_id]
    return Source(doc=doc.doc_id, title=doc.meta.title, section=target.section, quote=target.quote,
                  score=1.0, start=target.start, end=target.end, why="来自目标清单（按领域完整列出）")


def _header_source(target, documents) -> Source:
    """The table's header line, which holds the deadline (“2025 年目标值”)."""
    doc = documents[target.doc_id]
    return Source(doc=doc.doc_id, title=doc.meta.title, section=target.section,
                  quote=target.header_quote, score=1.0, start=target.header_start,
                  end=target.header_end, why="表头（写明目标年份）")
