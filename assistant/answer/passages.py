"""The passage answer: the plan's sentences that answer a question, chosen from the passages
retrieval found and quoted verbatim, each with a marker [n] that points to its Source. One
calibrated decision (abstain.py) says whether the best evidence answers, may only relate,
or is no answer (规划中未找到)."""

from __future__ import annotations

import copy

from ..abstain import ANSWERED, RELATED, AbstentionModel, EvidenceFeatures
from ..abstain import NOT_FOUND as NOT_FOUND_STATE
from ..structure import REFERENCE
from ..text import number_occurs
from ..types import Answer, Block, Document, Hit, ParsedDocument, Query, Source
from .evidence import EvidenceRanker
from .layout import PlanLayout
from .quotes import (
    NOT_FOUND,
    NOT_FOUND_YEAR,
    PREMISE_MISMATCH,
    RELATED_HEAD,
    Evidence,
    check_numbers,
    cite,
    evidence_source,
    plan_label,
    span_source,
    where,
    years_held,
)
from .words import QuestionWords

RELATED_SENTENCES = 2
OVERVIEW_WORDS = frozenset({"专栏", "栏目", "指标", "项目", "内容", "包括", "方面", "重点", "措施", "工程"})
LIST_SENTENCES = 5


class Composer:
    """Composes the passage answer; `within` gives the composer for a question asked of some plans."""

    def __init__(self, documents: dict[str, Document], parsed: dict[str, ParsedDocument], index,
                 segmenter, max_sentences: int, min_coverage: float, cues=None,
                 abstention: AbstentionModel | None = None, ask_cues=None,
                 cue_words: frozenset[str] = frozenset(), departments: frozenset[str] = frozenset()):
        self.documents = documents
        self.abstention = abstention
        self.max_sentences = max_sentences
        self.min_coverage = min_coverage
        self.layout = PlanLayout(documents, parsed, segmenter)
        self.words = QuestionWords(documents, index, segmenter, cue_words, departments)
        self.ranker = EvidenceRanker(documents, self.words, self.layout, min_coverage, cues, ask_cues)

    def within(self, docs: frozenset[str] | None, plan_words: frozenset[str] = frozenset()) -> Composer:
        """This composer for a question asked of the plans in `docs` (see QuestionWords.within)."""
        words = self.words.within(docs, plan_words)
        if words is self.words:
            return self
        scoped = copy.copy(self)
        scoped.words, scoped.ranker = words, copy.copy(self.ranker)
        scoped.ranker.words = words
        return scoped

    def compose(self, query: Query, hits: list[Hit], scope: Block | None = None, scope_doc: str = "") -> Answer:
        """Quote the sentences that answer. With a scope (the heading of a 专栏 or 表 the
        question names), the hits are that section's chunks and the answer always quotes
        its heading; with nothing specific asked, it lists the section's items. Otherwise
        one calibrated decision (abstain.py) says whether the best evidence answers: then
        it is quoted; if it may only relate, it is shown as related; else 规划中未找到."""
        ranked = self.ranker.rank_evidence(query, hits)
        evidence = self.ranker.answering(query, ranked)
        if scope is None and not evidence and self.ranker.other_indicator(query, ranked):
            return self.not_found(query, hits, NOT_FOUND)
        confidence, state, features = 1.0, ANSWERED, None
        overview = scope is not None and self._asks_overview(query.text)
        if scope is not None and not overview and not evidence and ranked and self.ranker.asks_how_much(query):
            # an amount asked of a 专栏 (投多少钱) that none of its sentences states: its list is no answer
            return self.not_found(query, hits, NOT_FOUND)
        if scope is not None and (overview or not evidence or evidence[0].coverage < self.min_coverage):
            chosen = self.layout.overview(hits)
        else:
            features = self.ranker.features(query, hits, ranked, evidence)
            if scope is not None:
                # inside a 专栏 or 表 the question names there is no retrieval (nor its agreement) for
                # the fitted decision to weigh: the box answers unless the question names a word no
                # plan holds (餐厨) or asks a kind of answer (哪年) its best sentence does not state
                lacking = features.unknown_words or features.kind_missing
                confidence, state = (0.0, NOT_FOUND_STATE) if lacking else (1.0, ANSWERED)
                features = None  # not a row for fitting the decision either
            else:
                confidence, state = self._decide(features, evidence)
            if state == RELATED and ranked:
                return self._related(query, hits, ranked, confidence, features)
            if state != ANSWERED or not (evidence or ranked):
                return self.not_found(query, hits, NOT_FOUND, confidence, features)
            chosen = self.layout.with_items(self.ranker.choose(evidence or ranked,
                                                   LIST_SENTENCES if query.intent == "list" else self.max_sentences),
                                      leads=query.intent == "list")
        quotes = " ".join(e.quote for e in chosen) + " " + " ".join(e.hit.chunk.context for e in chosen)
        if not years_held(query, quotes) and not self.ranker.by_plan_end(query, chosen):
            return self.not_found(query, hits, NOT_FOUND_YEAR)
        sources: list[Source] = []
        lines = []
        if scope is not None:
            heading = span_source(self.documents[scope_doc], scope.section_path, scope.start, scope.end,
                                  "问题所指的栏目标题")
            lines.append(f"{heading.quote}[{cite(sources, heading)}]{where(heading.section)}"
                         f"{plan_label(self.documents[scope_doc], len(self.documents))}")
        for e in chosen:
            marks = [cite(sources, evidence_source(e, self.documents))]
            header = self.layout.header_of(e.hit.chunk)
            if header:
                marks.append(cite(sources, header))
            section = "" if scope is not None else where(e.hit.chunk.section)
            label = plan_label(self.documents[e.hit.chunk.doc_id], len(self.documents))
            lines.append(f"· {self.layout.reading(e)}" + "".join(f"[{m}]" for m in marks) + section + label)
        head = "规划原文如下："
        if query.numbers and not any(number_occurs(n, " ".join(s.quote for s in sources))
                                     for n in query.numbers):
            head = PREMISE_MISMATCH
        text = "\n".join([head, *lines])
        check_numbers(text, [s.quote for s in sources])
        return Answer(question=query.text, text=text, found=True, sources=tuple(sources),
                      intent=query.intent, hits=tuple(hits), state=ANSWERED, confidence=confidence,
                      features=features)

    def _decide(self, features: EvidenceFeatures, evidence: list[Evidence]) -> tuple[float, str]:
        if self.abstention is None:  # no fitted model: the coverage rule it grew out of
            return features.rule, (ANSWERED if features.rule else NOT_FOUND_STATE)
        return self.abstention.decide(features)

    def _related(self, query: Query, hits: list[Hit], ranked: list[Evidence], confidence: float,
                 features: EvidenceFeatures) -> Answer:
        """No direct answer, but passages that may help: shown as such, found = False."""
        sources: list[Source] = []
        lines = []
        for e in self.ranker.choose(ranked, RELATED_SENTENCES):
            marks = [cite(sources, evidence_source(e, self.documents))]
            if header := self.layout.header_of(e.hit.chunk):
                marks.append(cite(sources, header))
            label = plan_label(self.documents[e.hit.chunk.doc_id], len(self.documents))
            lines.append(f"· {self.layout.reading(e)}" + "".join(f"[{m}]" for m in marks)
                         + f"{where(e.hit.chunk.section)}{label}")
        text = "\n".join([RELATED_HEAD, *lines])
        check_numbers(text, [s.quote for s in sources])
        return Answer(question=query.text, text=text, found=False, sources=tuple(sources), intent=query.intent,
                      hits=tuple(hits), state=RELATED, confidence=confidence, features=features)

    def _asks_overview(self, question: str) -> bool:
        """“专栏5讲啥”, “表2列了哪些指标”: nothing asked but what the section holds."""
        rest = REFERENCE.sub("", question)
        words = [w for w in self.words.segmenter.terms(rest) if len(w) > 1 and w not in OVERVIEW_WORDS]
        return len(words) <= 1

    def not_found(self, query: Query, hits: list[Hit], text: str, confidence: float = 0.0,
                   features: EvidenceFeatures | None = None) -> Answer:
        return Answer(question=query.text, text=text, found=False, sources=(), intent=query.intent,
                      hits=tuple(hits), state=NOT_FOUND_STATE, confidence=confidence, features=features)

