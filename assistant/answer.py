"""answer: hits -> an extractive Answer made of the plan's own sentences, with sources.

No LLM: the answer is the best-supported sentences, quoted verbatim, each with a marker
[n] that points to its Source. A number the quotes do not contain can never appear,
and `check_numbers` enforces it. When the evidence does not cover the question, the
answer says 规划中未找到 and `found` is False.
"""

from __future__ import annotations

import bisect
import copy
import dataclasses
import re
from dataclasses import dataclass
from functools import cached_property

from .abstain import ANSWERED, RELATED, RULE_COVERAGE, AbstentionModel, EvidenceFeatures
from .abstain import NOT_FOUND as NOT_FOUND_STATE
from .errors import InternalCheckError
from .grams import PATTERN_MAX, has_key, wildcards, word_key
from .grams import key as gram_key
from .segment import BIGRAM_MARK, bigrams
from .text import (
    collapse,
    number_occurs,
    other_period,
    plan_end_year,
    sentence_spans,
    squash,
    unsupported_numbers,
)
from .types import SECTION_SEPARATOR, Answer, Block, Document, Hit, ParsedDocument, Query, Source
from .understand import title_words

NOT_FOUND = "规划中未找到与该问题直接相关的内容。"
RELATED_HEAD = "规划中未找到直接回答，以下原文可能相关："
RELATED_SENTENCES = 2
AGREEMENT_RANK = 5  # both retrievers rank the best passage this high: they agree
NOT_FOUND_YEAR = "规划中未找到该年份的相关目标或表述。"
PREMISE_MISMATCH = "注意：问题中的数值与规划不一致，规划原文如下："
QUANTITY_ASK = re.compile(r"多少|几|比例|比重|占比|率|目标|指标|达到|降低|下降|控制|%|％|百分")
_ASCII_DIGIT = re.compile(r"\d")
_NUMBER_WORD = re.compile(r"[\d.%％]+")  # a value or a year, not a term such as PM2.5 or CO2
_PREMISE_NUMBER = re.compile(r"(?!(?:19|20)\d{2}$)\d+(?:\.\d+)?%?")  # 3.76, 50%: not a year
AMOUNT_ASK = re.compile(r"多少|几家|百分之|多大|多高")  # amounts (not 分别是啥, which asks names)
# 哪两个, 哪三项: the count of a “which” ask is how many the answer names, no word it must hold
_WHICH_COUNT = re.compile(r"(?<=哪)[一二两三四五六七八九十]+(?=[个项条类种家点块部])")
HOW_MUCH = re.compile(r"多少|(?<!哪)几[家个项条年%％]|百分之几|多大|多高|多低")  # 哪几个 asks which
_YEAR_NUMBER = re.compile(r"(?<!\d)20\d{2}(?=\s*年)")
SENTENCES_PER_HIT = 12
# a sentence scoring this share of the best one's is quoted beside it (up to the sentence limit):
# a rewording moves scores a little, and a narrower margin let it drop a sentence the original kept
# (chosen on dev batch l before it joined dev: 0.8/0.7/0.6/0.5 gave rewording agreement .79/.79/.81/.79)
NEAR_BEST = 0.6
RELATED_MIN_CHARS = 5  # a shared stem (增加值能耗) of at least this many characters
RELATED_IN_SECTOR = 0.6  # SequenceMatcher ratio of two indicator names within one sector
RELATED_ACROSS_SECTORS = 0.75
OVERVIEW_ITEMS = 12
TASK_SENTENCES = 16  # per answer, shared among the sector's sections
TASK_MIN_SENTENCES = 3
LIST_SENTENCES = 5
TITLE_MAX_CHARS = 16
PAST_WEIGHT = 0.6  # a review-of-the-past sentence, when the question asks what the plan wants
YEAR_MISSING_WEIGHT = 0.7  # a sentence that holds none of the years the question names
FOCUS_MISSING_WEIGHT = 0.9  # a sentence without every one of the question's rarest words
NEIGHBOUR_CREDIT = 0.5
GRAM_MAX = 3  # _in_corpus compares words by character triples
SCOPES_KEPT = 8  # plan selections whose composers (with their statistics) stay in memory
RARE_DF = 3  # a word in at most this many passages is specific enough to be required
OVERVIEW_WORDS = frozenset({"专栏", "栏目", "指标", "项目", "内容", "包括", "方面", "重点", "措施", "工程"})
REFERENCE = re.compile(r"(专栏|表)\s*(\d+)")
PART_MISSING = "问题的其余部分，规划中未找到相关内容。"
NO_SUCH_PART = "规划中未找到问题所说的{kind}，请核对编号。"
ENUMERATION = re.compile(r"^\s*(?:[一二三四五六七八九十]是|其[一二三四五六七八九十][，,、]|首先|[（(]\d+[）)])")
ENUMERATED_ITEMS = 6  # items quoted after a sentence that announces them
LEAD_MAX = 20  # a paragraph's lead sentence (a task's name run into it) is at most this long
NOTE_TASK_SENTENCES = 2  # of each task a department's note covers: its opening sentences


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


# a place's suffixes (understand._REGION_SUFFIX less 区, which 城区 and 园区 end with too);
# 城镇, tagged a place as well, has none of them and names no place
PLACE_SUFFIXES = ("省", "市", "县", "州", "盟", "旗", "地区")


def _years_held(query: Query, text: str) -> bool:
    """The text states the year the question asks for: the year it asks an amount for (到2030年
    …比2025年), or else any year it names."""
    if query.target_year:
        return number_occurs(query.target_year, text)
    return not query.years or any(number_occurs(y, text) for y in query.years)


