"""support: is each sentence of a model's reply supported by the quotes it cites?

The reply is split into sentences; each is judged on its own, against only the quotes its
markers [n] point to:

1. no marker: fails ("uncited"), unless the sentence is pure framing with no content word
   (“根据规划原文：”, words in `data/framing_words.txt`); a lead-in ending in “：” takes the
   markers of the sentence after it;
2. a marker outside the given sources: fails ("bad_marker");
3. a quantity (digits, Chinese numerals, 一半/四成/翻一番) the cited quotes do not state:
   fails ("number"), compared by value (`numbers.unsupported_quantities`);
4. otherwise a fitted logistic regression over support features (content-word coverage
   with the project's segmenter and synonyms, character-bigram coverage, dense cosine with
   the project's embedder, …) must reach its threshold ("unsupported" below it).

The regression's weights are a data file, `data/support_model.json`, written by
`python -m assistant fit-support` (`assistant/support_fit.py`, which needs scikit-learn);
here they are applied with a numpy dot product. The file holds one model per embedder it
was fitted with (dense features differ between embedders) and a lexical one, used when the
embedder at hand has no model of its own (the hash embedder of the unit tests).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .numbers import quantities, unsupported_quantities
from .segment import QUESTION_WORDS, Segmenter
from .text import SENTENCE_END, squash

DATA = Path(__file__).parent / "data"
SUPPORT_MODEL = DATA / "support_model.json"
FRAMING_WORDS = DATA / "framing_words.txt"
MODEL_VERSION = 1
LEXICAL = "lexical"
LEXICAL_FEATURES = ("word_coverage", "missing_words", "single_char_coverage", "bigram_coverage",
                    "has_quantity", "length")
DENSE = "dense_cosine"

SUPPORTED, FRAMING = "", "framing"
UNCITED, BAD_MARKER, NUMBER, UNSUPPORTED = "uncited", "bad_marker", "number", "unsupported"
FAILURES = (NUMBER, UNSUPPORTED, UNCITED, BAD_MARKER)  # most telling first

_MARKER = re.compile(r"\[(\d+)\]")
_CLOSERS = "”’」』）)"
_PIECE = re.compile(rf"[^{SENTENCE_END}\n]+[{SENTENCE_END}]*[{_CLOSERS}]*(?:[ \t]*\[\d+\])*|[{SENTENCE_END}]+")
_LIST_PREFIX = re.compile(r"^\s*(?:[-*·•]+|\d{1,2}[.、)）]|[（(]\d{1,2}[)）]|[一二三四五六七八九十]{1,2}[、.])\s*")
_MARKUP = re.compile(r"\*\*|__|`")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
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

    @cached_property
    def model(self) -> SupportModel:
        models = self._models if self._models is not None else load_models(self._model_file)
        model_id = getattr(self.embeddings, "model_id", None)
        return models.get(model_id) or models[LEXICAL]

    @cached_property
    def framing_words(self) -> frozenset[str]:
        return read_framing_words() | QUESTION_WORDS

    def judge(self, reply: str, quotes: Sequence[str]) -> list[Judgement]:
        return [self.judge_sentence(s, quotes) for s in split_sentences(reply)]

    def judge_sentence(self, sentence: Sentence, quotes: Sequence[str]) -> Judgement:
        """`quotes` are every source given to the model, in marker order."""
        reason = self.gate(sentence, quotes)
        if reason is not None:
            return Judgement(sentence, reason)
        p = self.model.probability(self.features(sentence.body, [quotes[n - 1] for n in sentence.cited]))
        return Judgement(sentence, SUPPORTED if p >= self.model.threshold else UNSUPPORTED, p)

    def gate(self, sentence: Sentence, quotes: Sequence[str]) -> str | None:
        """The rules before the model: a reason, or None when the model decides."""
        if not sentence.cited:
            return FRAMING if self.is_framing(sentence.body) else UNCITED
        if any(not 1 <= n <= len(quotes) for n in sentence.cited):
            return BAD_MARKER
        if unsupported_quantities(sentence.body, [quotes[n - 1] for n in sentence.cited]):
            return NUMBER
        return None

    def is_framing(self, body: str) -> bool:
        """No content word and no quantity: “根据规划原文”, “具体如下”."""
        if quantities(body):
            return False
        return all(w in self.framing_words for w in self.segmenter.words(body))

    def features(self, body: str, quotes: Sequence[str], dense: bool | None = None) -> dict[str, float]:
        """Every feature a model may use, by name (the model picks its own); the dense one
        only when asked or when the model uses it."""
        evidence = self.segmenter.canonical(squash(" ".join(quotes))).lower()
        words = [w for w in self.segmenter.terms(body) if not _DIGIT.search(w)]
        long_words = [w for w in words if len(w) > 1]
        missing = [w for w in long_words if w not in evidence]
        weight = sum(len(w) for w in long_words)
        values = {
            "word_coverage": 1.0 - sum(len(w) for w in missing) / weight if weight else 1.0,
            "missing_words": float(np.log1p(len(missing))),
            "single_char_coverage": _share([w for w in words if len(w) == 1], evidence),
            "bigram_coverage": bigram_coverage(self.segmenter.canonical(squash(body)).lower(), evidence),
            "has_quantity": 1.0 if quantities(body) else 0.0,
            "length": float(np.log1p(len(squash(body)))),
        }
        if dense is None:
            dense = self.embeddings is not None and DENSE in self.model.features
        if dense:
            values[DENSE] = self.dense_cosine(body, quotes)
        return values

    def dense_cosine(self, body: str, quotes: Sequence[str]) -> float:
        """Highest cosine between the sentence and any of its quotes (passage embeddings)."""
        vectors = np.asarray(self.embeddings.embed_documents([body, *quotes]), dtype=float)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return float((vectors[1:] @ vectors[0]).max())


def _share(words: list[str], evidence: str) -> float:
    return sum(1 for w in words if w in evidence) / len(words) if words else 1.0


def bigram_coverage(sentence: str, evidence: str) -> float:
    """Share of the sentence's Chinese characters that stand in a character pair the
    evidence also holds."""
    pairs = {run[i:i + 2] for run in _CJK.findall(evidence) for i in range(len(run) - 1)}
    covered = total = 0
    for run in _CJK.findall(sentence):
        marks = [False] * len(run)
        for i in range(len(run) - 1):
            if run[i:i + 2] in pairs:
                marks[i] = marks[i + 1] = True
        covered += sum(marks)
        total += len(run)
    return covered / total if total else 1.0
