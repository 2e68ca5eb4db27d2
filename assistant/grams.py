"""grams: the plans' character n-grams as tables a build keeps, read memory-mapped.

Word checks (“does any plan print this word?”) and the check for one-character typos of
index words look up character pairs and triples of all plans. Built
in Python at every process start, those tables grew with the corpus; a build now computes
them once (numpy over each new plan's code points), keeps them as sorted int64 keys with
counts (`.npy`), and a process maps them and answers each lookup by bisection.

Counts, not sets, so that an incremental build adds a new plan's counts to the previous
build's and subtracts a removed plan's, without reading the other plans again.

A key packs up to three characters, each as its code point + 1 in 21 bits: 1-, 2- and
3-grams never collide (a longer gram has a non-zero higher group).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

BITS = 21
PATTERN_MAX = 8  # index words longer than this are not matched for one-character typos


def codes(text: str) -> np.ndarray:
    """The text's code points + 1, as int64."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1


def gram_keys(c: np.ndarray, n: int) -> np.ndarray:
    """Keys of every n-gram of code array `c` (+1 each)."""
    if len(c) < n:
        return np.empty(0, dtype=np.int64)
    m = len(c) - n + 1
    keys = np.zeros(m, dtype=np.int64)
    for j in range(n):
        keys = (keys << BITS) | c[j:j + m]
    return keys


def key(text: str) -> int:
    """The key of a string of one to three characters."""
    out = 0
    for ch in text:
        out = (out << BITS) | (ord(ch) + 1)
    return out


def word_key(word: str) -> int:
    """A stable 63-bit key of any string (words and word patterns, which are longer than three)."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little") >> 1


class CountTable:
    """Sorted unique keys with a count each."""

    def __init__(self, keys: np.ndarray, counts: np.ndarray):
        self.keys = keys
        self.counts = counts

    @classmethod
    def of(cls, keys: np.ndarray) -> CountTable:
        unique, counts = np.unique(keys, return_counts=True)
        return cls(unique.astype(np.int64), counts.astype(np.int64))

    @classmethod
    def combined(cls, plus: Iterable[CountTable], minus: Iterable[CountTable] = ()) -> CountTable:
        """The sum of `plus` less `minus` (keys whose count falls to zero leave)."""
        parts = [(t.keys, t.counts) for t in plus] + [(t.keys, -np.asarray(t.counts)) for t in minus]
        if not parts:
            return cls(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
        keys = np.concatenate([np.asarray(k) for k, _ in parts])
        counts = np.concatenate([np.asarray(c) for _, c in parts])
        unique, inverse = np.unique(keys, return_inverse=True)
        total = np.zeros(len(unique), dtype=np.int64)
        np.add.at(total, inverse.reshape(-1), counts)
        kept = total > 0
        return cls(unique[kept].astype(np.int64), total[kept])

    def save(self, path: Path) -> None:
        np.save(path, np.stack([np.asarray(self.keys, dtype=np.int64), np.asarray(self.counts, dtype=np.int64)]))

    @classmethod
    def load(cls, path: Path) -> CountTable:
        data = np.load(path, mmap_mode="r", allow_pickle=False)
        if data.ndim != 2 or data.shape[0] != 2 or data.dtype != np.int64:
            raise ValueError(f"{path.name}: not a count table")
        return cls(data[0], data[1])

    def __len__(self) -> int:
        return len(self.keys)

    def count(self, k: int) -> int:
        i = int(np.searchsorted(self.keys, k))
        return int(self.counts[i]) if i < len(self.keys) and int(self.keys[i]) == k else 0

    def __contains__(self, k: int) -> bool:
        return self.count(k) > 0

    def counts_of(self, keys: np.ndarray) -> np.ndarray:
        """The count of each key (0 where absent), in one bisection over all of them."""
        if not len(self.keys):
            return np.zeros(len(keys), dtype=np.int64)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(np.asarray(self.keys[at]) == keys, np.asarray(self.counts[at]), 0)


class PrintedGrams:
    """How often the plans print a string of one to three characters, one at a time or, for
    many characters beside one neighbour, all in one lookup."""

    def __init__(self, table: CountTable):
        self.table = table

    def __call__(self, text: str) -> int:
        return self.table.count(key(text))

    def beside(self, before: str, after: str, characters: np.ndarray) -> np.ndarray:
        """Of `characters` (their `codes`), which the plans print right after `before` or
        right before `after` (either may be empty), as a boolean mask."""
        printed = np.zeros(len(characters), dtype=bool)
        if before:
            printed |= self.table.counts_of((key(before) << BITS) | characters) > 0
        if after:
            printed |= self.table.counts_of((characters << BITS) | key(after)) > 0
        return printed


# ---- what a build keeps per plan ---------------------------------------------------------------
def text_grams(compared: str) -> CountTable:
    """Every character, pair and triple of a plan's text as words are compared with it."""
    c = codes(compared)
    return CountTable.of(np.concatenate([gram_keys(c, n) for n in (1, 2, 3)]))


def patterns(words: Iterable[str], max_chars: int) -> np.ndarray:
    """Sorted keys of every word (up to `max_chars`) with one character blanked: a word
    one character away from a known word (公公机构 for 公共机构) shares one of them."""
    keys = {word_key(p) for w in words if len(w) <= max_chars for p in wildcards(w)}
    return np.array(sorted(keys), dtype=np.int64)


def wildcards(word: str) -> list[str]:
    return [f"{word[:i]}\x00{word[i + 1:]}" for i in range(len(word))]


def has_key(sorted_keys: np.ndarray, k: int) -> bool:
    i = int(np.searchsorted(sorted_keys, k))
    return i < len(sorted_keys) and int(sorted_keys[i]) == k