class Composer:
    def __init__(self, documents: dict[str, Document], parsed: dict[str, ParsedDocument], index,
                 segmenter, max_sentences: int, min_coverage: float, cues=None,
                 abstention: AbstentionModel | None = None, ask_cues=None,
                 cue_words: frozenset[str] = frozenset(), departments: frozenset[str] = frozenset()):
        self.documents = documents
        # words the project's own data files name (从上到下, 工信局): never a word no plan holds
        self.cue_words = frozenset(c for c in cue_words if len(c) >= 2)
        self.departments = frozenset(d for d in departments if len(d) >= 2)
        self.abstention = abstention
        self.ask_cues = ask_cues  # AskCues: what kind of answer a question asks (a time, money, a unit)
        self.cues = cues  # TargetCues: tells the plan's asks from its review of the past
        self.parsed = parsed
        self._paragraphs: dict[str, str] = {}
        self._focus_memo: tuple[str, list[str]] = ("", [])  # one question's focus words: three stages ask for them
        self.table_headers = {(doc_id, b.section_path): b for doc_id, p in parsed.items()
                              for b in p.blocks if b.kind == "table_header"}
        self.index = index
        self.stats = index.statistics()  # word weights and vocabulary: of the plans asked (see within)
        self.scope_docs: frozenset[str] | None = None
        self.plan_words: frozenset[str] = frozenset()
        self.segmenter = segmenter
        self.max_sentences = max_sentences
        self.min_coverage = min_coverage

    def within(self, docs: frozenset[str] | None, plan_words: frozenset[str] = frozenset()) -> Composer:
        """This composer for a question asked of the plans in `docs`: its words are weighed,
        and known or unknown, by those plans alone, and `plan_words` (the names by which the
        question chose them: 安徽省, 塔城) weigh nothing, since the choice already holds them."""
        if docs is None or set(self.documents) <= set(docs):
            return self
        key = (frozenset(docs), plan_words)
        scoped = self._scoped.get(key)
        if scoped is None:
            scoped = copy.copy(self)
            for derived in ("_scoped_grams", "_scoped_patterns", "_scoped"):
                scoped.__dict__.pop(derived, None)
            scoped.stats, scoped.scope_docs, scoped.plan_words = self.index.statistics(key[0]), key[0], plan_words
            if len(self._scoped) >= SCOPES_KEPT:
                self._scoped.pop(next(iter(self._scoped)))
            self._scoped[key] = scoped
        return scoped

    @cached_property
    def _scoped(self) -> dict:
        return {}

    def compose(self, query: Query, hits: list[Hit], scope: Block | None = None, scope_doc: str = "") -> Answer:
        """Quote the sentences that answer. With a scope (the heading of a 专栏 or 表 the
        question names), the hits are that section's chunks and the answer always quotes
        its heading; with nothing specific asked, it lists the section's items. Otherwise
        one calibrated decision (abstain.py) says whether the best evidence answers: then
        it is quoted; if it may only relate, it is shown as related; else 规划中未找到."""
        ranked = self.rank_evidence(query, hits)
        evidence = self._answering(query, ranked)
        confidence, state, features = 1.0, ANSWERED, None
        overview = scope is not None and self._asks_overview(query.text)
        if scope is not None and not overview and not evidence and ranked and self._asks_how_much(query):
            # an amount asked of a 专栏 (投多少钱) that none of its sentences states: its list is no answer
            return self._not_found(query, hits, NOT_FOUND)
        if scope is not None and (overview or not evidence or evidence[0].coverage < self.min_coverage):
            chosen = self._overview(hits)
        else:
            features = self.features(query, hits, ranked, evidence)
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
                return self._not_found(query, hits, NOT_FOUND, confidence, features)
            chosen = self._with_items(self._choose(evidence or ranked,
                                                   LIST_SENTENCES if query.intent == "list" else self.max_sentences),
                                      leads=query.intent == "list")
        quotes = " ".join(e.quote for e in chosen) + " " + " ".join(e.hit.chunk.context for e in chosen)
        if not _years_held(query, quotes) and not self._by_plan_end(query, chosen):
            return self._not_found(query, hits, NOT_FOUND_YEAR)
        sources: list[Source] = []
        lines = []
        if scope is not None:
            heading = span_source(self.documents[scope_doc], scope.section_path, scope.start, scope.end,
                                  "问题所指的栏目标题")
            lines.append(f"{heading.quote}[{_cite(sources, heading)}]{_where(heading.section)}"
                         f"{plan_label(self.documents[scope_doc], len(self.documents))}")
        for e in chosen:
            marks = [_cite(sources, self._source(e))]
            header = self._header_of(e.hit.chunk)
            if header:
                marks.append(_cite(sources, header))
            where = "" if scope is not None else _where(e.hit.chunk.section)
            label = plan_label(self.documents[e.hit.chunk.doc_id], len(self.documents))
            lines.append(f"· {self._reading(e)}" + "".join(f"[{m}]" for m in marks) + where + label)
        head = "规划原文如下："
        if query.numbers and not any(number_occurs(n, " ".join(s.quote for s in sources))
                                     for n in query.numbers):
            head = PREMISE_MISMATCH
        text = "\n".join([head, *lines])
        check_numbers(text, [s.quote for s in sources])
        return Answer(question=query.text, text=text, found=True, sources=tuple(sources),
                      intent=query.intent, hits=tuple(hits), state=ANSWERED, confidence=confidence,
                      features=features)

    def _with_items(self, chosen: list[Evidence], leads: bool = False) -> list[Evidence]:
        """A chosen sentence that announces a list (“形成了“两群三带”产业布局结构。”) is
        quoted with the items that follow it in its passage (一是…、二是…、（1）…). With
        `leads` (a list asked), a paragraph's lead sentence (“开展公共机构绿色办公行动。”, a
        task named in a few words before its body) is quoted with the body that follows."""
        taken = list(chosen)
        items: dict[int, list[Evidence]] = {}
        for n, e in enumerate(chosen):
            if ENUMERATION.match(e.quote):
                continue  # an item itself, not the sentence before the items
            text = self.documents[e.hit.chunk.doc_id].text
            block = self._block_at(e.hit.chunk)  # the items run on to the paragraph's end, past the chunk's
            paragraph_end = max(e.hit.chunk.end, block.end if block else 0)
            following = [span for span in _with_titles(sentence_spans(text, e.hit.chunk.start, paragraph_end))
                         if span[0] >= e.end]
            lead = leads and block is not None and self._is_lead(text, block, e)
            for start, end in following[:ENUMERATED_ITEMS]:
                if not lead and not ENUMERATION.match(text[start:end]):
                    break
                item = Evidence(e.hit, start, end, collapse(text[start:end]), e.coverage, e.score)
                if not any(_overlaps(item, c) for c in taken):
                    taken.append(item)
                    items.setdefault(n, []).append(item)
        # in the order chosen (the best first), each sentence followed by its items
        return [x for n, e in enumerate(chosen) for x in (e, *items.get(n, ()))]

    @staticmethod
    def _is_lead(text: str, block: Block, e: Evidence) -> bool:
        """The sentence opens its paragraph and names a task in a few words (no comma: a
        title run into the paragraph, not a sentence of its body)."""
        if text[block.start:e.start].strip():
            return False
        first = e.quote.strip().split("。")[0]
        return len(first) <= LEAD_MAX and not any(c in first for c in "，,；;：:")

    def _decide(self, features: EvidenceFeatures, evidence: list[Evidence]) -> tuple[float, str]:
        if self.abstention is None:  # no fitted model: the coverage rule it grew out of
            return features.rule, (ANSWERED if features.rule else NOT_FOUND_STATE)
        return self.abstention.decide(features)

    def features(self, query: Query, hits: list[Hit], ranked: list[Evidence],
                 evidence: list[Evidence]) -> EvidenceFeatures:
        """The measurements the abstention decision weighs (see abstain.EvidenceFeatures)."""
        best = (evidence or ranked or [None])[0]
        focus = self._focus_words(query.search)
        paragraph = self._paragraph_of(best.hit.chunk) if best else ""
        if best is None:
            agreement = 0.0
        else:
            agreement = sum(0.5 for r in (best.hit.lexical_rank, best.hit.dense_rank) if r and r <= AGREEMENT_RANK)
        quotes = f"{best.quote} {best.hit.chunk.context}" if best else ""
        unknown = self._unknown_words(query.search)
        sentence = self._compared(quotes)
        row = best is not None and best.hit.chunk.kind == "table_row"  # its unit is in the caption, once
        kind_text = quotes if row else (best.quote if best else "")
        kind_asked, kind_held = self.ask_cues.kind_held(query.text, kind_text, named_units=not row) \
            if self.ask_cues is not None else (False, True)
        return EvidenceFeatures(
            coverage=ranked[0].coverage if ranked else 0.0,
            answering_coverage=evidence[0].coverage if evidence else 0.0,
            has_answering=float(bool(evidence)),
            how_much=float(self._asks_how_much(query)),
            unknown_words=float(min(2, len(unknown))),
            focus_share=(sum(1 for w in focus if w in paragraph) / len(focus)) if focus else 1.0,
            dense_top=max((h.dense_score or 0.0 for h in hits), default=0.0),
            agreement=agreement,
            quantity=float(bool(best) and _states_quantity(best.quote)),
            year_held=float(_years_held(query, quotes)),
            focus_in_sentence=(sum(1 for w in focus if w in sentence) / len(focus)) if focus else 1.0,
            kind_asked=float(kind_asked),
            kind_held=float(kind_held),
            rule=float(bool(evidence) and evidence[0].coverage >= RULE_COVERAGE and not unknown))

    def _related(self, query: Query, hits: list[Hit], ranked: list[Evidence], confidence: float,
                 features: EvidenceFeatures) -> Answer:
        """No direct answer, but passages that may help: shown as such, found = False."""
        sources: list[Source] = []
        lines = []
        for e in self._choose(ranked, RELATED_SENTENCES):
            marks = [_cite(sources, self._source(e))]
            if header := self._header_of(e.hit.chunk):
                marks.append(_cite(sources, header))
            label = plan_label(self.documents[e.hit.chunk.doc_id], len(self.documents))
            lines.append(f"· {self._reading(e)}" + "".join(f"[{m}]" for m in marks)
                         + f"{_where(e.hit.chunk.section)}{label}")
        text = "\n".join([RELATED_HEAD, *lines])
        check_numbers(text, [s.quote for s in sources])
        return Answer(question=query.text, text=text, found=False, sources=tuple(sources), intent=query.intent,
                      hits=tuple(hits), state=RELATED, confidence=confidence, features=features)

    def with_text(self, table_answer: Answer, query: Query, hits: list[Hit]) -> Answer:
        """A table (or targets list) answer followed by what the plan's text says about the
        same thing, when the text answers too (its sentences, not the table's own rows, nor
        a sentence the answer already quotes)."""
        text = self.compose(query, [h for h in hits if h.chunk.kind != "table_row"])
        if not text.found:
            return table_answer
        sources = list(table_answer.sources)
        lines = []
        for line in text.text.splitlines()[1:]:
            markers = [int(m) for m in re.findall(r"\[(\d+)\]", line)]
            if markers and all(_quoted_already(text.sources[m - 1], table_answer.sources) for m in markers):
                continue  # a sentence the list already quotes
            lines.append(_renumber(line, {m: _cite(sources, text.sources[m - 1]) for m in markers}))
        if not lines:
            return table_answer
        body = "\n".join([table_answer.text, "正文中的相关表述：", *lines])
        check_numbers(body, [s.quote for s in sources])
        return dataclasses.replace(table_answer, text=body, sources=tuple(sources))

    def compose_parts(self, query: Query, parts: list[tuple[Query, list[Hit]]]) -> Answer:
        """One answer to a question in several parts: each part's best sentences, quoted
        once; a part the plan does not answer is said to be missing."""
        answers = [self.compose(part, hits) for part, hits in parts]
        found = [a for a in answers if a.found]
        if not found:
            # no part answered: the first part's own answer (related passages keep their sources)
            return dataclasses.replace(answers[0], question=query.text, intent=query.intent)
        sources: list[Source] = []
        lines = []
        for answer in found:
            for line in answer.text.splitlines()[1:]:
                markers = [int(m) for m in re.findall(r"\[(\d+)\]", line)]
                renumbered = {m: _cite(sources, answer.sources[m - 1]) for m in markers}
                line = _renumber(line, renumbered)
                if line not in lines:
                    lines.append(line)
        head = PREMISE_MISMATCH if any(a.text.startswith(PREMISE_MISMATCH) for a in found) else "规划原文如下："
        if len(found) < len(answers):
            lines.append(PART_MISSING)
        text = "\n".join([head, *lines])
        check_numbers(text, [s.quote for s in sources])
        return Answer(question=query.text, text=text, found=True,
                      sources=tuple(sources), intent=query.intent, hits=tuple(_merged(hits for _, hits in parts)))

    def compose_sections(self, query: Query, sections: list) -> Answer:
        """What the plan asks of a sector: each of its sections, heading first, then its
        sentences in order (fewer per section when the sector spans many)."""
        if not sections:
            return self._not_found(query, [], NOT_FOUND)
        per_section = max(TASK_MIN_SENTENCES, TASK_SENTENCES // len(sections))
        sources: list[Source] = []
        lines = []
        for heading, doc_id, chunks in sections:
            head = span_source(self.documents[doc_id], heading.section_path, heading.start, heading.end,
                               "该领域的章节")
            lines.append(f"{SECTION_SEPARATOR.join(heading.section_path)}[{_cite(sources, head)}]"
                         f"{plan_label(self.documents[doc_id], len(self.documents))}")
            text = self.documents[doc_id].text
            spans = [(c, s) for c in sorted(chunks, key=lambda c: c.start) if c.kind != "table_row"
                     for s in _with_titles(sentence_spans(text, c.start, c.end))]
            for chunk, (start, end) in spans[:per_section]:
                hit = Hit(chunk=chunk, score=1.0, rank=len(sources))
                source = self._source(Evidence(hit, start, end, collapse(text[start:end]), 0.0, 0.0))
                lines.append(f"· {source.quote}[{_cite(sources, source)}]")
            if len(spans) > per_section:
                lines.append(f"  （本节还有更多内容，可在原文中查看“{heading.section_path[-1]}”。）")
        intro = f"规划中与“{query.department or query.sector}”有关的章节及原文如下："
        if query.department:
            intro += "（规划不点名部门，部门与领域的对应来自本地对照表）"
        text = "\n".join([intro, *lines])
        check_numbers(text, [s.quote for s in sources])
        return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent=query.intent)

    def _overview(self, hits: list[Hit]) -> list[Evidence]:
        """The opening sentence (with its item title) of each paragraph or row of a section,
        in document order: what a 专栏 or 表 lists."""
        out = []
        for hit in sorted(hits, key=lambda h: h.chunk.start):
            text = self.documents[hit.chunk.doc_id].text
            if hit.chunk.kind != "table_row" and not self._starts_paragraph(hit.chunk):
                continue
            start, end = (hit.chunk.start, hit.chunk.end) if hit.chunk.kind == "table_row" else \
                _with_titles(sentence_spans(text, hit.chunk.start, hit.chunk.end))[0]
            out.append(Evidence(hit, start, end, collapse(text[start:end]), 0.0, 0.0))
        return out[:OVERVIEW_ITEMS]

    def _asks_overview(self, question: str) -> bool:
        """“专栏5讲啥”, “表2列了哪些指标”: nothing asked but what the section holds."""
        rest = REFERENCE.sub("", question)
        words = [w for w in self.segmenter.terms(rest) if len(w) > 1 and w not in OVERVIEW_WORDS]
        return len(words) <= 1

    def _starts_paragraph(self, chunk) -> bool:
        return (chunk.doc_id, chunk.start) in self._block_starts

    @cached_property
    def _block_starts(self) -> set[tuple[str, int]]:
        return {(doc_id, b.start) for doc_id, p in self.parsed.items() for b in p.blocks}

    @cached_property
    def _paragraph_blocks(self) -> dict[str, tuple[list[int], list[Block]]]:
        """Per plan, its paragraphs and rows by start, for finding a chunk's paragraph by bisection."""
        out = {}
        for doc_id, p in self.parsed.items():
            blocks = sorted((b for b in p.blocks if b.kind in ("paragraph", "front", "table_row")), key=lambda b: b.start)
            out[doc_id] = ([b.start for b in blocks], blocks)
        return out

    def _reading(self, e: Evidence) -> str:
        """How a quoted sentence is shown: as it stands; a table row with each value read
        with its column and unit (“规模以上工业增加值能耗累计降幅：16%（2025 年目标值）”, not
        “… % 16”), the row and its header cited beside it."""
        chunk = e.hit.chunk
        header = self.table_headers.get((chunk.doc_id, chunk.section_path)) if chunk.kind == "table_row" else None
        row = self._block_at(chunk) if header is not None else None
        if row is None or not row.cells or not header.cells:
            return e.quote
        from .structure import row_cells

        cells = row_cells(header.cells, row.cells)
        return f"{row.cells[0]}：{'；'.join(cells)}" if cells else e.quote

    def _block_at(self, chunk) -> Block | None:
        """The paragraph or row block a chunk was cut from."""
        starts, blocks = self._paragraph_blocks[chunk.doc_id]
        at = bisect.bisect_right(starts, chunk.start) - 1
        return blocks[at] if at >= 0 and blocks[at].start <= chunk.start < blocks[at].end else None

    def _header_of(self, chunk) -> Source | None:
        """A table row's header line: it names the columns (years, units) the row's numbers fill."""
        if chunk.kind != "table_row":
            return None
        block = self.table_headers.get((chunk.doc_id, chunk.section_path))
        return block and span_source(self.documents[chunk.doc_id], chunk.section_path, block.start, block.end, "表头",
                                     table_header=True)

    def rank_evidence(self, query: Query, hits: list[Hit]) -> list[Evidence]:
        weights = self._weights(query.search)
        quantity = bool(QUANTITY_ASK.search(query.search))
        top_score = max((h.score for h in hits), default=1.0)
        prefer_plan = self.cues is not None and not self.cues.asks_past(query.search)  # a part asks for itself
        focus = self._focus_words(query.search)
        evidence = []
        for hit in hits:
            text = self.documents[hit.chunk.doc_id].text
            spans = ([(hit.chunk.start, hit.chunk.end)] if hit.chunk.kind == "table_row"
                     else _with_titles(sentence_spans(text, hit.chunk.start, hit.chunk.end))[:SENTENCES_PER_HIT])
            around = set(self.segmenter.tokens(hit.chunk.text))
            for start, end in spans:
                quote = collapse(text[start:end])
                tokens = set(self.segmenter.tokens(f"{hit.chunk.context} {quote}"))
                coverage = _coverage(weights, tokens, around)
                score = coverage * (1 + 0.3 * hit.score / top_score)
                if quantity and _ASCII_DIGIT.search(quote):
                    score += 0.1
                if prefer_plan and self.cues.is_history(quote, hit.chunk.section_path):
                    score *= PAST_WEIGHT  # “十四五要淘汰…” asks the plan, not its review of 十三五
                if not _years_held(query, f"{hit.chunk.context} {quote}"):
                    score *= YEAR_MISSING_WEIGHT  # “2020年…占比” is answered by a sentence of 2020
                if other_period(query.search, f"{hit.chunk.context} {quote}"):
                    score *= YEAR_MISSING_WEIGHT  # a 十三五 question, a “十四五”时期 target
                if focus and not self._holds_focus(focus, f"{hit.chunk.context}{quote}"):
                    score *= FOCUS_MISSING_WEIGHT  # 配电系统…推广应用哪些: the 配电系统 sentence, not any 推广应用
                evidence.append(Evidence(hit, start, end, quote, coverage, score))
        evidence.sort(key=lambda e: -e.score)
        seen: set[str] = set()  # a sentence the plan repeats word for word is quoted once
        return [e for e in evidence if not (squash(e.quote) in seen or seen.add(squash(e.quote)))]

    def _by_plan_end(self, query: Query, chosen: list[Evidence]) -> bool:
        """The year asked is the last of the plan's period (到2025年… of a 2021-2025 plan) and
        every chosen sentence says what the plan asks, not what was done: the plan's tasks
        are all due by then, stated with the year or not. Not for an amount asked."""
        if self._asks_how_much(query) or self.asks_amount(query):
            return False  # an amount “by 2025” is one the plan states for 2025
        asked = {query.target_year} if query.target_year else set(query.years)
        return bool(chosen and self.cues is not None) and all(
            asked == {plan_end_year(self.documents[e.hit.chunk.doc_id].meta.title)}
            and not self.cues.is_history(e.quote, e.hit.chunk.section_path) for e in chosen)

    def _holds_focus(self, focus: list[str], text: str) -> bool:
        sentence = self._compared(text)
        return all(w in sentence for w in focus)

    def _compared(self, text: str) -> str:
        """`text` as question words are looked for in it: no whitespace, synonyms unified, lower case."""
        return self.segmenter.canonical(squash(text)).lower()

    def asks_amount(self, query: Query) -> bool:
        """The question asks for amounts (多少, 几家, 各自 …)."""
        return bool(AMOUNT_ASK.search(query.text))

    def _asks_how_much(self, query: Query) -> bool:
        texts = (query.search, query.text)
        if self.ask_cues is not None:  # “年份是多少” asks a time, not an amount the evidence must state
            texts = tuple(self.ask_cues.without_kind_asks(t, "time") for t in texts)
        return any(HOW_MUCH.search(t) for t in texts)

    def _answering(self, query: Query, evidence: list[Evidence]) -> list[Evidence]:
        """Evidence that can answer a question asking “how much” at all: it states a quantity
        (a number that is not a year) and names the question's most specific word. Words no
        plan uses (森林覆盖率) are left to the abstention decision, which weighs them."""
        if not self._asks_how_much(query):
            return evidence
        for word in self._focus_words(query.search):
            evidence = [e for e in evidence if word in self._paragraph_of(e.hit.chunk)]
        return [e for e in evidence if _states_quantity(e.quote)]

    def _focus_words(self, question: str) -> list[str]:
        memo = self._focus_memo  # read once: another thread may set it for its own question
        if memo[0] != question:
            memo = self._focus_memo = (question, self._specific_words(question))
        return list(memo[1])

    def _specific_words(self, question: str) -> list[str]:
        """The question's specific subject words (nouns: not 每年, 两个, 平均): the rarest one,
        and every word as rare as a word found in only a handful of passages. Words no plan holds (补贴, or a typo) are left
        to coverage, which they already lower."""
        idf, unseen = self.stats.idf, self.stats.unseen_idf()
        rare = self.stats.idf_for_df(RARE_DF)
        words = [w for w in self.segmenter.content_terms(question, nouns=True) if len(w) > 1
                 and not _ASCII_DIGIT.search(w) and w not in self.plan_words and self._in_corpus(w)]
        if not words:
            return []
        rarest = max(words, key=lambda w: (idf.get(w, unseen), len(w)))
        places = self.places(question)  # 沙湾市的目标 is not answered by the whole region's
        return list(dict.fromkeys([rarest, *(w for w in words if idf.get(w, unseen) >= rare or w in places)]))

    def places(self, question: str) -> set[str]:
        """Place names the question holds — tagged ns and written with a region's suffix (沙湾市,
        托里县; not 城镇), or named without the suffix the plans give it (乌苏 for 乌苏市) — other
        than those naming the plans."""
        q = squash(question)
        return {w for w, tag in self.segmenter.tagged_terms(question) if tag == "ns" and w not in self._title_words
                and (w.endswith(PLACE_SUFFIXES) or any(w + suffix in q or self._in_corpus(w + suffix)
                                                       for suffix in PLACE_SUFFIXES))}

    @cached_property
    def _title_words(self) -> frozenset[str]:
        return title_words(self.documents, self.segmenter)

    def _paragraph_of(self, chunk) -> str:
        """The whole paragraph (or row) a chunk was cut from, with its context, as compared."""
        if chunk.id not in self._paragraphs:
            text = self.documents[chunk.doc_id].text
            block = self._block_at(chunk)
            span = text[block.start:block.end] if block else chunk.text
            self._paragraphs[chunk.id] = self._compared(f"{chunk.context}{span}")
        return self._paragraphs[chunk.id]

    def _unknown_words(self, question: str) -> list[str]:
        """Content words (not 往外, 每年: see Segmenter.content_terms; not 是从, made of function
        characters) no plan holds in any part (no character pair of theirs occurs), and
        that are no one-character typo of a known word either (“公公机构” is 公共机构
        mistyped; “森林” is simply not in the plan; “大规模” is made of known words)."""
        idf = self.stats.idf
        return [w for w in self.segmenter.content_terms(question)
                if len(w) > 1 and not _NUMBER_WORD.fullmatch(w) and w not in self.plan_words and not self._in_corpus(w)
                and not any(b in idf for b in bigrams(w))
                and not self._near_known_word(w) and not self._in_data(w, question)
                and not self.segmenter.is_function_phrase(w)]

    def _in_data(self, word: str, question: str) -> bool:
        """A piece of a cue the question asks by (一年 of 哪一年, 从上到下), or of a department
        (工信局, 事务局 of 机关事务局): words the data files name, never a word no plan holds."""
        return (any(word in cue and cue in question for cue in self.cue_words)
                or any(word in name for name in self.departments))

    def _in_corpus(self, word: str) -> bool:
        """The plans print `word` (as compared: synonyms unified, no whitespace): every
        character pair and triple of it occurs in them. Lookups in the build's table."""
        word = self.segmenter.canonical(word).lower()
        if len(word) <= GRAM_MAX:
            return bool(word) and self._printed(word)
        return all(self._printed(word[i:i + GRAM_MAX]) for i in range(len(word) - GRAM_MAX + 1))

    def _printed(self, gram: str) -> bool:
        """The plans asked of (all: the build's table) print this character, pair or triple."""
        if self.scope_docs is not None:
            return gram in self._scoped_grams
        return gram_key(gram) in self.index.grams

    @cached_property
    def _scoped_grams(self) -> set[str]:
        """Every character pair and triple of the chosen plans (a composer `within` some
        plans; the whole index's are the build's table)."""
        grams: set[str] = set()
        for doc_id in sorted(self.scope_docs or ()):
            text = self._compared(self.documents[doc_id].text)
            for n in range(1, GRAM_MAX + 1):
                grams.update(text[i:i + n] for i in range(len(text) - n + 1))
        return grams

    @cached_property
    def _scoped_patterns(self) -> set[str]:
        """The chosen plans' index words with one character blanked."""
        return {p for t in self.stats.idf if not t.startswith(BIGRAM_MARK) and len(t) <= PATTERN_MAX
                for p in wildcards(t)}

    def _near_known_word(self, word: str) -> bool:
        """A word one character away from an index word (公公机构 for 公共机构)."""
        if len(word) > PATTERN_MAX:
            return False
        if self.scope_docs is not None:
            return any(p in self._scoped_patterns for p in wildcards(word))
        return any(has_key(self.index.word_patterns, word_key(p)) for p in wildcards(word))

    def chunk_coverage(self, question: str, chunk) -> float:
        return _coverage(self._weights(question), set(self.segmenter.tokens(chunk.search_text)))

    def _weights(self, question: str) -> dict[str, float]:
        """IDF weight of each question token. A word no passage holds weighs above any
        other, once: its bigrams, equally unknown, are not counted again. A number the
        question states (3.76, 50) is a premise, checked against the quotes (PREMISE_MISMATCH),
        not a word the evidence must share; a year is weighed (and checked as year_held)."""
        idf, unseen = self.stats.idf, self.stats.unseen_idf()
        question = _WHICH_COUNT.sub("", question)
        tokens = [t for t in self.segmenter.query_tokens(question) if t not in self.plan_words
                  and not _PREMISE_NUMBER.fullmatch(t.lstrip(BIGRAM_MARK))]
        unknown = {t for t in tokens if not t.startswith(BIGRAM_MARK) and t not in idf}
        skip = {b for w in unknown for b in bigrams(w)}
        # a piece of a cue (一年 of 哪一年) asks, and a department no plan prints (工信局) is asked
        # of through its sector: neither is a word the evidence must hold
        skip |= {w for w in unknown if self._in_data(w, question)}
        return {t: idf.get(t, unseen) for t in set(tokens) if t not in skip or t in idf}

    def _choose(self, evidence: list[Evidence], limit: int) -> list[Evidence]:
        best = evidence[0]
        chosen = [best]
        for e in evidence[1:]:
            if len(chosen) >= limit:
                break
            if e.score >= NEAR_BEST * best.score and e.coverage >= self.min_coverage and not any(
                    _overlaps(e, c) for c in chosen):
                chosen.append(e)
        # the best sentence first (配电系统…推广应用哪些: the 配电系统 sentence, then those of other devices)
        return [best, *sorted(chosen[1:], key=lambda e: (e.hit.chunk.doc_id, e.start))]

    def _source(self, e: Evidence) -> Source:
        doc = self.documents[e.hit.chunk.doc_id]
        return Source(doc=doc.doc_id, title=doc.meta.title, section=e.hit.chunk.section,
                      quote=e.quote, score=e.hit.score, start=e.start, end=e.end,
                      why=why(e.hit))

    def _not_found(self, query: Query, hits: list[Hit], text: str, confidence: float = 0.0,
                   features: EvidenceFeatures | None = None) -> Answer:
        return Answer(question=query.text, text=text, found=False, sources=(), intent=query.intent,
                      hits=tuple(hits), state=NOT_FOUND_STATE, confidence=confidence, features=features)


