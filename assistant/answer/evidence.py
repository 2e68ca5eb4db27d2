"""Ranking a question's evidence: every sentence of the retrieved passages scored by the
question's words it holds, and the measurements the abstention decision weighs."""

from __future__ import annotations

import re

from ..abstain import RULE_COVERAGE, EvidenceFeatures
from ..text import collapse, other_period, plan_end_year, sentence_spans, squash
from ..types import Document, Hit, Query
from .layout import PlanLayout
from .quotes import ASCII_DIGIT, Evidence, overlaps, states_quantity, with_titles, years_held
from .words import QuestionWords, weight_coverage

QUANTITY_ASK = re.compile(r"多少|几|比例|比重|占比|率|目标|指标|达到|降低|下降|控制|%|％|百分")
AMOUNT_ASK = re.compile(r"多少|几家|百分之|多大|多高")  # amounts (not 分别是啥, which asks names)
HOW_MUCH = re.compile(r"多少|(?<!哪)几[家个项条年%％]|百分之几|多大|多高|多低")  # 哪几个 asks which
AGREEMENT_RANK = 5  # both retrievers rank the best passage this high: they agree
SENTENCES_PER_HIT = 12
# a sentence scoring this share of the best one's is quoted beside it (up to the sentence limit):
# a rewording moves scores a little, and a narrower margin let it drop a sentence the original kept
# (chosen on dev batch l before it joined dev: 0.8/0.7/0.6/0.5 gave rewording agreement .79/.79/.81/.79)
NEAR_BEST = 0.6
PAST_WEIGHT = 0.6  # a review-of-the-past sentence, when the question asks what the plan wants
YEAR_MISSING_WEIGHT = 0.7  # a sentence that holds none of the years the question names
FOCUS_MISSING_WEIGHT = 0.9  # a sentence without every one of the question's rarest words


def asks_amount(query: Query) -> bool:
    """The question asks for amounts (多少, 几家, 各自 …)."""
    return bool(AMOUNT_ASK.search(query.text))


INDICATOR_CANDIDATES = 5  # best sentences searched for the indicator a question asks


