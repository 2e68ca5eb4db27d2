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
_LONE = "二两三四五六七八九"  # a lone 一 is too often a word's part (一批、统一、进一步) to check
_CN_NUMBER = rf"[{_CN_DIGIT}{_CN_UNIT}]+(?:点[{_CN_DIGIT}]+[万亿]?)?"
_UNIT_AFTER = r"\s*(%|倍|个百分点|百分点)?"
_MARKER = re.compile(r"[\[［【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]］】]")
_SCALE = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
_ASCII = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?:\s*([万亿])(?!分之))?" + _UNIT_AFTER)
_CHINESE = re.compile(rf"(?:({_CN_NUMBER})分之)?({_CN_NUMBER})" + _UNIT_AFTER)  # 百分之四十, 三分之一
_LONE_NUMERAL = re.compile(rf"(?<![{_CN_DIGIT}{_CN_UNIT}点])([{_LONE}])(?=[\u4e00-\u9fff])(?![{_CN_DIGIT}{_CN_UNIT}点])")
_LONE_OR_ONE = re.compile(rf"(?<![{_CN_DIGIT}{_CN_UNIT}点])([一{_LONE}])(?=[\u4e00-\u9fff])(?![{_CN_DIGIT}{_CN_UNIT}点])")
_CJK_TEXT = re.compile(r"[\u4e00-\u9fff]")


class QuantityWordsError(ValueError):
    """The quantity-word data file is malformed (a packaging or editing mistake)."""


@dataclass(frozen=True)
class Quantity:
    """A quantity as written and the values it can be read as (翻一番: 2 倍 or +100%)."""

    text: str
    readings: tuple[tuple[Decimal, str], ...]
    lone: bool = False  # 三级、六大: a single numeral, read with the character after it
    after: str = ""  # the Chinese character right after the quantity, if any

    def matches(self, other: Quantity) -> bool:
        return any(_same(a, b) for a in self.readings for b in other.readings)


def _same(a: tuple[Decimal, str], b: tuple[Decimal, str]) -> bool:
    """Equal values, and units that agree (a bare number, as a table cell holds it, agrees
    with any unit; 5% and 5 个百分点 do not agree)."""
    return a[0] == b[0] and (a[1] == b[1] or PLAIN in (a[1], b[1]))


def quantities(text: str, lone_one: bool = False) -> list[Quantity]:
    """Every quantity in `text`, in order: digits, Chinese numerals, quantity words, and
    lone numerals before a word (三级、六大、国四). Citation markers are not quantities,
    nor are words cn2an cannot read (十四五) or listed in the data file (两者). A lone 一
    is part of too many words (统一、一批、进一步) to count, unless `lone_one` (as evidence)."""
    return [q for _, q in _scan(_normal(text), lone_one)]


def unsupported_quantities(answer: str, quotes: list[str]) -> list[Quantity]:
    """Quantities in the answer that no quote states, compared by value. A lone numeral
    also fails when the quotes put another number before the same character and never
    this one (三群两带 against 两群三带)."""
    evidence = [q for quote in quotes for q in quantities(quote, lone_one=True)]
    return [q for q in quantities(answer)
            if not any(q.matches(e) for e in evidence) or q.lone and _conflicts(q, evidence)]


def _conflicts(q: Quantity, evidence: list[Quantity]) -> bool:
    same_word = [e for e in evidence if q.after and e.after == q.after]
    return bool(same_word) and not any(q.matches(e) for e in same_word)


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", _MARKER.sub(" ", text))


def without_quantities(text: str) -> str:
    """The text (normalised) with every quantity replaced by a space: what is left to
    compare word by word once the numbers have been checked by value."""
    text = _normal(text)
    for span, _ in reversed(_scan(text, lone_one=True)):
        text = text[:span[0]] + " " + text[span[1]:]
    return text


