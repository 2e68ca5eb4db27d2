"""Small text helpers shared by every stage: whitespace, sentences, numbers."""

from __future__ import annotations

import re

_WS = re.compile(r"\s+")
SENTENCE_END = "。！？；!?;"
CLAUSE_MARKS = "，、：,:"  # where a sentence too long to keep whole is cut
MAX_SENTENCE_CHARS = 400  # the seed plan's longest sentence: 285 characters
NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MARKER = re.compile(r"\[\d+\]")


_FIVE_YEAR_PERIOD = re.compile(r"十[一二三四五六七八九]五")


def five_year_periods(text: str) -> set[str]:
    """The five-year plan periods a text names (十三五, “十四五”)."""
    return set(_FIVE_YEAR_PERIOD.findall(text))


def other_period(asked: str, text: str) -> bool:
    """The question names a five-year period and the text names only others (a 十三五
    question and a “十四五”时期 target): the text is about another time."""
    periods, named = five_year_periods(asked), five_year_periods(text)
    return bool(periods and named and not periods & named)


# a span of years: 2021-2025年, 2016到2018年, 2021—2030
YEAR_SPAN = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:年)?\s*(?:到|至|-|—|–|~|～)\s*((?:19|20)\d{2})(?!\d)")


def plan_end_year(title: str) -> str:
    """The last year of the period a plan's title names (…规划（2021-2025年）: 2025), or ""."""
    m = YEAR_SPAN.search(title)
    return m.group(2) if m else ""


def collapse(text: str) -> str:
    """Whitespace runs become one space: how quotes are shown."""
    return _WS.sub(" ", text).strip()


def squash(text: str) -> str:
    """All whitespace removed: how quotes are compared with the document."""
    return _WS.sub("", text)


def without_words(text: str, words) -> str:
    """The text less each of the words, longest first (所有 goes whole before 有 is looked for)."""
    for word in sorted(words, key=len, reverse=True):
        text = text.replace(word, "")
    return text


def is_verbatim(quote: str, document_text: str) -> bool:
    return squash(quote) in squash(document_text)


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split text[start:end] into sentences; spans exclude surrounding whitespace. A run of
    text with no sentence end (a table dump, text with no Chinese punctuation) is cut into
    pieces of at most MAX_SENTENCE_CHARS, so no step that works sentence by sentence ever
    holds the whole of it."""
    spans = []
    begin = start
    for i in range(start, end):
        if text[i] in SENTENCE_END:
            close = _note_after(text, i + 1, end)
            spans.append((begin, close))
            begin = close
    if begin < end:
        spans.append((begin, end))
    return [piece for a, b in spans for piece in bounded_spans(text, a, b, MAX_SENTENCE_CHARS)]


# “…超过 50%。（责任单位：省邮政管理局）提高…”: a bracketed note right after a sentence's end
# (its departments, 详见附件 1) belongs to that sentence, not to the one it runs into.
_NOTE_AFTER = re.compile(r"[（(][^（()）。！？；!?;\n]{4,150}[）)]")
_LIST_NUMBER = re.compile(r"[（(](?:[一二三四五六七八九十]+|\d{1,2})[）)]")


def _note_after(text: str, at: int, end: int) -> int:
    """Where a sentence ending at `at` ends with the note that follows it, if one does."""
    m = _NOTE_AFTER.match(text, at, end)
    if m is None or _LIST_NUMBER.match(text, at, end):  # “。（二）…”: the next item of a list
        return at
    return m.end()


def bounded_spans(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """text[start:end] (whitespace trimmed) in pieces of at most max_chars: each cut after
    the last clause mark that fits, else at the last whitespace, else at max_chars."""
    pieces = []
    a, b = _trim(text, start, end)
    while b - a > max_chars:
        window = text[a:a + max_chars]
        cut = max(window.rfind(mark) for mark in CLAUSE_MARKS) + 1 \
            or max((i for i, ch in enumerate(window) if ch.isspace()), default=0) or max_chars
        cut += a
        pieces.append(_trim(text, a, cut))
        a, b = _trim(text, cut, b)
    pieces.append((a, b))
    return [p for p in pieces if p[1] > p[0]]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def numbers_in(text: str) -> list[str]:
    """Numbers as written (digits and decimal point), citation markers excluded."""
    return NUMBER.findall(_MARKER.sub(" ", text))


def number_occurs(number: str, text: str) -> bool:
    """True if `number` stands in `text` as a whole number: "5" is not inside "15" or "2025"."""
    pattern = rf"(?<![\d.]){re.escape(number)}(?![\d]|\.\d)"
    return re.search(pattern, text) is not None


def unsupported_numbers(answer: str, quotes: list[str]) -> list[str]:
    """Numbers in the answer that no quote contains."""
    evidence = " ".join(quotes)
    return [n for n in numbers_in(answer) if not number_occurs(n, evidence)]


def find_spans(text: str, quote: str) -> list[tuple[int, int]]:
    """Everywhere `quote` stands in `text` (a plan may print a sentence twice: in its
    targets and again in a task), whitespace ignored on both sides."""
    positions = [i for i, ch in enumerate(text) if not ch.isspace()]
    squashed = "".join(text[i] for i in positions)
    target = squash(quote)
    spans = []
    at = squashed.find(target) if target else -1
    while at >= 0:
        spans.append((positions[at], positions[at + len(target) - 1] + 1))
        at = squashed.find(target, at + 1)
    return spans


def contains_fact(text: str, fact: str) -> bool:
    """`fact` in `text`, whitespace ignored; a fact that starts or ends with a digit must not
    sit inside a longer number ("5" is not in "15%" or "2025")."""
    hay, needle = collapse(text), squash(fact)
    if not needle:
        return False
    head = r"(?<![\d.])" if needle[0].isdigit() else ""
    tail = r"(?!\d|\.\d)" if needle[-1].isdigit() else ""
    body = r"\s*".join(re.escape(ch) for ch in needle)  # whitespace inside the fact is ignored
    return re.search(head + body + tail, hay) is not None


TIME_LEFT_AFTER = 5  # items (questions, passages) timed before an estimate is shown


def time_left(seconds: float, done: int, total: int) -> str:
    """“，预计还需约 3 分钟”: the time `total - done` more items take at the speed measured so
    far (`done` items in `seconds`), for a progress message ("" before a few items)."""
    if done < TIME_LEFT_AFTER or done >= total:
        return ""
    left = seconds / done * (total - done)
    return f"，预计还需约 {max(1, round(left / 60))} 分钟" if left >= 90 else f"，预计还需约 {max(1, round(left))} 秒"