class EvidenceRanker:
    """Scores sentences against a question, with the words of the plans asked (`words`)."""

    def __init__(self, documents: dict[str, Document], words: QuestionWords, layout: PlanLayout,
                 min_coverage: float, cues=None, ask_cues=None):
        self.documents = documents
        self.words = words
        self.layout = layout
        self.min_coverage = min_coverage
        self.cues = cues  # TargetCues: tells the plan's asks from its review of the past
        self.ask_cues = ask_cues  # AskCues: what kind of answer a question asks (a time, money, a unit)

    def rank_evidence(self, query: Query, hits: list[Hit]) -> list[Evidence]:
        weights = self.words.weights(query.search)
        quantity = bool(QUANTITY_ASK.search(query.search))
        top_score = max((h.score for h in hits), default=1.0)
        prefer_plan = self.cues is not None and not self.cues.asks_past(query.search)  # a part asks for itself
        focus = self.words.focus_words(query.search)
        evidence = []
        for hit in hits:
            text = self.documents[hit.chunk.doc_id].text
            spans = ([(hit.chunk.start, hit.chunk.end)] if hit.chunk.kind == "table_row"
                     else with_titles(sentence_spans(text, hit.chunk.start, hit.chunk.end))[:SENTENCES_PER_HIT])
            around = set(self.words.segmenter.tokens(hit.chunk.text))
            for start, end in spans:
                quote = collapse(text[start:end])
                tokens = set(self.words.segmenter.tokens(f"{hit.chunk.context} {quote}"))
                coverage = weight_coverage(weights, tokens, around)
                score = coverage * (1 + 0.3 * hit.score / top_score)
                if quantity and ASCII_DIGIT.search(quote):
                    score += 0.1
                if prefer_plan and self.cues.is_history(quote, hit.chunk.section_path):
                    score *= PAST_WEIGHT  # “十四五要淘汰…” asks the plan, not its review of 十三五
                if not years_held(query, f"{hit.chunk.context} {quote}"):
                    score *= YEAR_MISSING_WEIGHT  # “2020年…占比” is answered by a sentence of 2020
                if other_period(query.search, f"{hit.chunk.context} {quote}"):
                    score *= YEAR_MISSING_WEIGHT  # a 十三五 question, a “十四五”时期 target
                if focus and not self.words.holds_focus(focus, f"{hit.chunk.context}{quote}"):
                    score *= FOCUS_MISSING_WEIGHT  # 配电系统…推广应用哪些: the 配电系统 sentence, not any 推广应用
                evidence.append(Evidence(hit, start, end, quote, coverage, score))
        evidence.sort(key=lambda e: -e.score)
        seen: set[str] = set()  # a sentence the plan repeats word for word is quoted once
        return [e for e in evidence if not (squash(e.quote) in seen or seen.add(squash(e.quote)))]

    def by_plan_end(self, query: Query, chosen: list[Evidence]) -> bool:
        """The year asked is the last of the plan's period (到2025年… of a 2021-2025 plan) and
        every chosen sentence says what the plan asks, not what was done: the plan's tasks
        are all due by then, stated with the year or not. Not for an amount asked."""
        if self.asks_how_much(query) or asks_amount(query):
            return False  # an amount “by 2025” is one the plan states for 2025
        asked = {query.target_year} if query.target_year else set(query.years)
        return bool(chosen and self.cues is not None) and all(
            asked == {plan_end_year(self.documents[e.hit.chunk.doc_id].meta.title)}
            and not self.cues.is_history(e.quote, e.hit.chunk.section_path) for e in chosen)

    def asks_how_much(self, query: Query) -> bool:
        texts = (query.search, query.text)
        if self.ask_cues is not None:  # “年份是多少” asks a time, not an amount the evidence must state
            texts = tuple(self.ask_cues.without_kind_asks(t, "time") for t in texts)
        return any(HOW_MUCH.search(t) for t in texts)

    def answering(self, query: Query, evidence: list[Evidence]) -> list[Evidence]:
        """Evidence that can answer a question asking “how much” at all: it states a quantity
        (a number that is not a year) and names the question's most specific word. Words no
        plan uses (森林覆盖率) are left to the abstention decision, which weighs them."""
        if not self.asks_how_much(query):
            return evidence
        for word in self.words.focus_words(query.search):
            evidence = [e for e in evidence if word in self.layout.paragraph_of(e.hit.chunk)]
        canonical = self.words.segmenter.canonical
        for indicator in self.cues.indicators_named(query.search, canonical) if self.cues is not None else ():
            # 单位GDP能耗 is not answered by 单位GDP二氧化碳排放, however alike the sentences; a
            # sentence naming no listed indicator may spell this one in words the list lacks
            evidence = [e for e in evidence if indicator in (named := self.cues.indicators_named(
                f"{e.hit.chunk.context}{e.quote}", canonical)) or not named]
        return [e for e in evidence if states_quantity(e.quote)]

    def other_indicator(self, query: Query, ranked: list[Evidence]) -> bool:
        """An amount is asked of an indicator (能耗强度) that none of the best sentences names,
        while they name another (碳排放强度): the plan states another indicator, not this one."""
        if self.cues is None or not self.asks_how_much(query):
            return False
        canonical = self.words.segmenter.canonical
        asked = set(self.cues.indicators_named(query.search, canonical))
        if not asked:
            return False
        named = [set(self.cues.indicators_named(f"{e.hit.chunk.context}{e.quote}", canonical))
                 for e in ranked[:INDICATOR_CANDIDATES]]
        return not any(n & asked for n in named) and any(n - asked for n in named)

    def choose(self, evidence: list[Evidence], limit: int) -> list[Evidence]:
        best = evidence[0]
        chosen = [best]
        for e in evidence[1:]:
            if len(chosen) >= limit:
                break
            if e.score >= NEAR_BEST * best.score and e.coverage >= self.min_coverage and not any(
                    overlaps(e, c) for c in chosen):
                chosen.append(e)
        # the best sentence first (配电系统…推广应用哪些: the 配电系统 sentence, then those of other devices)
        return [best, *sorted(chosen[1:], key=lambda e: (e.hit.chunk.doc_id, e.start))]

    def features(self, query: Query, hits: list[Hit], ranked: list[Evidence],
                 evidence: list[Evidence]) -> EvidenceFeatures:
        """The measurements the abstention decision weighs (see abstain.EvidenceFeatures)."""
        best = (evidence or ranked or [None])[0]
        focus = self.words.focus_words(query.search)
        paragraph = self.layout.paragraph_of(best.hit.chunk) if best else ""
        if best is None:
            agreement = 0.0
        else:
            agreement = sum(0.5 for r in (best.hit.lexical_rank, best.hit.dense_rank) if r and r <= AGREEMENT_RANK)
        quotes = f"{best.quote} {best.hit.chunk.context}" if best else ""
        unknown = self.words.unknown_words(query.search)
        sentence = self.words.compared(quotes)
        row = best is not None and best.hit.chunk.kind == "table_row"  # its unit is in the caption, once
        kind_text = quotes if row else (best.quote if best else "")
        kind_asked, kind_held = self.ask_cues.kind_held(query.text, kind_text, named_units=not row) \
            if self.ask_cues is not None else (False, True)
        return EvidenceFeatures(
            coverage=ranked[0].coverage if ranked else 0.0,
            answering_coverage=evidence[0].coverage if evidence else 0.0,
            has_answering=float(bool(evidence)),
            how_much=float(self.asks_how_much(query)),
            unknown_words=float(min(2, len(unknown))),
            focus_share=(sum(1 for w in focus if w in paragraph) / len(focus)) if focus else 1.0,
            dense_top=max((h.dense_score or 0.0 for h in hits), default=0.0),
            agreement=agreement,
            quantity=float(bool(best) and states_quantity(best.quote)),
            year_held=float(years_held(query, quotes)),
            focus_in_sentence=(sum(1 for w in focus if w in sentence) / len(focus)) if focus else 1.0,
            kind_asked=float(kind_asked),
            kind_held=float(kind_held),
            rule=float(bool(evidence) and evidence[0].coverage >= RULE_COVERAGE and not unknown))
