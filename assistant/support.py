"""support: is each sentence of a model's reply supported by the quotes it cites?

The reply is split into sentences; each is judged on its own, against only the quotes its
markers [n] point to:

1. no marker: fails ("uncited"), unless the sentence is pure framing with no content word
   (“根据规划原文：”, words in `data/framing_words.txt`); a lead-in ending in “：” takes the
   markers of the sentence after it;
2. a marker outside the given sources: fails ("bad_marker");
3. a quantity (digits, Chinese numerals, 一半/四成/翻一番) the cited quotes do not state,
   compared by value (`numbers.unsupported_quantities`), a table cell read from another
   row or year column, or words set beside a number the quotes set beside another: fails
   ("number");
4. otherwise a fitted logistic regression over support features must reach its threshold
   ("unsupported" below it): content-word, noun, character and n-gram coverage with the
   project's segmenter and synonyms (quantities and framing words left out), nouns neither
   the quotes nor the question or title hold, order, added negation/stop/permission words
   (`data/polarity_words.toml`), dense cosine with the project's embedder.

The regression's weights are a data file, `data/support_model.json`, written by
`python -m assistant fit-support` (`assistant/support_fit.py`, which needs scikit-learn);
here they are applied with a numpy dot product. The file holds one model per embedder it
was fitted with (dense features differ between embedders) and a lexical one, used when the
embedder at hand has no model of its own (the hash embedder of the unit tests).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .numbers import is_table_header, misread_cells, quantities, unsupported_quantities, without_quantities
from .segment import QUESTION_WORDS, Segmenter
from .text import SENTENCE_END, squash

DATA = Path(__file__).parent / "data"
SUPPORT_MODEL = DATA / "support_model.json"
FRAMING_WORDS = DATA / "framing_words.txt"
POLARITY_WORDS = DATA / "polarity_words.toml"
MODEL_VERSION = 1
LEXICAL = "lexical"
LEXICAL_FEATURES = ("word_coverage", "missing_words", "noun_coverage", "novel_nouns", "novel_chars", "char_coverage",
                    "bigram_coverage",
                    "trigram_coverage", "longest_gap", "order_inversions", "misplaced_words", "reversal_added",
                    "direction_added", "polarity_flip", "length")
DENSE = "dense_cosine"
VECTOR_CACHE = 512  # texts whose vectors a checker keeps
MISPLACED = 2  # words beside a number the quotes put beside another one: a swapped figure

SUPPORTED, FRAMING = "", "framing"
UNCITED, BAD_MARKER, NUMBER, UNSUPPORTED = "uncited", "bad_marker", "number", "unsupported"
FAILURES = (NUMBER, UNSUPPORTED, UNCITED, BAD_MARKER)  # most telling first

_MARKER = re.compile(r"\[(\d+)\]")
_CLOSERS = "”’」』）)"
_PIECE = re.compile(rf"[^{SENTENCE_END}\n]+[{SENTENCE_END}]*[{_CLOSERS}]*(?:[ \t]*\[\d+\])*|[{SENTENCE_END}]+")
_LIST_PREFIX = re.compile(r"^\s*(?:[-*·•]+|\d{1,2}[.、)）]|[（(]\d{1,2}[)）]|[一二三四五六七八九十]{1,2}[、.])\s*")
_MARKUP = re.compile(r"\*\*|__|`")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
_DIGIT = re.compile(r"\d")


class SupportModelError(ValueError):
    """The support model file is missing or malformed (run `python -m assistant fit-support`)."""


@dataclass(frozen=True)
class Sentence:
    """One sentence of a reply: where it stands, its words without markers or list bullets,
    and the sources it cites (1-based, as the markers write them)."""

    start: int
    end: int
    text: str
    body: str
    cited: tuple[int, ...]


@dataclass(frozen=True)
class Judgement:
    sentence: Sentence
    reason: str  # SUPPORTED, FRAMING, or one of FAILURES
    probability: float | None = None

    @property
    def ok(self) -> bool:
        return self.reason in (SUPPORTED, FRAMING)


def split_sentences(reply: str) -> list[Sentence]:
    """Sentences as the reply writes them: at 。！？；, at line breaks; markers after the
    full stop (“……以上。[1]”) belong to the sentence before them."""
    pieces: list[list[int]] = []
    for m in _PIECE.finditer(reply):
        start, end = m.start() + len(m.group()) - len(m.group().lstrip()), m.end()
        if not reply[start:end].strip():
            continue
        if pieces and not _body(reply[start:end]):  # markers or punctuation alone
            pieces[-1][1] = end
        else:
            pieces.append([start, end])
    sentences = [_sentence(reply, a, b) for a, b in pieces]
    return _lead_ins_cite_what_follows(sentences)


def parse_sentence(text: str) -> Sentence:
    """One sentence as given (a labelled item), not split further."""
    return _sentence(text, 0, len(text))


def _sentence(reply: str, start: int, end: int) -> Sentence:
    while end > start and reply[end - 1].isspace():
        end -= 1
    text = reply[start:end]
    cited = tuple(dict.fromkeys(int(n) for n in _MARKER.findall(text)))
    return Sentence(start, end, text, _body(text), cited)


def _body(text: str) -> str:
    text = _MARKUP.sub("", _MARKER.sub("", text))
    return _LIST_PREFIX.sub("", text).strip(f" \t{SENTENCE_END}，,、：:")


def _lead_ins_cite_what_follows(sentences: list[Sentence]) -> list[Sentence]:
    """“规划提出以下目标：” with no marker is judged against the quotes of the next cited
    sentence: a lead-in says what follows."""
    out = list(sentences)
    for i, s in enumerate(out):
        if not s.cited and s.text.rstrip().endswith(("：", ":")):
            after = next((t.cited for t in out[i + 1:] if t.cited), ())
            out[i] = Sentence(s.start, s.end, s.text, s.body, after)
    return out


# ---- the fitted model ------------------------------------------------------------------------

@dataclass(frozen=True)
class SupportModel:
    """Standardised features · coefficients + intercept, through the logistic function."""

    name: str
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float

    def probability(self, values: dict[str, float]) -> float:
        x = np.array([values[f] for f in self.features], dtype=float)
        z = float(((x - self.mean) / self.scale) @ self.coef + self.intercept)
        return float(1.0 / (1.0 + np.exp(-z)))

    @classmethod
    def from_json(cls, name: str, data: dict) -> SupportModel:
        try:
            return cls(name=name, features=tuple(data["features"]), mean=np.array(data["mean"], dtype=float),
                       scale=np.array(data["scale"], dtype=float), coef=np.array(data["coef"], dtype=float),
                       intercept=float(data["intercept"]), threshold=float(data["threshold"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise SupportModelError(f"句子支持度模型“{name}”的格式有误：{exc}") from exc


def load_models(path: Path = SUPPORT_MODEL) -> dict[str, SupportModel]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SupportModelError(f"无法读取句子支持度模型 {path}：{exc}（可运行 python -m assistant fit-support 重新拟合）") from exc
    if data.get("version") != MODEL_VERSION:
        raise SupportModelError(f"句子支持度模型 {path} 的 version 应为 {MODEL_VERSION}。")
    models = {name: SupportModel.from_json(name, m) for name, m in data.get("models", {}).items()}
    if LEXICAL not in models:
        raise SupportModelError(f"句子支持度模型 {path} 缺少“{LEXICAL}”模型。")
    return models


def read_framing_words(path: Path = FRAMING_WORDS) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.startswith("#") for w in line.split())


# ---- features ---------------------------------------------------------------------------------

class SupportChecker:
    """Judges a reply's sentences against the quotes they cite. `embeddings` is a
    langchain Embeddings; its `model_id` picks the fitted model (else the lexical one)."""

    def __init__(self, segmenter: Segmenter, embeddings=None, model_file: Path = SUPPORT_MODEL,
                 models: dict[str, SupportModel] | None = None):
        self.segmenter = segmenter
        self.embeddings = embeddings
        self._model_file = model_file
        self._models = models
        self._vectors: dict[str, list[float]] = {}

    @cached_property
    def model(self) -> SupportModel:
        models = self._models if self._models is not None else load_models(self._model_file)
        model_id = getattr(self.embeddings, "model_id", None)
        return models.get(model_id) or models[LEXICAL]

    @cached_property
    def framing_words(self) -> frozenset[str]:
        return read_framing_words() | QUESTION_WORDS

    def judge(self, reply: str, quotes: Sequence[str], known: str = "") -> list[Judgement]:
        return [self.judge_sentence(s, quotes, known) for s in split_sentences(reply)]

    def judge_sentence(self, sentence: Sentence, quotes: Sequence[str], known: str = "") -> Judgement:
        """`quotes` are every source given to the model, in marker order; `known` is what
        else the reader was told (the question, the plan's title)."""
        reason = self.gate(sentence, quotes)
        if reason is not None:
            return Judgement(sentence, reason)
        p = self.model.probability(self.features(sentence.body, [quotes[n - 1] for n in sentence.cited], known))
        return Judgement(sentence, SUPPORTED if p >= self.model.threshold else UNSUPPORTED, p)

    def gate(self, sentence: Sentence, quotes: Sequence[str]) -> str | None:
        """The rules before the model: a reason, or None when the model decides."""
        if self.is_framing(sentence.body):
            return FRAMING  # “根据规划原文：”, with or without a marker
        if not sentence.cited:
            return UNCITED
        if any(not 1 <= n <= len(quotes) for n in sentence.cited):
            return BAD_MARKER
        cited = [quotes[n - 1] for n in sentence.cited]
        if (unsupported_quantities(sentence.body, cited) or misread_cells(sentence.body, cited, self.segmenter.canonical)
                or self.misplaced_words(sentence.body, cited) >= MISPLACED):
            return NUMBER
        return None

    def is_framing(self, body: str) -> bool:
        """No content word and no quantity: “根据规划原文”, “具体如下”."""
        if quantities(body):
            return False
        return all(w in self.framing_words for w in self.segmenter.words(body))

    def features(self, body: str, quotes: Sequence[str], known: str = "",
                 dense: bool | None = None) -> dict[str, float]:
        """Every feature a model may use, by name (the model picks its own); the dense one
        only when asked or when the model uses it. Quantities are left out (the rules have
        compared them by value), and so are framing words (规划提出、要求、的): the words
        that remain are what the sentence claims. `known` (the question, the plan's title)
        only excuses a noun the quotes lack (塔城地区, the subject the reader was told of)."""
        evidence = self._flat(without_quantities(" ".join(quotes)))
        asked = self._flat(known)
        content = self.content(body)
        words = [w for w in self.segmenter.terms(content) if len(w) > 1 and w not in self.framing_words]
        missing = [w for w in words if w not in evidence]
        nouns = [w for w in self.segmenter.nouns(content) if w not in self.framing_words]
        novel = [w for w in nouns if w not in evidence and w not in asked]
        weight = sum(len(w) for w in words)
        marks = covered_chars(content, evidence, 2)
        reversal, direction, flipped = self.polarity.compare(self._flat(body), evidence)
        values = {
            "word_coverage": 1.0 - sum(len(w) for w in missing) / weight if weight else 1.0,
            "missing_words": float(np.log1p(len(missing))),
            "noun_coverage": _char_share(nouns, evidence),
            "novel_nouns": float(np.log1p(sum(len(w) for w in novel))),
            "novel_chars": float(np.log1p(sum(1 for w in novel for ch in w if ch not in evidence))),
            "char_coverage": _mean([ch in evidence for ch in _CJK_CHAR.findall(content)]),
            "bigram_coverage": _mean(marks),
            "trigram_coverage": _mean(covered_chars(content, evidence, 3)),
            "longest_gap": float(np.log1p(_longest_false(marks))),
            "order_inversions": order_inversions([w for w in self.segmenter.cut(content) if len(w) > 1],
                                                 self._flat(" ".join(q for q in quotes if not is_table_header(q)))),
            "misplaced_words": float(np.log1p(self.misplaced_words(body, quotes))),
            "reversal_added": float(reversal),
            "direction_added": float(direction),
            "polarity_flip": float(flipped),
            "length": float(np.log1p(len(content.replace("|", "")))),
        }
        if dense is None:
            dense = self.embeddings is not None and DENSE in self.model.features
        if dense:
            values[DENSE] = self.dense_cosine(body, quotes)
        return values

    def _flat(self, text: str) -> str:
        return self.segmenter.canonical(squash(text)).lower()

    def misplaced_words(self, body: str, quotes: Sequence[str]) -> int:
        """Words the sentence puts beside a number that the quotes put only beside other
        numbers: “用水量降低16%” where the quote says 能耗降低 16%、用水量降低 15%. Text is
        cut at punctuation; years (到 2025 年) are no anchor; a table's header is left out."""
        numbered = [(self._flat(seg), said) for q in quotes if not is_table_header(q)
                    for seg in _segments(q) if (said := _anchors(seg))]
        count = 0
        for seg in _segments(body):
            anchors = _anchors(seg)
            beside = [text for text, said in numbered if any(q.matches(e) for q in anchors for e in said)]
            if not beside:
                continue
            others = [text for text in (t for t, _ in numbered) if text not in beside]
            words = [w for w in self.segmenter.terms(self.content(seg)) if len(w) > 1 and w not in self.framing_words]
            count += sum(1 for w in words if not any(w in t for t in beside) and any(w in t for t in others))
        return count

    def content(self, body: str) -> str:
        """The sentence without its quantities, and with each framing word replaced by “|”
        (so that no character pair spans it)."""
        pieces = self.segmenter.cut(squash(without_quantities(body)))
        return "".join("|" if p in self.framing_words else p for p in pieces)

    @cached_property
    def polarity(self) -> PolarityWords:
        return PolarityWords.load()

    def dense_cosine(self, body: str, quotes: Sequence[str]) -> float:
        """Highest cosine between the sentence and any of its quotes (passage embeddings;
        a quote's vector is kept for the next sentence that cites it)."""
        texts = list(dict.fromkeys([body, *quotes]))
        have = {t: v for t in texts if (v := self._vectors.get(t)) is not None}
        missing = [t for t in texts if t not in have]
        if missing:
            fresh = dict(zip(missing, self.embeddings.embed_documents(missing), strict=True))
            have.update(fresh)
            if len(self._vectors) > VECTOR_CACHE:
                self._vectors.clear()
            self._vectors.update(fresh)
        vectors = np.asarray([have[t] for t in [body, *quotes]], dtype=float)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return float((vectors[1:] @ vectors[0]).max())


_SEGMENT = re.compile(r"[，,。；;：:、（）()！？!?\n]+")
_NUMBERING = re.compile(r"^\s*\d{1,2}\s*[.、]\s*")


def _segments(text: str) -> list[str]:
    """Text cut at punctuation, list numbering (1.锅炉节能改造) dropped."""
    return [_NUMBERING.sub("", c) for c in _SEGMENT.split(text) if c.strip()]


def _anchors(segment: str) -> list:
    """The quantities of a segment that are numbers proper: not years, not lone numerals."""
    return [q for q in quantities(segment, lone_one=True) if not (q.lone or _is_year(q))]


def _is_year(q) -> bool:
    return q.after == "年" and any(1900 <= v <= 2100 and v == int(v) for v, _ in q.readings)


def order_inversions(words: list[str], evidence: str) -> float:
    """Share of steps from one word of the sentence to the next that go back in the
    evidence (each word taken at its first place after the previous one, if it has one):
    swapped words (以碳排放总量控制为主、碳强度控制为辅) step back."""
    last, steps, back = -1, 0, 0
    for w in words:
        places = [m.start() for m in re.finditer(re.escape(w), evidence)]
        if not places:
            continue
        after = [p for p in places if p > last]
        at = after[0] if after else places[0]
        if last >= 0:
            steps += 1
            back += at < last
        last = at
    return back / steps if steps else 0.0


def _char_share(words: list[str], evidence: str) -> float:
    total = sum(len(w) for w in words)
    return sum(len(w) for w in words if w in evidence) / total if total else 1.0


def _mean(marks: list[bool]) -> float:
    return sum(marks) / len(marks) if marks else 1.0


def _longest_false(marks: list[bool]) -> int:
    longest = run = 0
    for m in marks:
        run = 0 if m else run + 1
        longest = max(longest, run)
    return longest


def covered_chars(sentence: str, evidence: str, n: int) -> list[bool]:
    """For each Chinese character of the sentence: does it stand in a run of n characters
    that the evidence also holds?"""
    grams = {run[i:i + n] for run in _CJK.findall(evidence) for i in range(len(run) - n + 1)}
    out: list[bool] = []
    for run in _CJK.findall(sentence):
        marks = [False] * len(run)
        for i in range(len(run) - n + 1):
            if run[i:i + n] in grams:
                for j in range(i, i + n):
                    marks[j] = True
        out += marks
    return out


def bigram_coverage(sentence: str, evidence: str) -> float:
    """Share of the sentence's Chinese characters that stand in a character pair the
    evidence also holds."""
    return _mean(covered_chars(sentence, evidence, 2))


@dataclass(frozen=True)
class PolarityWords:
    """Words that can turn a sentence's meaning round (data/polarity_words.toml), by
    class, and which classes are opposites (提高/降低, 限制/允许, 继续/停止)."""

    classes: dict[str, tuple[str, ...]]
    opposites: tuple[tuple[str, str], ...] = ()
    reversing: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path = POLARITY_WORDS) -> PolarityWords:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SupportModelError(f"无法读取立场词表 {path}：{exc}") from exc
        classes = {name: tuple(words) for name, words in data.get("classes", {}).items()}
        pairs = tuple((a, b) for a, b in data.get("opposites", []))
        reversing = frozenset(data.get("reversing", []))
        unknown = ({c for pair in pairs for c in pair} | reversing) - set(classes)
        if unknown:
            raise SupportModelError(f"立场词表 {path} 的 opposites/reversing 中有未定义的类：{'、'.join(sorted(unknown))}")
        return cls(classes, pairs + tuple((b, a) for a, b in pairs), reversing)

    @cached_property
    def _pattern(self) -> re.Pattern:
        words = sorted({w for ws in self.classes.values() for w in ws}, key=len, reverse=True)
        return re.compile("|".join(map(re.escape, words)))

    @cached_property
    def _class_of(self) -> dict[str, str]:
        return {w: name for name, ws in self.classes.items() for w in ws}

    def counts(self, text: str) -> Counter:
        return Counter(self._class_of[m.group()] for m in self._pattern.finditer(text))

    def compare(self, sentence: str, evidence: str) -> tuple[int, int, int]:
        """(reversal, direction, flipped): how many more words of a reversing class the
        sentence uses than its quotes (暂缓 where they say 推进; 不、仅、允许), how many more
        of the other classes (提高、继续), and how many of all those where the quotes use
        the opposite class (提高 where they say 降低)."""
        have, says = self.counts(evidence), self.counts(sentence)
        extra = {name: n - have[name] for name, n in says.items() if n > have[name]}
        flipped = sum(n for name, n in extra.items() if any(have[b] for a, b in self.opposites if a == name))
        reversal = sum(n for name, n in extra.items() if name in self.reversing)
        return reversal, sum(extra.values()) - reversal, flipped