def find_scope(question: str, parsed: dict[str, ParsedDocument], lookup=None) -> tuple[str, Block | None, str] | None:
    """(kind, heading block, doc_id) for a question that names 专栏 N or 表 N; the block is
    None when no plan has it. None when the question names neither. With `lookup`
    (structure.Lookup), the numbered headings are looked up, not searched for."""
    m = REFERENCE.search(question)
    if not m:
        return None
    kind, number = m.group(1), m.group(2)
    if lookup is not None:
        found = lookup.reference(kind, number, parsed)
        if found is None:
            return kind, None, ""
        doc_id, block = found
        text = parsed[doc_id].document.text
        path = block.section_path if block.kind == "heading" else block.section_path + (
            collapse(text[block.start:block.end]),)
        return kind, Block(block.kind, path, block.start, block.end), doc_id
    pattern = re.compile(rf"^{kind}\s*{number}(?!\d)")
    for p in parsed.values():
        for block in p.blocks:
            if block.kind in ("heading", "table_caption") and pattern.match(
                    collapse(p.document.text[block.start:block.end])):
                path = block.section_path if block.kind == "heading" else block.section_path + (
                    collapse(p.document.text[block.start:block.end]),)
                return kind, Block(block.kind, path, block.start, block.end), p.document.doc_id
    return kind, None, ""