def _scan(text: str, lone_one: bool) -> list[tuple[tuple[int, int], Quantity]]:
    """The quantities of normalised text, with their spans."""
    found: list[tuple[tuple[int, int], Quantity]] = []
    taken = [False] * len(text)
    for word in _words_longest_first():
        for m in re.finditer(re.escape(word), text):
            if not any(taken[m.start():m.end()]):
                _claim(taken, m)
                readings = _words()[word]
                if readings:
                    found.append((m.span(), Quantity(word, readings)))
    lone = _LONE_OR_ONE if lone_one else _LONE_NUMERAL
    for pattern, read in ((_ASCII, _read_ascii), (_CHINESE, _read_chinese), (lone, _read_lone)):
        for m in pattern.finditer(text):
            if any(taken[m.start():m.end()]):
                continue
            reading = read(m, text)
            if reading is not None:
                _claim(taken, m)
                after = re.match(r"\s*([\u4e00-\u9fff])", text[m.end():])
                found.append((m.span(), Quantity(m.group(0).strip(), reading, lone=pattern is lone,
                                                  after=after.group(1) if after else "")))
    return sorted(found, key=lambda f: f[0][0])


def _read_lone(m: re.Match, text: str) -> tuple[tuple[Decimal, str], ...] | None:
    value = _cn2an(m.group(1))
    return ((value, PLAIN),) if value is not None else None


def _claim(taken: list[bool], m: re.Match) -> None:
    for i in range(m.start(), m.end()):
        taken[i] = True


def _unit(raw: str | None) -> str:
    return POINTS if raw in ("个百分点", "百分点") else raw or PLAIN


def _read_ascii(m: re.Match, text: str) -> tuple[tuple[Decimal, str], ...] | None:
    """41.65 万 is 416500, and 41.65 as a table whose header says 万吨 writes it."""
    value, unit = Decimal(m.group(1)), _unit(m.group(3))
    if m.group(2):
        return (_plain(value * _SCALE[m.group(2)]), unit), (_plain(value), unit)
    return ((_plain(value), unit),)


def _read_chinese(m: re.Match, text: str) -> tuple[tuple[Decimal, str], ...] | None:
    """百分之四十 -> 40%, 三分之一 -> 33.3…%, 十三点五 -> 13.5, 两倍 -> 2 倍, 二〇二五年 -> 2025,
    四十万 -> 400000 or 40 (as 41.65 万 is read)."""
    denominator, numeral, unit = m.group(1), m.group(2), _unit(m.group(3))
    if not (denominator or unit or _reads_as_number(numeral, text.startswith("年", m.end(2)))):
        return None  # 一是、三大、两高、十分: a numeral that is part of a word
    values = _numeral_values(numeral)
    if not values:
        return None
    if denominator:
        whole = _numeral_values(denominator)
        return tuple((_plain(v * 100 / whole[0]), PERCENT) for v in values) if whole and whole[0] else None
    return tuple((v, unit) for v in values)


def _reads_as_number(numeral: str, before_year: bool) -> bool:
    """Without 百分之 or a unit, a numeral is a number when it is written as one: 四十,
    十三点五, 二〇二五年; not a lone 一 or 十."""
    if len(numeral) < 2:
        return False
    return before_year or any(ch in _CN_UNIT or ch == "点" for ch in numeral)


def _numeral_values(numeral: str) -> tuple[Decimal, ...]:
    """cn2an's value of a numeral; one ending in 万 or 亿 also as written before it
    (四十万 -> 400000, 40); one that ends in the first character of a unit word
    (四十万千瓦 -> 四十万千) is read without that character."""
    while numeral:
        if len(numeral) > 1 and numeral[-1] in _SCALE:
            base = _cn2an(numeral[:-1])
            if base is not None:
                return _plain(base * _SCALE[numeral[-1]]), _plain(base)
        value = _cn2an(numeral)
        if value is not None:
            return (_plain(value),)
        if numeral[-1] not in _CN_UNIT:
            return ()  # 十四五: not a number cn2an can read
        numeral = numeral[:-1]
    return ()


def _cn2an(numeral: str) -> Decimal | None:
    import cn2an

    if numeral[0] in "百千万亿":
        numeral = "一" + numeral  # 百分之百, 千万千瓦级
    try:
        return Decimal(str(cn2an.cn2an(numeral, "normal")))
    except (ValueError, KeyError, IndexError, InvalidOperation):
        return None


