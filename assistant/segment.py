"""segment: jieba with the corpus's domain dictionary, plus character bigrams."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import threading
from functools import cached_property
from pathlib import Path

log = logging.getLogger(__name__)

_POINTING = re.compile(r"[这那哪][一二两三四五六七八九十几]")  # a demonstrative and a count: 这两块, 那几项
_QUOTED_TERM = re.compile(r"[“\"「『‘]([^”\"」』’]{2,20})[”\"」』’]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_KEEP = re.compile(r"[\w\u4e00-\u9fff]")
BIGRAM_MARK = "§"
_TOKENIZERS: dict = {}  # the dictionaries' key (Segmenter._dictionary_key) -> an initialised jieba.Tokenizer
_TOKENIZERS_LOCK = threading.Lock()
_POSSEG_LOCK = threading.Lock()
_TAGGERS: dict = {}  # id of a shared tokenizer -> its part-of-speech tagger (tokenizers are never dropped)
_SNAPSHOT_TAGS: dict = {}  # id of a tokenizer loaded from a snapshot -> the parts of speech saved with it
SNAPSHOT_FORMAT = 1
_CJK_DASH = re.compile(r"(?<=[\u4e00-\u9fff])[—–\-－]+(?=[\u4e00-\u9fff])")
# a PDF line break or stray space inside a word (“节 能宣传”): Chinese sets no space between characters
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")

# Words that ask rather than say: they carry no evidence of their own.
QUESTION_WORDS = frozenset("""
的 了 是 在 和 与 及 或 有 要 吗 呢 吧 啊 呀 么 哪 哪些 哪个 什么 啥 多少 几 怎么 怎样 如何 为什么
请问 请 一下 我 我们 你 你们 他们 这个 那个 这 那 这些 那些 其 中 对 对于 关于 方面 问题 情况 规划 里 里面
说 讲 提到 提出 给出 目标值 具体 能 会 可以 应该 需要 达到 得到 到 多 少 还 又 也 都 就 把 被 让 给
占多大 占多少 哪几 哪几个 哪几项 哪几家 地方 期间 时期 一般 通常 百分之几 百分之 百分 几家 几个 几项 几条 几年 哪年 哪一年 多少家 多少个 多少项 干什么 干啥 做什么 怎么做 干嘛 要做 做些 做哪些 一部 部分 一部分 哪部分 一节 哪一节 章节 一章 内容 写 写在 讲了 讲的 讲啥 主要 程度 分别 哪年 年份 是否 对吗
是不是 这样 那块 那一节 栏目 哪里 哪儿 什么样 多大 多高 各 各是 各自 一般 大概 大约 现在 目前 显示 列 列了
数量 数目 安排 下来 起来 出来 包括 包含 涵盖 列出 事情 事儿 哪些事
""".split())


# jieba part-of-speech tags (by prefix) of words that say something about the subject: nouns
# and their kin (名词, 区别词 多孔, 简称 规上, 习用语, 处所, 名动词 发电, 外文) …
NOUN_TAGS = ("n", "b", "j", "l", "i", "s", "vn", "an", "eng")
# … and of the other content words (verbs, adjectives). The rest (numerals, pronouns, time
# words, adverbs, prepositions, particles: 每年, 两个, 下来, 往) ask how, not about what.
CONTENT_TAGS = NOUN_TAGS + ("v", "a", "z")
NO_TAG = "x"
# Words of these tags say nothing a passage could hold: pronouns (每年, 那年, 这块),
# prepositions, conjunctions, particles, interjections, onomatopoeia, punctuation, no tag.
FUNCTION_TAGS = ("r", "p", "c", "u", "y", "e", "o", "w", NO_TAG)
PHRASE_WORDS = 4  # a filler phrase is a run of at most this many jieba words
TAGGED_KEPT = 512  # questions whose tagged words are kept
TEXTS_KEPT = 8192  # texts (passages, sentences, questions) whose words are kept


class Segmenter:
    """Tokens for the lexical index and for question analysis. jieba loads on first use."""

    def __init__(self, user_dict: Path | None = None, synonyms: Path | None = None,
                 snapshots: Path | None = None):
        self._user_dict = user_dict
        self._synonyms_file = synonyms
        self._snapshots = snapshots  # a folder that may hold a snapshot of these dictionaries

    @cached_property
    def _synonyms(self) -> list[tuple[str, str]]:
        """(variant, canonical) pairs, longest variant first."""
        path = self._synonyms_file
        if not path or not path.exists():
            return []
        pairs = []
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.split()
            if words and not line.startswith("#"):
                pairs += [(variant, words[0]) for variant in words[1:]]
        return sorted(pairs, key=lambda p: -len(p[0]))

    def variants(self) -> list[tuple[str, str]]:
        """(variant, canonical) pairs of the synonyms file: 固废 for 固体废物 and the like."""
        return list(self._synonyms)

    def canonical(self, text: str) -> str:
        return _kept(self._canonicals, text, self._canonical)

    def _canonical(self, text: str) -> str:
        text = _CJK_DASH.sub("", text)  # “塔—额—裕” and 塔额裕 are one name
        text = _CJK_GAP.sub("", text)
        for variant, canonical in self._synonyms:
            text = re.sub(re.escape(variant), canonical, text, flags=re.I)
        return text

    @cached_property
    def _canonicals(self) -> dict:
        return {}

    @cached_property
    def _jieba(self):
        """One jieba tokenizer per user dictionary content, shared by the segmenters of this
        process (a build's and the live index's read equal copies of the same file): loading
        jieba's dictionary costs about a second, and an added plan pays it once, not twice.
        A snapshot saved by `save_snapshot` for the same dictionaries loads in a third of that."""
        import jieba

        key = self._dictionary_key()
        with _TOKENIZERS_LOCK:
            tokenizer = _TOKENIZERS.get(key)
            if tokenizer is None:
                jieba.setLogLevel(60)
                tokenizer = _from_snapshot(self._snapshots / _snapshot_name(key) if self._snapshots else None, key)
                if tokenizer is None:
                    tokenizer = jieba.Tokenizer()
                    tokenizer.initialize()
                    if key[2]:
                        tokenizer.load_userdict(str(self._user_dict))
                _TOKENIZERS[key] = tokenizer
        return tokenizer

    def _dictionary_key(self) -> tuple[int, str, str]:
        """What the loaded dictionaries depend on: the snapshot format, jieba's version (its own
        dictionary ships with it) and the user dictionary's content ("" without one)."""
        import jieba

        path = self._user_dict if self._user_dict and self._user_dict.exists() else None
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path else ""
        return SNAPSHOT_FORMAT, jieba.__version__, digest

    def save_snapshot(self, folder: Path, earlier: Path | None = None) -> Path:
        """jieba's word frequencies and parts of speech with the user dictionary's words in
        them, pickled into `folder` for a later process's `snapshots`: jieba's own cache is a
        marshal file that takes most of a second to read at every start, and its tagger reads
        its whole dictionary file again. The file is named by the dictionaries, so one that
        `earlier` (a folder) already holds is linked rather than written again. Written by the
        index build into its own folder, which is trusted as the rest of the build is."""
        key = self._dictionary_key()
        path, before = folder / _snapshot_name(key), (earlier / _snapshot_name(key)) if earlier else None
        if before is not None and before.is_file():
            try:
                os.link(before, path)  # builds never change a file once written
                return path
            except OSError:
                pass  # another file system, or no hard links: written anew
        tagger = self._tagger
        tagger.makesure_userdict_loaded()  # the user words' tags move over at the first cut, maybe not yet made
        tokenizer, tags = self._jieba, tagger.word_tag_tab
        data = {"key": key, "freq": tokenizer.FREQ, "total": tokenizer.total, "tags": tags}
        path.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
        return path

    def words(self, text: str) -> list[str]:
        """jieba search-mode words, lower-cased, punctuation and whitespace dropped. Passages
        are cut again for every question that retrieves them: kept a while."""
        return list(_kept(self._words, text, self._cut_words))

    def _cut_words(self, text: str) -> tuple[str, ...]:
        return tuple(w.lower() for w in self._jieba.lcut_for_search(self.canonical(text)) if _KEEP.search(w))

    @cached_property
    def _words(self) -> dict:
        return {}

    def dictionary_words(self, text: str) -> list[str]:
        """`text` cut into the dictionary's words as written (no synonyms unified, nothing
        dropped; no words made up by jieba's HMM: 降拍 is 降|拍)."""
        return self._jieba.lcut(text, HMM=False)

    def without(self, text: str, words: frozenset[str]) -> str:
        """`text` less the jieba words in `words` (whole words only: 得 goes, 获得 stays); a
        phrase in `words` goes when it is a run of whole words (想了解一下 is 想|了解|一下)."""
        tokens = self._jieba.lcut(text)
        kept, i = [], 0
        while i < len(tokens):
            run = next((j for j in range(min(len(tokens), i + PHRASE_WORDS), i, -1)
                        if "".join(tokens[i:j]) in words), None)
            if run is None:
                kept.append(tokens[i])
                i += 1
            else:
                i = run
        return "".join(kept).strip("，, ") or text

    def spans_word(self, text: str, word: str) -> bool:
        """Some occurrence of `word` in `text` starts and ends on jieba word boundaries
        (search mode: compounds are split too)."""
        cuts = {0}
        for _, start, end in self._jieba.tokenize(text, mode="search"):
            cuts.update((start, end))
        at = text.find(word)
        while at >= 0:
            if at in cuts and at + len(word) in cuts:
                return True
            at = text.find(word, at + 1)
        return False

    def word_frequency(self, word: str) -> int:
        """How often jieba's dictionary (with the domain words) counts `word`; 0 for a non-word."""
        return self._jieba.FREQ.get(word) or 0

    def log_likelihood(self, text: str) -> float:
        """Log-probability of jieba's best segmentation of `text` under its word-frequency
        model: how much a run of characters reads like Chinese words."""
        dag = self._jieba.get_DAG(text)
        route: dict = {}
        self._jieba.calc(text, dag, route)
        return route[0][0]

    @cached_property
    def _tagger(self):
        """One part-of-speech tagger per shared tokenizer: jieba's tagger takes the user
        dictionary's tags over from its tokenizer (and clears them there), so a second tagger
        on the same tokenizer would tag the domain words as unknown."""

        tokenizer = self._jieba
        with _TOKENIZERS_LOCK:
            tagger = _TAGGERS.get(id(tokenizer))
            if tagger is None:
                tagger = _TAGGERS[id(tokenizer)] = _tagger_for(tokenizer, _SNAPSHOT_TAGS.pop(id(tokenizer), None))
        return tagger

    def is_function_phrase(self, word: str) -> bool:
        """A word made only of characters that say how, not what (是从, 就是, 都要): each a
        question word or, alone, a pronoun, preposition, conjunction, particle or adverb."""
        tags = self._tagger.word_tag_tab
        return len(word) > 1 and all(ch in QUESTION_WORDS or "\u4e00" <= ch <= "\u9fff"
                                     and tags.get(ch, NO_TAG).startswith(FUNCTION_TAGS + ("d",)) for ch in word)

    def nouns(self, text: str) -> list[str]:
        """The nouns (jieba part-of-speech n…) of the text, synonyms unified, lower-cased:
        what a sentence is about (稀土永磁电机, 公共机构), as against how it says it."""
        pairs = self._tagger.lcut(self.canonical(text))
        return [p.word.lower() for p in pairs if p.flag.startswith("n") and _KEEP.search(p.word)]

    def tagged_terms(self, text: str) -> list[tuple[str, str]]:
        """The words of `terms`, each with its part of speech: the dictionary's tag, or for a
        word jieba made up (no dictionary word: 业在, 往外, 天舜铂鑫), the tag of a word of two
        or more characters the tagger reads inside it (天舜铂 nr), else `NO_TAG`; a made-up
        word that begins or ends with a question word's character (业在, 业有) is a cut in the
        wrong place, `NO_TAG` too. Questions repeat (retrieval, weights, checks): kept a while."""
        return list(_kept(self._tagged, text, lambda t: tuple(self._tag_terms(t)), TAGGED_KEPT))

    @cached_property
    def _tagged(self) -> dict:
        return {}

    def _tag_terms(self, text: str) -> list[tuple[str, str]]:
        canonical = self.canonical(text)
        spans, at = [], 0
        for pair in self._tagger.lcut(canonical):
            spans.append((at, at + len(pair.word), pair.flag))
            at += len(pair.word)
        lower, tags = canonical.lower(), self._tagger.word_tag_tab
        out = []
        for word in self.terms(text):
            tag = tags.get(word)
            if _POINTING.match(word):
                tag = "r"  # 这两块, 那三项: points at what was said, names nothing (jieba's dictionary says n)
            elif tag is None and (word[0] in QUESTION_WORDS or word[-1] in QUESTION_WORDS):
                tag = NO_TAG
            elif tag is None:
                i = lower.find(word)
                inside = [f for s, e, f in spans if i >= 0 and i <= s and e <= i + len(word) and e - s >= 2]
                tag = inside[0] if inside else NO_TAG
            out.append((word, tag))
        return out

    def content_terms(self, text: str, nouns: bool = False) -> list[str]:
        """`terms` less the words that only say how it is asked (每年, 两个, 下来, 往外): the
        words a passage must hold to be about the question. `nouns`: its subject words only."""
        wanted = NOUN_TAGS if nouns else CONTENT_TAGS
        return [w for w, tag in self.tagged_terms(text) if tag.startswith(wanted)]

    def cut(self, text: str) -> list[str]:
        """jieba's precise cut (each character in one word, punctuation kept), synonyms
        unified, lower-cased."""
        return [w.lower() for w in self._jieba.lcut(self.canonical(text))]

    def terms(self, text: str) -> list[str]:
        """The question's content words: `words` without question words."""
        return [w for w in self.words(text) if w not in QUESTION_WORDS]

    def tokens(self, text: str) -> list[str]:
        """Index tokens: words and character bigrams (marked, so they never collide)."""
        return self.words(text) + bigrams(self.canonical(text))

    def query_tokens(self, text: str) -> list[str]:
        """The question's words (two characters or more; not pronouns and particles such as
        每年, 那年, nor cuts in the wrong place such as 业有, unless it has no other) and their
        bigrams; bigrams are taken inside words so that 问法 (“率到”, “要达”) adds no noise.
        Numerals and time words stay: 第十一项 and 中期 are what a question about a part the
        plan lacks turns on."""
        words = self.query_words(text)
        grams = [b for w in words for b in bigrams(w)]
        # a term the question quotes (“两网融合”) is the plan's own, whatever jieba makes of it: all its pairs
        grams += [b for quoted in self.quoted_terms(text) for b in bigrams(self.canonical(quoted)) if b not in grams]
        return words + grams

    @staticmethod
    def quoted_terms(text: str) -> list[str]:
        """The terms a question puts in quotes (“两网融合”): the plan's own names for things."""
        return _QUOTED_TERM.findall(text)

    def query_words(self, text: str) -> list[str]:
        """The words of `query_tokens`, without their bigrams."""
        return [w for w, tag in self.tagged_terms(text) if len(w) > 1 and not tag.startswith(FUNCTION_TAGS)] or [
            w for w in self.terms(text) if len(w) > 1]