def _coverage(weights: dict[str, float], tokens: set[str], around: set[str] = frozenset()) -> float:
    """Share of the question's weight the tokens hold; a word only the surrounding
    paragraph states (its subject, its period) counts half."""
    held = sum(w if t in tokens else NEIGHBOUR_CREDIT * w if t in around else 0.0 for t, w in weights.items())
    return held / (sum(weights.values()) or 1.0)


def _quoted_already(source: Source, sources) -> bool:
    """The answer quotes this span, or the same words where the plan prints them again."""
    said = squash(source.quote)
    return any(s.doc == source.doc and ((s.start < source.end and source.start < s.end) or said in squash(s.quote))
               for s in sources)


def _merged(rankings) -> list[Hit]:
    """The passages several searches found, each once at its best rank, ranked anew."""
    best: dict[str, Hit] = {}
    for hits in rankings:
        for hit in hits:
            if hit.chunk.id not in best or hit.rank < best[hit.chunk.id].rank:
                best[hit.chunk.id] = hit
    ranked = sorted(best.values(), key=lambda h: h.rank)  # stable: a tie keeps the first search's
    return [dataclasses.replace(h, rank=i) for i, h in enumerate(ranked, start=1)]


def _renumber(line: str, mapping: dict[int, int]) -> str:
    return re.sub(r"\[(\d+)\]", lambda m: f"[{mapping[int(m.group(1))]}]", line)