def _plain(value: Decimal) -> Decimal:
    """40.0 -> 40, 4E+1 -> 40: equal values compare and print alike."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


@cache
def _words() -> dict[str, tuple[tuple[Decimal, str], ...]]:
    """Quantity words and their readings; words that only look like numbers read as ()."""
    try:
        data = tomllib.loads(QUANTITY_WORDS.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise QuantityWordsError(f"无法读取数量词表 {QUANTITY_WORDS}：{exc}") from exc
    if data.get("version") != QUANTITY_WORDS_VERSION:
        raise QuantityWordsError(f"数量词表 {QUANTITY_WORDS} 的 version 应为 {QUANTITY_WORDS_VERSION}。")
    words = {}
    for word in data.get("not_quantities", []):
        words[word] = ()  # a numeral that is a word's part: 两者
    for word, values in data.get("words", {}).items():
        readings = []
        for value in values:
            m = _ASCII.fullmatch(str(value).strip())
            if not m:
                raise QuantityWordsError(f"数量词表中“{word}”的读法“{value}”应写成数字加单位，例如 50%。")
            readings.extend(_read_ascii(m, value))
        words[word] = tuple(readings)
    return words


@cache
def _words_longest_first() -> tuple[str, ...]:
    return tuple(sorted(_words(), key=len, reverse=True))


# ---- table cells -------------------------------------------------------------------------------

_YEAR_TOKEN = re.compile(r"(19|20)\d{2}")
_NUMBER_TOKEN = re.compile(r"\d+(?:\.\d+)?")
_SENTENCE_MARK = re.compile(r"[。；！？]")
_DIGIT = re.compile(r"\d")
LABEL_NAMED = 0.8  # share of a row label's character pairs the sentence must hold


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[Quantity, ...]


def misread_cells(answer: str, quotes: list[str], canonical=lambda text: text) -> list[Quantity]:
    """Quantities the answer takes from a table row (a cited header line with years, and
    rows of a label and one number per year) that sit in no row the answer names, or in
    no column of a year the answer names: 2019 年 60.47 when 60.47 is the 2018 column,
    天然气 141.3 when 141.3 is 石油's. Quotes that are no table give nothing."""
    years = _header_years(quotes)
    rows = [r for r in (_row(q) for q in quotes) if r and years and len(r.cells) == len(years)]
    if not rows:
        return []
    said = quantities(answer)
    named_years = {y for y in years if any(q.matches(Quantity(str(y), ((Decimal(y), PLAIN),))) for q in said)}
    text = canonical(re.sub(r"\s+", "", answer))
    out = []
    for q in said:
        if any(q.matches(Quantity(str(y), ((Decimal(y), PLAIN),))) for y in named_years):
            continue
        cells = [(r, i) for r in rows for i, c in enumerate(r.cells) if q.matches(c)]
        if cells and not any(_named(canonical(r.label), text) and (not named_years or years[i] in named_years)
                             for r, i in cells):
            out.append(q)
    return out


def _header_years(quotes: list[str]) -> list[int]:
    """The years a header line gives its columns: its tokens that are years (2015 2016 …)."""
    for quote in quotes:
        if is_table_header(quote):
            return [int(t) for t in quote.split() if _YEAR_TOKEN.fullmatch(t)]
    return []


def is_table_header(quote: str) -> bool:
    """A table's header line as quoted (表1 … 能源类型 2015 2016 2017, 指标 单位 2025 年目标值):
    years standing alone as column names and no number after the last of them, no full
    stop, not itself a row of numbers."""
    tokens = quote.split()
    years = [i for i, t in enumerate(tokens) if _YEAR_TOKEN.fullmatch(t)]
    return (bool(years) and not any(_DIGIT.search(t) for t in tokens[years[-1] + 1:])
            and not _SENTENCE_MARK.search(quote) and _row(quote) is None)


def _row(quote: str) -> Row | None:
    """A table row as quoted: a label, maybe a unit, then numbers only."""
    tokens = quote.split()
    numbers = []
    while tokens and _NUMBER_TOKEN.fullmatch(tokens[-1]):
        numbers.insert(0, tokens.pop())
    if not numbers or not tokens or not _CJK_TEXT.search(tokens[0]) or any(_YEAR_TOKEN.fullmatch(n) for n in numbers):
        return None
    return Row(tokens[0], tuple(Quantity(n, ((_plain(Decimal(n)), PLAIN),)) for n in numbers))


def _named(label: str, text: str) -> bool:
    pairs = {label[i:i + 2] for i in range(len(label) - 1)}
    return not pairs or sum(1 for p in pairs if p in text) / len(pairs) >= LABEL_NAMED