def _tagger_for(tokenizer, tags: dict | None = None):
    """A part-of-speech tagger on `tokenizer`, with the tags of its snapshot if it was loaded
    from one, else with the tags of its dictionary file (read here)."""
    posseg = _posseg()
    if tags is None:
        return posseg.POSTokenizer(tokenizer)
    tagger = object.__new__(posseg.POSTokenizer)
    tagger.tokenizer, tagger.word_tag_tab = tokenizer, tags
    return tagger


def _posseg():
    """jieba.posseg, imported without reading jieba's dictionary file. On import it makes a
    tagger of its own on jieba's default tokenizer, which reads the whole file for its tags (a
    third of a second at every start); the taggers here never use it, so while it is imported
    the default tokenizer is one with an empty dictionary (jieba.posseg's own cut functions
    are not used)."""
    import sys

    import jieba

    with _POSSEG_LOCK:
        if "jieba.posseg" not in sys.modules:
            default, jieba.dt = jieba.dt, jieba.Tokenizer(os.devnull)
            try:
                import jieba.posseg  # noqa: F401
            finally:
                jieba.dt = default
    return sys.modules["jieba.posseg"]


def _snapshot_name(key: tuple) -> str:
    return f"segmenter-{hashlib.sha256(repr(key).encode()).hexdigest()[:16]}.pickle"