def _with_titles(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A short title sentence (“2.清洁取暖。”) is quoted together with the sentence it heads."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and out[-1][1] - out[-1][0] <= TITLE_MAX_CHARS and out[-1][1] <= start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _states_quantity(quote: str) -> bool:
    """A number that is not a year, in digits or in words (一至两个, 三家)."""
    return bool(_ASCII_DIGIT.search(_YEAR_NUMBER.sub("", quote)) or _COUNTED.search(quote))


_COUNTED = re.compile(r"[一二两三四五六七八九十百千万]+(?:[至到、][一二两三四五六七八九十百千万]+)?[个家项条座台处类]")


def why(hit: Hit) -> str:
    lexical = f"词法第 {hit.lexical_rank} 名（BM25 {hit.lexical_score:.2f}）" if hit.lexical_rank else "词法未命中"
    dense = f"语义第 {hit.dense_rank} 名（相似度 {hit.dense_score:.3f}）" if hit.dense_rank else "语义未命中"
    return f"{lexical}；{dense}；融合得分 {hit.score:.4f}，综合第 {hit.rank} 名"


def _overlaps(a: Evidence, b: Evidence) -> bool:
    return a.hit.chunk.doc_id == b.hit.chunk.doc_id and a.start < b.end and b.start < a.end


def _where(section: str) -> str:
    """The section in the answer line, as deep as the source card's: each level without its
    number (2. / （1） / 表 2), since digits in an answer must come from its quotes; a level
    with a digit in its own words is left out."""
    levels = (_LEVEL_NUMBER.sub("", p) for p in section.split(SECTION_SEPARATOR))
    parts = [p for p in levels if p and not _ASCII_DIGIT.search(p)]
    return f"（{SECTION_SEPARATOR.join(parts)}）" if parts else ""


_LEVEL_NUMBER = re.compile(r"^\s*(?:\d+\s*[.、．]|[（(]\s*\d+\s*[）)]|(?:表|专栏|图)\s*\d+)\s*")


def check_numbers(text: str, quotes: list[str]) -> None:
    missing = unsupported_numbers(text, quotes)
    if missing:
        raise NumberFaithfulnessError(f"answer states numbers its quotes lack: {missing}")


def compose_targets(query: Query, targets: list, sectors, documents: dict[str, Document],
                    registry: list | dict | None = None) -> Answer:
    """A complete list answer from the targets registry: one line per target, each cited.
    `registry` (a list, or already grouped by plan: doc id -> its targets in order) gives
    the other statements of each target's indicator; only the target's own plan is read."""
    if query.intent == "department_unknown" or (query.department and not sectors.sectors_of_department(query.department)):
        known = "、".join(sectors.departments())
        text = (f"本地的部门对照表中没有“{query.unknown_department or query.department}”。"
                f"可查询的部门有：{known}。也可以按领域提问，例如“交通领域有哪些目标？”")
        return Answer(question=query.text, text=text, found=False, intent=query.intent)
    scope = _scope(query, sectors)
    if not targets:
        return Answer(question=query.text, text=f"规划中未找到{scope}的量化目标。", found=False,
                      intent=query.intent)
    named = (query.department, query.sector, *(sectors.sectors_of_department(query.department) if query.department else ()))
    titles = tuple(documents[d].meta.title for d in dict.fromkeys(t.doc_id for t in targets))
    targets = by_question(targets, query.search, named + titles)
    sources: list[Source] = []
    lines = []
    by_doc = registry if isinstance(registry, dict) else targets_by_doc(registry or [])
    chosen_by_doc = targets_by_doc(targets)
    for target in targets:
        markers = [_cite(sources, _target_source(target, documents))]
        if target.source_kind == "table":
            markers.append(_cite(sources, _header_source(target, documents)))
        label = plan_label(documents[target.doc_id], len(documents))
        lines.append(f"· {describe(target)}{_worded(target)}" + "".join(f"[{m}]" for m in markers) + label)
        for other in related_targets(target, by_doc.get(target.doc_id, []), exclude=chosen_by_doc[target.doc_id]):
            mark = _cite(sources, _target_source(other, documents))
            lines.append(f"  另一处表述（{other.sector}领域）：{describe(other)}{_worded(other)}[{mark}]{label}")
    head = f"{scope}的量化目标如下（来自目标清单，每项附规划原文）："
    if query.department:
        head += (f"\n说明：规划本身不点名部门，以下是规划归入“{'、'.join(sectors.sectors_of_department(query.department))}”"
                 f"领域的目标；部门与领域的对应来自本地对照表。")
    text = "\n".join([head, *lines])
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent=query.intent)


