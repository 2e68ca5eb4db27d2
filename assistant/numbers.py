"""numbers: quantities however they are written, as values that can be compared.

40%、40.0%、百分之四十、四成 are one quantity; 十三点五 is 13.5; 4 万 is 40000; 两倍 is 2 倍;
一半 and 翻一番 come from the data file `assistant/data/quantity_words.toml`, Chinese numerals
are converted by cn2an. The LLM answer check compares what a reply states with what the
quotes it cites state, by value (`unsupported_quantities`). The extractive path keeps the
digit-string check of `text.unsupported_numbers`: its answers are verbatim quotes.

    quantities("到2025年达到百分之四十以上")  ->  [2025, 40%]
    unsupported_quantities("达到一半以上[1]", ["达到 40% 以上。"])  ->  [一半]
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

QUANTITY_WORDS = Path(__file__).parent / "data" / "quantity_words.toml"
QUANTITY_WORDS_VERSION = 1

PERCENT, TIMES, POINTS, PLAIN = "%", "倍", "个百分点", ""
_CN_DIGIT = "零〇一二两三四五六七八九"
_CN_UNIT = "十百千万亿"
_CN_NUMBER = rf"[{_CN_DIGIT}{_CN_UNIT}]+(?:点[{_CN_DIGIT}]+)?"
_UNIT_AFTER = r"\s*(%|倍|个百分点|百分点)?"
_MARKER = re.compile(r"[\[［【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]］】]")
_SCALE = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
_ASCII = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?:\s*([万亿])(?!分之))?" + _UNIT_AFTER)
_CHINESE = re.compile(rf"(?:({_CN_NUMBER})分之)?({_CN_NUMBER})" + _UNIT_AFTER)  # 百分之四十, 三分之一


class QuantityWordsError(ValueError):
    """The quantity-word data file is malformed (a packaging or editing mistake)."""


@dataclass(frozen=True)
class Quantity:
    """A quantity as written and the values it can be read as (翻一番: 2 倍 or +100%)."""

    text: str
    readings: tuple[tuple[Decimal, str], ...]

    def matches(self, other: Quantity) -> bool:
        return any(_same(a, b) for a in self.readings for b in other.readings)


def _same(a: tuple[Decimal, str], b: tuple[Decimal, str]) -> bool:
    """Equal values, and units that agree (a bare number, as a table cell holds it, agrees
    with any unit; 5% and 5 个百分点 do not agree)."""
    return a[0] == b[0] and (a[1] == b[1] or PLAIN in (a[1], b[1]))


def quantities(text: str) -> list[Quantity]:
    """Every quantity in `text`, in order: digits, Chinese numerals, quantity words.
    Citation markers are not quantities. A lone numeral with no unit (一是、三大、第五)
    and words cn2an cannot read (十四五) are not counted."""
    text = unicodedata.normalize("NFKC", _MARKER.sub(" ", text))
    found: list[tuple[int, Quantity]] = []
    taken = [False] * len(text)
    for word in _words_longest_first():
        for m in re.finditer(re.escape(word), text):
            if not any(taken[m.start():m.end()]):
                _claim(taken, m)
                found.append((m.start(), Quantity(word, _words()[word])))
    for pattern, read in ((_ASCII, _read_ascii), (_CHINESE, _read_chinese)):
        for m in pattern.finditer(text):
            if any(taken[m.start():m.end()]):
                continue
            reading = read(m, text)
            if reading is not None:
                _claim(taken, m)
                found.append((m.start(), Quantity(m.group(0).strip(), (reading,))))
    return [q for _, q in sorted(found, key=lambda f: f[0])]


def unsupported_quantities(answer: str, quotes: list[str]) -> list[Quantity]:
    """Quantities in the answer that no quote states, compared by value."""
    evidence = [q for quote in quotes for q in quantities(quote)]
    return [q for q in quantities(answer) if not any(q.matches(e) for e in evidence)]


def _claim(taken: list[bool], m: re.Match) -> None:
    for i in range(m.start(), m.end()):
        taken[i] = True


def _unit(raw: str | None) -> str:
    return POINTS if raw in ("个百分点", "百分点") else raw or PLAIN


def _read_ascii(m: re.Match, text: str) -> tuple[Decimal, str] | None:
    value = Decimal(m.group(1)) * _SCALE.get(m.group(2) or "", Decimal(1))
    return _plain(value), _unit(m.group(3))


def _read_chinese(m: re.Match, text: str) -> tuple[Decimal, str] | None:
    """百分之四十 -> 40%, 三分之一 -> 33.3…%, 十三点五 -> 13.5, 两倍 -> 2 倍, 二〇二五年 -> 2025."""
    denominator, numeral, unit = m.group(1), m.group(2), _unit(m.group(3))
    if not (denominator or unit or _reads_as_number(numeral, text.startswith("年", m.end(2)))):
        return None  # 一是、三大、两高、十分: a numeral that is part of a word
    value = _cn2an(numeral)
    if value is None:
        return None
    if denominator:
        whole = _cn2an("一" + denominator if denominator in _CN_UNIT else denominator)
        if not whole:
            return None
        return _plain(value * 100 / whole), PERCENT
    return _plain(value), unit


def _reads_as_number(numeral: str, before_year: bool) -> bool:
    """Without 百分之 or a unit, a numeral is a number when it is written as one: 四十,
    十三点五, 二〇二五年; not a lone 一 or 十."""
    if len(numeral) < 2:
        return False
    return before_year or any(ch in _CN_UNIT or ch == "点" for ch in numeral)


def _cn2an(numeral: str) -> Decimal | None:
    """cn2an's value of a numeral; a run that ends in the first character of a unit
    (四十万千瓦 -> 四十万千) is read without it."""
    import cn2an

    while numeral:
        try:
            return Decimal(str(cn2an.cn2an(numeral, "normal")))
        except (ValueError, KeyError, IndexError, InvalidOperation):
            if numeral[-1] not in _CN_UNIT:
                return None  # 十四五: not a number cn2an can read
            numeral = numeral[:-1]
    return None


def _plain(value: Decimal) -> Decimal:
    """40.0 -> 40, 4E+1 -> 40: equal values compare and print alike."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


@cache
def _words() -> dict[str, tuple[tuple[Decimal, str], ...]]:
    try:
        data = tomllib.loads(QUANTITY_WORDS.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise QuantityWordsError(f"无法读取数量词表 {QUANTITY_WORDS}：{exc}") from exc
    if data.get("version") != QUANTITY_WORDS_VERSION:
        raise QuantityWordsError(f"数量词表 {QUANTITY_WORDS} 的 version 应为 {QUANTITY_WORDS_VERSION}。")
    words = {}
    for word, values in data.get("words", {}).items():
        readings = []
        for value in values:
            m = _ASCII.fullmatch(str(value).strip())
            if not m:
                raise QuantityWordsError(f"数量词表中“{word}”的读法“{value}”应写成数字加单位，例如 50%。")
            readings.append(_read_ascii(m, value))
        words[word] = tuple(readings)
    return words


@cache
def _words_longest_first() -> tuple[str, ...]:
    return tuple(sorted(_words(), key=len, reverse=True))