def _from_snapshot(path: Path | None, key: tuple):
    """A jieba tokenizer with the dictionaries saved at `path` (its tags set aside for its
    tagger), or None when there is none for `key`: no file, other dictionaries, or a file
    that does not read (a snapshot only saves time; jieba's own files are read instead)."""
    if path is None or not path.exists():
        return None
    try:
        data = pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        log.warning("jieba snapshot %s unreadable (%s); reading jieba's dictionary instead", path, exc)
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total = data["freq"], data["total"]
    tokenizer.initialized = True
    _SNAPSHOT_TAGS[id(tokenizer)] = data["tags"]
    return tokenizer


def _kept(memo: dict, text: str, make, most: int = TEXTS_KEPT):
    """`make(text)`, remembered in `memo` until it holds `most` texts (then it starts afresh)."""
    found = memo.get(text)
    if found is None:
        if len(memo) >= most:
            memo.clear()
        found = memo[text] = make(text)
    return found


def bigrams(text: str) -> list[str]:
    out = []
    for run in _CJK_RUN.findall(text):
        out.extend(BIGRAM_MARK + run[i:i + 2] for i in range(len(run) - 1))
    return out


def make_segmenter(settings) -> Segmenter:
    return Segmenter(settings.support_file(settings.user_dict), settings.support_file(settings.synonyms))