MENTIONS_SHOWN = 8


def compose_mentions(query: Query, parsed: dict[str, ParsedDocument], plans_indexed: int) -> Answer:
    """What the plans write of an unmapped department's field (统计局 → 统计): every sentence
    that names it, in order, each cited; the plans give the department no tasks of its own."""
    sources: list[Source] = []
    lines = []
    for p in parsed.values():
        doc = p.document
        label = plan_label(doc, plans_indexed)
        for block in p.blocks:
            if block.kind not in ("paragraph", "table_row"):
                continue
            for start, end in sentence_spans(doc.text, block.start, block.end):
                if query.field in squash(doc.text[start:end]):
                    source = span_source(doc, block.section_path, start, end, "写到该部门所管领域的原文")
                    lines.append(f"· {source.quote}[{_cite(sources, source)}]{_where(source.section)}{label}")
    if not lines:
        return Answer(question=query.text, text=f"规划中未找到写到“{query.field}”的内容。", found=False,
                      intent=query.intent)
    more = len(lines) - MENTIONS_SHOWN
    shown = lines[:MENTIONS_SHOWN] + ([f"  （还有 {more} 处，可在原文中查看。）"] if more > 0 else [])
    sources = sources[:MENTIONS_SHOWN]
    head = (f"规划没有给“{query.field}”方面的部门单列任务（本地部门对照表中也没有该部门），"
            f"原文写到“{query.field}”的内容如下：")
    text = "\n".join([head, *shown])
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent=query.intent)


