"""The question's words against the plans asked: how much each weighs (IDF), which are
specific enough that evidence must hold them, which no plan prints, which name places."""

from __future__ import annotations

import copy
import re
from functools import cached_property

from ..grams import PATTERN_MAX, has_key, wildcards, word_key
from ..grams import key as gram_key
from ..segment import BIGRAM_MARK, bigrams
from ..text import squash
from ..types import Document
from ..understand import title_words
from .layout import compared
from .quotes import ASCII_DIGIT

_NUMBER_WORD = re.compile(r"[\d.%％]+")  # a value or a year, not a term such as PM2.5 or CO2
_PREMISE_NUMBER = re.compile(r"(?!(?:19|20)\d{2}$)\d+(?:\.\d+)?%?")  # 3.76, 50%: not a year
# 哪两个, 哪三项: the count of a “which” ask is how many the answer names, no word it must hold
_WHICH_COUNT = re.compile(r"(?<=哪)[一二两三四五六七八九十]+(?=[个项条类种家点块部])")
NEIGHBOUR_CREDIT = 0.5
GRAM_MAX = 3  # in_corpus compares words by character triples
SCOPES_KEPT = 8  # plan selections whose word statistics stay in memory
RARE_DF = 3  # a word in at most this many passages is specific enough to be required
# a place's suffixes (understand._REGION_SUFFIX less 区, which 城区 and 园区 end with too);
# 城镇, tagged a place as well, has none of them and names no place
PLACE_SUFFIXES = ("省", "市", "县", "州", "盟", "旗", "地区")


class QuestionWords:
    """A question's words weighed by the plans asked (all, or those `within` selects)."""

    def __init__(self, documents: dict[str, Document], index, segmenter,
                 cue_words: frozenset[str] = frozenset(), departments: frozenset[str] = frozenset()):
        self.documents = documents
        # words the project's own data files name (从上到下, 工信局): never a word no plan holds
        self.cue_words = frozenset(c for c in cue_words if len(c) >= 2)
        self.departments = frozenset(d for d in departments if len(d) >= 2)
        self.index = index
        self.segmenter = segmenter
        self.stats = index.statistics()  # word weights and vocabulary: of the plans asked (see within)
        self.scope_docs: frozenset[str] | None = None
        self.plan_words: frozenset[str] = frozenset()
        self._focus_memo: tuple[str, list[str]] = ("", [])  # one question's focus words: three stages ask for them

    def within(self, docs: frozenset[str] | None, plan_words: frozenset[str] = frozenset()) -> QuestionWords:
        """These words for a question asked of the plans in `docs`: weighed, and known or
        unknown, by those plans alone, and `plan_words` (the names by which the question
        chose them: 安徽省, 塔城) weigh nothing, since the choice already holds them."""
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

    def compared(self, text: str) -> str:
        return compared(self.segmenter, text)

    def holds_focus(self, focus: list[str], text: str) -> bool:
        sentence = self.compared(text)
        return all(w in sentence for w in focus)

    def focus_words(self, question: str) -> list[str]:
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
                 and not ASCII_DIGIT.search(w) and w not in self.plan_words and self.in_corpus(w)]
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
                and (w.endswith(PLACE_SUFFIXES) or any(w + suffix in q or self.in_corpus(w + suffix)
                                                       for suffix in PLACE_SUFFIXES))}

    @cached_property
    def _title_words(self) -> frozenset[str]:
        return title_words(self.documents, self.segmenter)

    def unknown_words(self, question: str) -> list[str]:
        """Content words (not 往外, 每年: see Segmenter.content_terms; not 是从, made of function
        characters) no plan holds in any part (no character pair of theirs occurs), and
        that are no one-character typo of a known word either (“公公机构” is 公共机构
        mistyped; “森林” is simply not in the plan; “大规模” is made of known words)."""
        idf = self.stats.idf
        return [w for w in self.segmenter.content_terms(question)
                if len(w) > 1 and not _NUMBER_WORD.fullmatch(w) and w not in self.plan_words and not self.in_corpus(w)
                and not any(b in idf for b in bigrams(w))
                and not self._near_known_word(w) and not self._in_data(w, question)
                and not self.segmenter.is_function_phrase(w)]

    def _in_data(self, word: str, question: str) -> bool:
        """A piece of a cue the question asks by (一年 of 哪一年, 从上到下), or of a department
        (工信局, 事务局 of 机关事务局): words the data files name, never a word no plan holds."""
        return (any(word in cue and cue in question for cue in self.cue_words)
                or any(word in name for name in self.departments))

    def in_corpus(self, word: str) -> bool:
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
        """Every character pair and triple of the chosen plans (words `within` some plans;
        the whole index's are the build's table)."""
        grams: set[str] = set()
        for doc_id in sorted(self.scope_docs or ()):
            text = self.compared(self.documents[doc_id].text)
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
        return weight_coverage(self.weights(question), set(self.segmenter.tokens(chunk.search_text)))

    def weights(self, question: str) -> dict[str, float]:
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


def weight_coverage(weights: dict[str, float], tokens: set[str], around: set[str] = frozenset()) -> float:
    """Share of the question's weight the tokens hold; a word only the surrounding
    paragraph states (its subject, its period) counts half."""
    held = sum(w if t in tokens else NEIGHBOUR_CREDIT * w if t in around else 0.0 for t, w in weights.items())
    return held / (sum(weights.values()) or 1.0)