def compose_named_department(query: Query, department: str, targets: list, notes: list,
                             documents: dict[str, Document]) -> Answer:
    """What a plan itself assigns to a department: the targets in the tasks whose
    responsibility note names it, and those tasks' opening sentences, each cited with the
    plan's own note (“（省发展改革委牵头，…按职责分工负责）”)."""
    sources: list[Source] = []
    lines = []
    roles = {(n.doc_id, n.start): _role(department, n) for n in notes}
    for target in targets:
        doc = documents[target.doc_id]
        marks = [_cite(sources, _target_source(target, documents)),
                 _cite(sources, span_source(doc, target.section_path, target.note_start, target.note_end,
                                            "规划原文的责任分工说明"))]
        role = roles.get((target.doc_id, target.note_start), "配合")
        lines.append(f"· （{role}）{describe(target)}{_worded(target)}" + "".join(f"[{m}]" for m in marks)
                     + plan_label(doc, len(documents)))
    if lines:
        lines.insert(0, "量化目标：")
    tasks = []
    for note in notes:
        doc = documents[note.doc_id]
        role = _role(department, note)
        spans = sentence_spans(doc.text, note.task_start, note.start)[:NOTE_TASK_SENTENCES]
        if not spans:
            continue
        task = span_source(doc, note.section_path, spans[0][0], spans[-1][1], "该部门负责的任务")
        mark = _cite(sources, span_source(doc, note.section_path, note.start, note.end, "规划原文的责任分工说明"))
        tasks.append(f"· （{role}）{task.quote}[{_cite(sources, task)}][{mark}]"
                     f"{_where(SECTION_SEPARATOR.join(note.section_path))}{plan_label(doc, len(documents))}")
    if tasks:
        lines += ["任务：", *tasks]
    if not lines:
        return Answer(question=query.text, text=f"规划中未找到由“{department}”负责的目标或任务。", found=False,
                      intent="department_named")
    head = f"规划原文的责任分工说明中写明“{department}”负责（牵头或配合）的内容如下："
    text = "\n".join([head, *lines])
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent="department_named")


def _role(department: str, note) -> str:
    return "牵头" if any(department_matches(department, d) for d in note.leads) else "配合"


def department_matches(asked: str, named: str) -> bool:
    """A department as asked and as a plan's note writes it: the region prefix (省, 市 …)
    may be left out on either side (“发展改革委” is “省发展改革委”)."""
    return strip_region(asked) == strip_region(named)


def strip_region(name: str) -> str:
    return re.sub(r"^(省|市|自治区|区|县|州|地区|自治州)", "", name)


def plan_label(doc: Document, plans_indexed: int) -> str:
    """“〔福建省“十四五”节能减排综合工作实施方案〕” after an answer line when more than one
    plan is indexed. Digits are left out (“（2021-2025年）”): an answer states no number
    that its quotes lack, and the label is no quote."""
    if plans_indexed <= 1:
        return ""
    title = re.sub(r"[（(][^（）()]*\d[^（）()]*[）)]", "", doc.meta.title)
    return f"〔{_ASCII_DIGIT.sub('', title)}〕"


def targets_by_doc(targets: list) -> dict[str, list]:
    """doc id -> its targets, in registry order."""
    out: dict[str, list] = {}
    for t in targets:
        out.setdefault(t.doc_id, []).append(t)
    return out


def related_targets(target, registry: list, exclude: list = ()) -> list:
    """Targets of the same plan that state the same indicator with another value or
    wording (城市生活垃圾无害化处理率 99% vs 城镇… 98.2%): shown side by side, never merged.
    Two names are one indicator when they share a stem and read alike: closely across
    sectors, a little less closely within one (交通行业单位增加值能耗下降率 and 营运交通单位增加值
    能耗 are one; 规上工业单位增加值能耗 is another sector's)."""
    from difflib import SequenceMatcher

    out = []
    for other in registry:
        if other is target or other in exclude or other.unit != target.unit or other.doc_id != target.doc_id:
            continue
        matcher = SequenceMatcher(None, target.indicator, other.indicator, autojunk=False)
        alike = matcher.ratio()
        if matcher.find_longest_match().size >= RELATED_MIN_CHARS and (
                alike >= RELATED_ACROSS_SECTORS or (other.sector == target.sector and alike >= RELATED_IN_SECTOR)):
            out.append(other)
    return out


def describe(target) -> str:
    """“指标：值单位（基准，比较，期限）”, every number taken from the target's quotes."""
    when = f"{target.year}年" if target.year.isdigit() else target.year
    suffix = target.comparator if target.comparator in ("以上", "以下", "左右") else ""
    detail = "，".join(p for p in (target.baseline, "" if suffix else target.comparator, when) if p)
    return f"{target.indicator}：{target.value}{target.unit}{suffix}" + (f"（{detail}）" if detail else "")


def by_question(targets: list, question: str, named: tuple[str, ...] = ()) -> list:
    """The whole list, the targets the question's own words name first (“…出行和运输方面的目标”:
    those on 出行 and 运输), by shared character pairs; the sector or department that chose
    the list, and the plans' titles (`named`: 节能 of a 节能规划 is what every target is
    about) are no such words. Ties keep the registry's order."""
    question = squash(question)
    for name in sorted(filter(None, named), key=len, reverse=True):
        question = question.replace(name, " ")
    asked = set(bigrams(question)) - {b for name in named if name for b in bigrams(squash(name))}
    return sorted(targets, key=lambda t: -len(asked & set(bigrams(squash(t.indicator + plan_wording(t))))))


def plan_wording(target) -> str:
    """The clause of a text target's sentence that states it, as the plan words it (“城区绿色
    出行分担率达 30%以上”): the registry's “indicator: value” is a summary, the answer also
    quotes. Empty for a table row, whose cells are the plan's wording already."""
    if target.source_kind == "table":
        return ""
    clauses = [c.strip() for c in _CLAUSE_BREAK.split(target.quote) if c.strip()]
    holding = [c for c in clauses if number_occurs(target.value, c)]
    if not holding:
        return ""
    return max(holding, key=lambda c: len(set(c) & set(target.indicator)))


_CLAUSE_BREAK = re.compile(r"[，；。,;！？]")


def _worded(target) -> str:
    wording = plan_wording(target)
    return f"，原文“{wording}”" if wording else ""


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


def span_source(doc: Document, section_path: tuple[str, ...], start: int, end: int, why: str,
                table_header: bool = False) -> Source:
    """A Source quoting doc.text[start:end] (whitespace collapsed) that retrieval did not rank."""
    return Source(doc=doc.doc_id, title=doc.meta.title, section=SECTION_SEPARATOR.join(section_path),
                  quote=collapse(doc.text[start:end]), score=1.0, start=start, end=end, why=why,
                  table_header=table_header)


def _target_source(target, documents) -> Source:
    return span_source(documents[target.doc_id], target.section_path, target.start, target.end,
                       "来自目标清单（按领域完整列出）")


def _header_source(target, documents) -> Source:
    """The table's header line, which holds the deadline (“2025 年目标值”)."""
    return span_source(documents[target.doc_id], target.section_path, target.header_start,
                       target.header_end, "表头（写明目标年份）", table_header=True)
