"""understand: a question -> Query (intent, sector or department, terms, numbers, years)."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .grams import PrintedGrams
from .grams import codes as grams_codes
from .segment import Segmenter
from .structure import AskCues
from .text import squash, without_words
from .types import Query

_LIST_ASK = re.compile(r"哪些|哪几|有啥|有什么|都有|列出|列一下|清单|包括|几项|几个|多少项|汇总|全部")
_TARGET_WORD = re.compile(r"目标|指标|考核|KPI", re.I)
_DEPARTMENT_SUFFIX = re.compile(r"(局|委员会|委|厅|办公室|部门)$")
_DEPARTMENT_WORD = re.compile(r"([\u4e00-\u9fff]{2,8}?(?:局|委员会|委|厅|办公室|部门))")
_NOT_DEPARTMENT = ("格局", "布局", "结局", "当局", "全局", "大局", "主管部门", "相关部门", "有关部门", "各部门")
_GENERIC_ASK = re.compile(
    r"[的了吗呢？?。！!，,、\s]|领域|方面|量化|硬性|主要|约束性|目标|指标|任务|要求|考核|有|是|哪些|哪几项|什么|啥|"
    r"要|完成|负责|牵头|管|这边|那边|部门|单位|都|全部|所有|列出|清单|一下|请问|规划|里|中|对|给")
SUBJECT_MIN_CHARS = 5
_TASK_CUES = r"干什么|干些什么|干啥|干哪些|干些啥|哪些事|哪些活|的活|活儿|做什么|做些什么|要做|怎么做|任务|工作|措施|举措|抓什么"
_TASK_ASK = re.compile(_TASK_CUES + r"|重点是什么")
_TASK_WORDS = re.compile(_TASK_CUES + r"|重点|节能减排|节能|在|上|方面|领域|负责|需要|应该|要")
_REFERENCE_NUMBER = re.compile(r"(专栏|表|图|第)\s*\d+")
_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
# “到2030年…比2025年再降多少”: the year after 到 is the one asked for (not 2020到2025年, a span)
_TARGET_YEAR = re.compile(r"(?<![\d年])(?:到|至|截至|截止到|截止)\s*(20\d{2})(?!\d)")
_COMPARED_YEAR = re.compile(r"(?:比|较|相比|相较|对比|比起)\s*(20\d{2})(?!\d)")
_BASE_YEAR = re.compile(r"(20\d{2})\s*年?\s*(?:的)?\s*基础上")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class SectorMap:
    """Sectors as the plan organises them, and the local sector -> department mapping."""

    sectors: dict  # name -> {"aliases": [...], "headings": [...], "departments": [...], ...}
    segmenter: Segmenter | None = field(default=None, compare=False, repr=False)  # for whole words
    exact_followers: tuple[str, ...] = ()  # what may follow an exact alias (领域, 目标 …)

    @classmethod
    def load(cls, path: Path, segmenter: Segmenter | None = None) -> SectorMap:
        if not path.exists():
            return cls({}, segmenter)
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(data.get("sectors", {}), segmenter, tuple(data.get("exact_alias_followers", [])))

    def _mentions(self, text: str, word: str, exact: bool = False) -> bool:
        """`word` stands in `text` as a word, never as a piece of one: 垃圾 is in 垃圾处理
        (a compound jieba also splits into 垃圾 + 处理). An alias listed under
        `exact_aliases` names the sector only alone or before a word of `exact_followers`:
        “综合目标”, not “综合整治” or “综合利用”."""
        if word not in text:
            return False
        if exact:
            return any(not _CJK.match(text[m.end():m.end() + 1]) or text.startswith(self.exact_followers, m.end())
                       for m in re.finditer(re.escape(word), text))
        return self.segmenter is None or self.segmenter.spans_word(text, word)

    def departments(self) -> list[str]:
        names = [d for spec in self.sectors.values() for d in spec.get("departments", [])]
        return list(dict.fromkeys(names))

    def department_names(self) -> frozenset[str]:
        """Every department name, full or alias."""
        return frozenset(n for spec in self.sectors.values()
                         for n in (*spec.get("departments", []), *spec.get("department_aliases", [])) if n)

    def without_departments(self, question: str) -> str:
        """The question without the department names it holds (full or alias, longest
        first): what is left can name a heading (发展改革委…目标 names no 发展目标)."""
        for name in sorted(self.department_names(), key=len, reverse=True):
            question = question.replace(name, " ")
        return question

    def sectors_of_department(self, department: str) -> list[str]:
        return [name for name, spec in self.sectors.items()
                if department in spec.get("departments", [])]

    def find_department(self, question: str) -> str:
        """The full department name the question mentions, longest match first."""
        q = squash(question)
        best = ""
        for spec in self.sectors.values():
            for full in spec.get("departments", []):
                for name in [full, *spec.get("department_aliases", [])]:
                    if name and name in q and len(name) > len(best):
                        best, found = name, full
        return found if best else ""

    def find_sector(self, question: str) -> str:
        q = squash(question).lower()
        best, found = "", ""
        for name, spec in self.sectors.items():
            exact = set(spec.get("exact_aliases", []))
            for alias in [name, *spec.get("aliases", []), *exact]:
                if len(alias) > len(best) and self._mentions(q, alias.lower(), alias in exact):
                    best, found = alias, name
        return found

    def sectors_asked(self, query) -> list[str]:
        return self.sectors_of_department(query.department) if query.department else [query.sector]

    def sector_of_heading(self, section_path: tuple[str, ...]) -> str:
        """The sector a target belongs to, from the deepest heading that names one."""
        for heading in reversed(section_path):
            for name, spec in self.sectors.items():
                if any(word in heading for word in spec.get("headings", [])):
                    return name
        return ""


def analyze(question: str, segmenter: Segmenter, sectors: SectorMap,
            specific: Callable[[str], bool] | None = None) -> Query:
    """`specific(word)` says whether the plans use a word to say something particular; a
    word they never use, or use everywhere (口子, 这块, 地区), names no subject of its own."""
    def _is_bare(rest: str) -> bool:
        return _bare(rest, segmenter, specific)

    department = sectors.find_department(question)
    asks_list = bool(_LIST_ASK.search(question))
    asks_targets = bool(_TARGET_WORD.search(question))
    rest = _without(question, [_department_word(question, department, sectors)]) if department else question
    sector = sectors.find_sector(rest)
    unknown = ""
    search_text = ""
    if department and asks_targets and not sector and _is_bare(rest):
        intent = "sector_targets"  # 交通局要完成哪些指标: everything the mapping gives it
    elif department and sector and asks_targets and department in sectors.sectors[sector].get("departments", []):
        intent, department = "sector_targets", ""  # 发改委这边能源结构的目标: that sector
    elif sector and asks_targets and (asks_list or _is_bare(_without(question, _sector_words(sector, sectors)))):
        intent, department = "sector_targets", ""
    elif (department or sector) and _TASK_ASK.search(question) and _is_bare(
            _TASK_WORDS.sub("", _without(rest, _sector_words(sector, sectors) if sector else []))):
        intent = "sector_tasks"  # 农业农村局在节能方面要干什么: what the plan's sections ask of it
    else:
        unknown = _unknown_department(question) if asks_targets and not department else ""
        intent = "department_unknown" if unknown and _is_bare(_without(question, [unknown])) else (
            "list" if asks_list else "fact")
        search_text = _department_as_sector(question, department, sectors, segmenter) if department else (
            _strip_department_suffix(question))
        field, named = ("", "") if department or unknown or specific is None else _department_field(question, specific)
        if field and _TASK_ASK.search(question) and _is_bare(_TASK_WORDS.sub("", _without(question, [named, field]))):
            intent = "field_mentions"  # 统计局要做哪些工作: what the plan writes of 统计
        department = ""
    years, target, numbers = _stated(question)
    return Query(text=question, intent=intent, terms=tuple(segmenter.terms(question)),
                 sector=sector, department=department, numbers=numbers, years=years,
                 target_year=target,
                 unknown_department=unknown, field=field if intent == "field_mentions" else "",
                 search_text=search_text)


def _target_year(question: str, years: tuple[str, ...]) -> str:
    """Of two or more years, the one an amount is asked for: after 到 (到2030年…比2025年), or
    the one left when the others are what it is compared with (2030年…较2025年, 在2025年基础上)."""
    if len(set(years)) < 2:
        return ""
    if m := _TARGET_YEAR.search(question):
        return m.group(1)
    compared = set(_COMPARED_YEAR.findall(question)) | set(_BASE_YEAR.findall(question))
    left = [y for y in dict.fromkeys(years) if y not in compared]
    return left[0] if compared and len(left) == 1 else ""


def _department_as_sector(question: str, department: str, sectors: SectorMap, segmenter: Segmenter) -> str:
    """The plan names sectors, not departments: “农业农村局在节能方面要干什么” is searched as
    “农业农村在节能方面要干什么”; where the rest of the question names its subject
    (“工信局管的固废综合利用…”), the department is simply left out."""
    word = _department_word(question, department, sectors)
    rest = question.replace(word, "", 1)
    if len("".join(w for w in segmenter.terms(rest) if len(w) > 1)) >= SUBJECT_MIN_CHARS:
        return rest
    return question.replace(word, "、".join(sectors.sectors_of_department(department)), 1)


def _strip_department_suffix(question: str) -> str:
    """An unmapped department is searched by its field: 财政局 → 财政."""
    m = _DEPARTMENT_WORD.search(question)
    if not m or m.group(1).endswith(_NOT_DEPARTMENT):
        return ""
    word = m.group(1)
    return question.replace(word, _DEPARTMENT_SUFFIX.sub("", word), 1)


def _department_field(question: str, specific: Callable[[str], bool]) -> tuple[str, str]:
    """(field, department word) for a department the mapping lacks, named by a field the
    plans write of: 跟我们统计局有关的 → (统计, 统计局). The field is the longest end of the
    name, before its suffix, that the plans use to say something particular."""
    for m in _DEPARTMENT_WORD.finditer(squash(question)):
        word = m.group(1)
        if word.endswith(_NOT_DEPARTMENT):
            continue
        suffix = _DEPARTMENT_SUFFIX.search(word).group(1)
        stem = word[:-len(suffix)]
        field = next((stem[i:] for i in range(len(stem) - 1) if specific(stem[i:])), "")
        if field:
            return field, field + suffix
    return "", ""


def _sector_words(sector: str, sectors: SectorMap) -> list[str]:
    return [sector, *sectors.sectors[sector].get("aliases", [])]


def _department_word(question: str, department: str, sectors: SectorMap) -> str:
    """The words the question used for the department (交通局, 住建部门 …)."""
    q = squash(question)
    names = [department] + [a for spec in sectors.sectors.values() if department in spec.get("departments", [])
                            for a in spec.get("department_aliases", [])]
    return max((n for n in names if n in q), key=len, default=department)


def _without(question: str, words: list[str]) -> str:
    return without_words(squash(question), words)


def _bare(rest: str, segmenter: Segmenter, specific: Callable[[str], bool] | None) -> bool:
    """Nothing left but words for “which targets”: 要完成哪些量化指标, 的硬性指标有啥, and
    words that name nothing in the plans (“口子上”)."""
    rest = _GENERIC_ASK.sub("", rest)
    if len(rest) <= 2 or specific is None:
        return len(rest) <= 2
    return len("".join(w for w in segmenter.words(rest) if len(w) > 1 and specific(w))) <= 2


def _unknown_department(question: str) -> str:
    for m in _DEPARTMENT_WORD.finditer(squash(question)):
        word = m.group(1)
        if "的" not in word and not word.endswith(_NOT_DEPARTMENT) and len(word) <= 8:
            return word
    return ""


class HomophoneCorrector:
    """A character typed by its sound but picked wrong from the input method's list
    (能原 for 能源, 回受 for 回收, 材政局 for 财政局): replaced by a character of the same
    pinyin when that makes a word the plans print, longer than any word jieba or the plans
    know around the typed character, and the run reads better as words (jieba's
    word-frequency model says so).

    `plan_words` maps the plans' own words to how many passages hold them (the index's
    document frequency), so nothing is read again from the plan texts."""

    def __init__(self, plan_words: dict[str, int], segmenter: Segmenter,
                 printed: PrintedGrams | None = None, fuzzy: FuzzySounds | None = None,
                 cue_words: frozenset[str] = frozenset(), shapes: CharShapes | None = None):
        self.segmenter = segmenter
        self.printed = printed
        self.fuzzy = fuzzy
        self.shapes = shapes
        # the words questions are read by (标题, 文号) count as printed once: no plan need print them
        words = {**{w: 1 for w in cue_words}, **plan_words}
        self.plan_words = {w: n for w, n in words.items()
                           if len(w) >= 2 and _CJK_WORD.fullmatch(w) and n >= HOMOPHONE_MIN_PASSAGES}
        self.by_sound: dict[str, set[str]] = {}
        self.by_fuzzy_sound: dict[str, set[str]] = {}
        for word in self.plan_words:
            for ch in word:
                self.by_sound.setdefault(_sound(ch), set()).add(ch)
                if fuzzy:
                    self.by_fuzzy_sound.setdefault(fuzzy.key(_sound(ch)), set()).add(ch)

    def correct(self, question: str) -> str:
        """One typo at a time, the one whose correction reads best first: in 七大行叶 both
        行→型 (大型) and 叶→业 (行业) make plan words, and 七大行业 reads far better than 七大型叶;
        a character put right is not changed again. A character that asks or points (都, 该)
        is put right only into a word of PARTICLE_WORD characters or more (强都 → 能耗强度, 发该委 → 发改委)."""
        chars, fixed = list(question), set()
        for _ in range(HOMOPHONE_ROUNDS):
            found = list(self._corrections(chars, fixed))
            if not found:
                break
            _, i, best = max(found)
            chars[i] = best
            fixed.add(i)
        return "".join(chars)

    def _corrections(self, chars: list[str], fixed: set[int]):
        """(gain, position, character) for each position a homophone would put right."""
        for i, ch in enumerate(chars):
            if i in fixed or not _CJK.match(ch) or ch in _STRUCTURAL:
                continue
            known = self._known_length(chars, i)
            if ch in _PARTICLES:
                known = max(PARTICLE_WORD - 1, known)
            if best := self._best_homophone(chars, i, known):
                yield self._gain(chars, i, best), i, best

    def _gain(self, chars: list[str], i: int, candidate: str) -> float:
        """How much better the run around position i reads with the candidate there."""
        start, end = self._window(chars, i)
        trial = chars[:i] + [candidate] + chars[i + 1:]
        return (self.segmenter.log_likelihood("".join(trial[start:end]))
                - self.segmenter.log_likelihood("".join(chars[start:end])))

    @staticmethod
    def _window(chars: list[str], i: int) -> tuple[int, int]:
        """The CJK run around position i, at most HOMOPHONE_SPAN characters either side."""
        start, end = i, i + 1
        while start > 0 and i - start < HOMOPHONE_SPAN and _CJK.match(chars[start - 1]):
            start -= 1
        while end < len(chars) and end - i <= HOMOPHONE_SPAN and _CJK.match(chars[end]):
            end += 1
        return start, end

    def _spans(self, chars: list[str], i: int):
        """The runs of 2–4 CJK characters around position i (i inside each)."""
        if not _CJK.match(chars[i]):
            return
        lo, hi = i, i + 1  # the CJK run around i, as far as a span reaches
        while lo > max(0, i - HOMOPHONE_SPAN + 1) and _CJK.match(chars[lo - 1]):
            lo -= 1
        while hi < min(len(chars), i + HOMOPHONE_SPAN) and _CJK.match(chars[hi]):
            hi += 1
        for length in range(2, HOMOPHONE_SPAN + 1):
            for start in range(max(lo, i - length + 1), i + 1):
                if start + length <= hi:
                    yield start, start + length

    def _known_length(self, chars: list[str], i: int) -> int:
        """The length of the longest word jieba or the plans know that holds position i (0: none)."""
        return max((end - start for start, end in self._spans(chars, i)
                    if self._known("".join(chars[start:end]))), default=0)

    def _known(self, word: str) -> bool:
        return word in self.plan_words or self.segmenter.word_frequency(word) >= HOMOPHONE_WORD_MIN_FREQ

    def _best_homophone(self, chars: list[str], i: int, known_length: int) -> str:
        """The same-sounding character that makes a plan word longer than any word the typed
        character already stands in (天燃气: 燃气 is a word, 天然气 a longer one), if any; a
        character of a fuzzy sound (改照 → 改造) only when none of the exact sound does."""
        sound = _sound(chars[i])
        # every reading of the typed character: 都 was picked from the list for du (强都 → 强度) as for dou
        alike = {c for reading in _readings(chars[i]) for c in self.by_sound.get(reading, ())}
        best = self._best_of(chars, i, known_length, alike)
        if not best and self.printed and known_length and not self._plan_word_at(chars, i, known_length):
            # 推进路经: 路经 is a word, but no plan's; 路径 is one, and printed there (进路径)
            best = self._best_of(chars, i, known_length - 1, alike, printed_beside=True)
        if not best and self.fuzzy and self.printed:
            best = self._best_of(chars, i, known_length, self.by_fuzzy_sound.get(self.fuzzy.key(sound), ()),
                                 printed_beside=True)
        if not best and self.shapes and self.printed and known_length <= 1:
            # 循坏经济: picked by its look (坏 for 环), not its sound; a wider guess still, so only a
            # character in no word of its own, into a plan word printed beside its neighbours
            best = self._best_of(chars, i, known_length,
                                 self.shapes.alike(chars[i], self._printed_beside(chars, i)), printed_beside=True)
        return best

    def _printed_beside(self, chars: list[str], i: int) -> frozenset[str]:
        """The plans' characters printed next to a neighbour of position i (only these can
        make a run the plans print there)."""
        before = chars[i - 1] if i > 0 and _CJK.match(chars[i - 1]) else ""
        after = chars[i + 1] if i + 1 < len(chars) and _CJK.match(chars[i + 1]) else ""
        characters, codes = self._plan_characters
        return frozenset(characters[j] for j in np.flatnonzero(self.printed.beside(before, after, codes)))

    @cached_property
    def _plan_characters(self) -> tuple[list[str], np.ndarray]:
        """The plans' characters and their `grams.codes`, for one lookup of them all."""
        characters = sorted({ch for word in self.plan_words for ch in word})
        return characters, grams_codes("".join(characters))

    def _plan_word_at(self, chars: list[str], i: int, length: int) -> bool:
        """A word of the plans, `length` characters long, holds position i."""
        return any("".join(chars[s:e]) in self.plan_words for s, e in self._spans(chars, i) if e - s == length)

    def _best_of(self, chars: list[str], i: int, known_length: int, candidates,
                 printed_beside: bool = False) -> str:
        """Of the candidates that make a plan word and read better, the one the plans print
        beside the neighbouring characters most (主提宣传: 主题宣传 is printed, 主体宣传 is
        not), then the one whose word the most passages hold. `printed_beside`: only a
        candidate the plans print beside a neighbour (a fuzzy sound is a wider guess: 工信局
        is no 工行局, which no plan prints)."""
        best, best_rank = "", (0, 0)
        for candidate in candidates:
            if candidate == chars[i]:
                continue
            trial = chars[:i] + [candidate] + chars[i + 1:]
            count = max((self.plan_words.get("".join(trial[s:e]), 0) for s, e in self._spans(trial, i)
                         if e - s > known_length), default=0)
            if not count or not self._cut_through(trial, i, known_length):
                continue
            rank = (self._context(trial, i), count)
            if printed_beside and not rank[0]:
                continue
            if rank > best_rank and self._reads_better(chars, trial, i):
                best, best_rank = candidate, rank
        return best

    def _cut_through(self, trial: list[str], i: int, known_length: int) -> bool:
        """jieba reads the corrected run with a word through position i longer than the typed
        character stood in: 节能减拍 is 节能|减排 with 排, but 节能|降|拍 with 降 (能降 is
        a plan's word only as a piece of 节能降耗)."""
        start, end = self._window(trial, i)
        at = start
        for word in self.segmenter.dictionary_words("".join(trial[start:end])):
            if at <= i < at + len(word):
                return len(word) > max(1, known_length)
            at += len(word)
        return False

    def _context(self, trial: list[str], i: int) -> int:
        """How often the plans print the character triples through position i."""
        if self.printed is None:
            return 0
        return sum(self.printed("".join(trial[s:s + 3])) for s in range(max(0, i - 2), i + 1)
                   if s + 3 <= len(trial) and all(_CJK.match(c) for c in trial[s:s + 3]))

    def _reads_better(self, chars: list[str], trial: list[str], i: int) -> bool:
        return self._gain(chars, i, trial[i]) > 0


class Abbreviations:
    """Two-character abbreviations made of the first character of each half of a four-character
    term the plans print (公建 for 公共建筑, 农机 for 农业机械, 交运 for 交通运输), written out in
    full where the plans never use the abbreviation as a word. A term is two words of the plans
    printed side by side, at least ABBREVIATED_MIN_PRINTED times, and the only such term its
    abbreviation can stand for. A build works them out (`of_plans`) and keeps `full`."""

    def __init__(self, full: dict[str, str], segmenter: Segmenter):
        self.full = dict(full)  # abbreviation -> the term written out
        self.segmenter = segmenter

    @classmethod
    def of_plans(cls, texts, plan_words, segmenter: Segmenter) -> Abbreviations:
        """Worked out from the plans' texts and words (the index's words, not bigrams)."""
        texts = list(texts)
        counts: dict[str, int] = {}
        for text in texts:
            for m in re.finditer(r"(?=([\u4e00-\u9fff]{4}))", text):
                term = m.group(1)
                if term[:2] in plan_words and term[2:] in plan_words:
                    counts[term] = counts.get(term, 0) + 1
        by_key: dict[str, list[str]] = {}
        for term, n in counts.items():
            if n >= ABBREVIATED_MIN_PRINTED:
                by_key.setdefault(term[0] + term[2], []).append(term)
        # 公建 is printed inside 办公建筑, but never as a word of its own
        used = {w for text in texts for w in segmenter.dictionary_words(text) if len(w) == 2}
        return cls({key: terms[0] for key, terms in by_key.items() if len(terms) == 1 and key not in used}, segmenter)

    def expand(self, question: str) -> str:
        """The question with each abbreviation that stands alone (its characters in no longer
        word of the question: not the 公建 of 办公建筑) written out."""
        bounds, at = {0}, 0
        for word in self.segmenter.dictionary_words(question):
            at += len(word)
            bounds.add(at)
        out, i = [], 0
        while i < len(question):
            short = question[i:i + 2]
            if i in bounds and i + 2 in bounds and short in self.full and self.full[short] not in question:
                out.append(self.full[short])
                i += 2
            else:
                out.append(question[i])
                i += 1
        return "".join(out)


ABBREVIATED_MIN_PRINTED = 2
HOMOPHONE_SPAN = 4
HOMOPHONE_ROUNDS = 3  # typos put right in one question at most
PARTICLE_WORD = 3  # a particle (都, 该) is a typo only inside a word this long
HOMOPHONE_MIN_PASSAGES = 1  # a word the plans print at all can be what was meant
# jieba's dictionary counts rare and odd words low; a character inside a word this common is no typo.
HOMOPHONE_WORD_MIN_FREQ = 10
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]+")


FUZZY_SOUNDS = Path(__file__).parent / "data" / "fuzzy_sounds.toml"


@dataclass(frozen=True)
class FuzzySounds:
    """Pinyin spellings an input method's fuzzy setting confuses (zh/z, ang/an), from
    `data/fuzzy_sounds.toml`: `key` reads a syllable as the spelling it is confused with."""

    initials: tuple[tuple[str, str], ...]
    finals: tuple[tuple[str, str], ...]

    @classmethod
    def load(cls, path: Path = FUZZY_SOUNDS) -> FuzzySounds:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        def pairs(name: str) -> tuple:
            return tuple(sorted((tuple(p) for p in data.get(name, ())), key=lambda p: -len(p[0])))

        return cls(pairs("initials"), pairs("finals"))

    def key(self, syllable: str) -> str:
        for spelled, read in self.initials:
            if syllable.startswith(spelled):
                syllable = read + syllable[len(spelled):]
                break
        for spelled, read in self.finals:
            if syllable.endswith(spelled):
                syllable = syllable[:-len(spelled)] + read
                break
        return syllable


# char-similar-z's shape score of two characters one could be mistaken for the other: 坏/环 .79,
# 问/间 .89; characters merely of one build score lower (环/境 .57, 中/心 .64)
SHAPE_MIN_SIMILARITY = 0.75


class CharShapes:
    """Characters that look alike (坏 and 环, 问 and 间), as `char-similar-z` scores them from
    their four-corner codes, structure, strokes and components; each pair is scored once."""

    def __init__(self, min_similarity: float = SHAPE_MIN_SIMILARITY):
        self.min_similarity = min_similarity
        self._scores: dict[tuple[str, str], float] = {}

    @cached_property
    def _scorer(self):
        from char_similar_z import CharSimilarity

        return CharSimilarity()

    def alike(self, ch: str, among: frozenset[str]) -> frozenset[str]:
        return frozenset(c for c in among if c != ch and self._score(ch, c) >= self.min_similarity)

    def _score(self, a: str, b: str) -> float:
        if (a, b) not in self._scores:
            self._scores[(a, b)] = self._scorer.std_cal_sim(a, b, kind="shape")
        return self._scores[(a, b)]


SOUNDS = Path(__file__).parent / "data" / "sounds.json"
SOUND_TABLE_CHARACTERS = range(0x4E00, 0xA000)  # the CJK Unified Ideographs block


@functools.cache
def _sound_table() -> dict[str, list[str]]:
    """Every pinyin reading of each character of SOUND_TABLE_CHARACTERS, its usual one first,
    as `data/sounds.json` keeps them (pypinyin's own readings, written by write_sound_table):
    importing pypinyin and reading a question's characters with it took a one-question `ask`
    most of half a second. A character outside the table is read with pypinyin."""
    return json.loads(SOUNDS.read_text(encoding="utf-8"))


def sound_table() -> dict[str, list[str]]:
    """The readings of SOUND_TABLE_CHARACTERS by pypinyin (what `data/sounds.json` holds)."""
    return {ch: list(_pypinyin_readings(ch)) for ch in map(chr, SOUND_TABLE_CHARACTERS)}


def write_sound_table(path: Path = SOUNDS) -> None:
    """Writes `data/sounds.json` again (after a pypinyin upgrade: tests/test_spelling.py says so)."""
    path.write_text(json.dumps(sound_table(), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


@functools.lru_cache(maxsize=8192)
def _sound(ch: str) -> str:
    """The character's usual pinyin without tone (the reading an input method offers it for)."""
    return _readings(ch)[0]


@functools.lru_cache(maxsize=8192)
def _readings(ch: str) -> tuple[str, ...]:
    """Every pinyin reading of the character, without tone (都: dou, du), its usual one first."""
    known = _sound_table().get(ch)
    return tuple(known) if known else _pypinyin_readings(ch)


def _pypinyin_readings(ch: str) -> tuple[str, ...]:
    from pypinyin import Style, lazy_pinyin, pinyin

    usual = lazy_pinyin(ch, style=Style.NORMAL)[0]
    return tuple(dict.fromkeys([usual, *pinyin(ch, style=Style.NORMAL, heteronym=True)[0]]))


_SHORT_YEAR = re.compile(r"(?<![\d.])(\d{2})(?=\s*(?:[两三四五几]\s*)?年"
                         r"|\s*(?:到|至|-|—|~|、|和|跟|与)\s*\d{2}\s*(?:[两三四五几]\s*)?年)")  # 16、18两年


def expand_short_years(question: str, years_printed: frozenset[str]) -> str:
    """A year written short (19年, 16到18年) written out (2019年, 2016到2018年) when the plans
    print that year; a number the plans print as no year (10年 of a duration) stays."""
    def full(m: re.Match) -> str:
        year = f"20{m.group(1)}"
        return year if year in years_printed else m.group(0)

    return _SHORT_YEAR.sub(full, question)


_NUMERAL_REFERENCE = re.compile(r"(专栏|表|图)\s*([一二两三四五六七八九十]{1,3})(?![一二三四五六七八九十])")


def arabic_references(question: str) -> str:
    """A box, table or figure numbered in Chinese (专栏五, 表二) numbered as the plans print
    them (专栏5, 表2), so that it finds its number."""
    def arabic(m: re.Match) -> str:
        import cn2an  # only for a question that numbers a box in Chinese: it takes a third of a second to load

        try:
            return f"{m.group(1)}{int(cn2an.cn2an(m.group(2).replace('两', '二'), 'strict'))}"
        except ValueError:
            return m.group(0)

    return _NUMERAL_REFERENCE.sub(arabic, question)


# Characters that ask or point rather than name (呢, 吗, 哪, 各, 该, 里 …): never taken for a typo.
_PARTICLES = frozenset("呢吗吧呀啊哈么哪啥咋几多少的得地了是有要各每该本其此这那全总与及或在对里")
# … and of them the ones that tie words together (的能耗 is no 低能耗): never a typo at all
_STRUCTURAL = frozenset("的得地了是有与及或在对里")


_REGION_SUFFIX = re.compile(r"(省|市|地区|自治区|自治州|州|县|区|盟|旗)$")
PLAN_NAME_MIN_CHARS = 2


def title_words(documents: dict, segmenter: Segmenter) -> frozenset[str]:
    """Words of the plans' own titles (十四五, 节能, 规划, 塔城): they say which plan, not which
    passage, nor which subject in it."""
    return frozenset(w for d in documents.values() for w in segmenter.query_tokens(d.meta.title))


def _common_run(a: str, b: str) -> int:
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size


def plan_names(meta) -> list[str]:
    """The words by which a question can name a plan: its region with or without the
    suffix (安徽省 / 安徽, 塔城地区 / 塔城, 广西壮族自治区 / 广西), its 文号, its issuer and its full title."""
    from .frontmatter import provinces

    names = [meta.number, meta.issuer, squash(meta.title)]
    if meta.region and meta.region != "全国":
        names += [meta.region, _REGION_SUFFIX.sub("", meta.region), *provinces().get(meta.region, ())]
    return [n for n in dict.fromkeys(names) if len(n) >= PLAN_NAME_MIN_CHARS]


# A department is named after its field (生态环境局, 住房和城乡建设厅): a title word the question
# writes only as part of a department's name names that department, not the plan whose title it is.
_DEPARTMENT_AFTER = re.compile(r"[局厅委办]|部(?!分)")


def _names_subject(word: str, q: str) -> bool:
    """`word` stands in `q` somewhere other than as the head of a department's name."""
    return any(not _DEPARTMENT_AFTER.match(q, m.end()) for m in re.finditer(re.escape(word), q))


TITLE_SHARED_SHARE = 3
PLAN_KINDS = ("规划", "方案", "意见", "计划", "纲要", "办法", "通知", "指引")  # what kind of document a title ends by
TITLE_NAME_MIN_CHARS = 4  # of a plan's distinctive title words, to name it (“土壤地下水规划”, “循环经济规划”)


class PlanNames:
    """Which plans a question names: by region, 文号, issuer or full title, or by the words of
    a title that set it apart from the other plans' titles (“土壤地下水那个规划”); a region
    naming several plans is narrowed by their titles' words (“福建的冶金建材方案”)."""

    def __init__(self, documents: dict, segmenter: Segmenter):
        self.documents = documents
        titles = {d: set(segmenter.query_words(doc.meta.title)) for d, doc in documents.items()}
        # a word printed in more than a third of the titles (实施, 方案, 发展 of 16 plans) sets none apart
        shared = {w for w in set().union(*titles.values())
                  if sum(w in t for t in titles.values()) > max(1.0, len(titles) / TITLE_SHARED_SHARE)}
        self._title_words = {d: {w for w in t - shared if len(w) >= 2 and not w.isdigit()} for d, t in titles.items()}
        self._names = {d: plan_names(doc.meta) for d, doc in documents.items()}
        self._titles = {d: squash(doc.meta.title) for d, doc in documents.items()}

    def named(self, question: str) -> tuple[str, ...]:
        """The plans (doc ids) a question names; () when it names none (or every plan). Plans
        sharing the name the question uses (two plans of one province) are told apart by their
        titles' words; a plan named by title words alone counts when the words are not those of a
        plan named already (“福建节能减排方案和国家循环经济规划”: 节能减排 is Fujian's, 循环经济 another's)."""
        q = squash(question)
        groups: dict[str, list[str]] = {}
        for d, names in self._names.items():
            for name in names:
                if name in q:
                    groups.setdefault(name, []).append(d)
        chosen: set[str] = set()
        for plans in groups.values():
            chosen |= set(self._by_title(q, plans) or plans) if len(plans) > 1 else set(plans)
        explained = {w for d in chosen for w in self._title_words[d] if w in q}
        chosen |= set(self._by_title(q, [d for d in self.documents if d not in chosen], explained))
        named = tuple(d for d in self.documents if d in chosen)
        return () if len(named) == len(self.documents) else named

    def _by_title(self, q: str, among: list[str], explained: frozenset[str] | set[str] = frozenset()) -> list[str]:
        """The plans whose distinctive title words the question holds most (at least
        TITLE_NAME_MIN_CHARS characters of them, other than `explained`), a plan of the kind the
        question names (规划, 方案, 意见) before one of another kind, ties broken by the longest
        stretch of the title written as printed (“循环经济” names 循环经济发展规划, not
        …循环发展经济体系…)."""
        words = {d: sum(len(w) for w in self._title_words[d] if _names_subject(w, q) and w not in explained) for d in among}
        if max(words.values(), default=0) < TITLE_NAME_MIN_CHARS:
            return []
        kinds = {k for k in PLAN_KINDS if k in q}  # “循环经济规划”: a 规划, not an 实施意见 that shares its words
        scores = {d: (words[d] >= TITLE_NAME_MIN_CHARS and any(k in self._titles[d] for k in kinds),
                      words[d], _common_run(q, self._titles[d])) for d in among if words[d]}
        best = max(scores.values())
        return [d for d, score in scores.items() if score == best]


PLACE_ENDINGS = ("省", "自治区", "市", "县", "州", "盟", "旗", "地区")
# Admin units and words for “every/this” place: 各县市, 本市, 全省 name no place (宁夏自治区 is 宁夏: see below)
_ADMIN_UNITS = re.compile(r"^[各全本我该每]|省|自治区|市|县|州|盟|旗|地区|区")


def places_not_indexed(question: str, documents: dict, segmenter: Segmenter) -> list[str]:
    """Provinces and cities the question names (a province's full or short name, or a place
    jieba tags ns and written with a region's suffix) that no indexed plan is for and no
    plan's text so much as mentions: a question about them is about a plan not indexed."""
    from .frontmatter import provinces

    q = squash(question)
    named = [full for full, short in provinces().items() if full in q or any(len(s) >= 2 and s in q for s in short)]
    known = [form for full in named for form in (full, *provinces()[full]) if len(form) >= 2]
    named += [w for w, tag in segmenter.tagged_terms(question) if tag == "ns" and w.endswith(PLACE_ENDINGS)
              and len(_ADMIN_UNITS.sub("", w)) >= 2 and not any(form in w or w in form for form in known)]
    regions = [squash(d.meta.region) for d in documents.values() if d.meta.region]
    out = []
    for place in dict.fromkeys(named):
        forms = (place, *provinces().get(place, ()))
        if any(f in r or r in f for f in forms if len(f) >= 2 for r in regions):
            continue
        if any(f in d.text for f in forms if len(f) >= 2 for d in documents.values()):
            continue
        out.append(place)
    return out


_ASSIGNMENT = re.compile(r"负责|牵头|承担|落实|配合|分工|目标|指标|任务|工作|干什么|干啥|做什么|要做|抓什么|考核|职责")
NAMED_MIN_CHARS = 3


def find_named_department(question: str, names: list[str]) -> str:
    """The department, among those the plans' own responsibility notes name, that the
    question mentions (with or without its region prefix: 省发展改革委 / 发展改革委), longest first."""
    q = squash(question)
    best, found = "", ""
    for name in names:
        bare = re.sub(r"^(省|市|自治区|区|县|州|地区|自治州)", "", name)
        if len(bare) >= NAMED_MIN_CHARS and bare in q and len(bare) > len(best):
            best, found = bare, name
    return found


def asks_assignment(question: str) -> bool:
    """The question asks what falls to someone (targets, tasks, responsibilities)."""
    return bool(_ASSIGNMENT.search(question))


_PRONOUN = re.compile(r"(这个|这项|该|上述|刚才的?)(指标|领域|目标|部门)?")
_SUBJECT_END = re.compile(r"到\s*20\d{2}|要|是|有|的目标|的指标|多少|吗|呢|[？?。，,]")
_FOLLOW_UP_LEAD = ("那", "那么", "还有", "另外")
_FOLLOW_UP_TAIL = ("呢", "呢？", "呢?", "怎么样", "如何")


def rewrite_follow_up(question: str, history: list[tuple[str, str]], sectors: SectorMap) -> str | None:
    """A follow-up rewritten from the previous question, without an LLM: “那建筑呢？” after
    “交通领域有哪些目标？” swaps the sector; “那住建局呢” swaps the department; “这个指标是哪年的？”
    carries the previous subject. None when the question stands on its own."""
    if not history:
        return None
    previous = history[-1][0]
    q = question.strip()
    new = _subject_span(q, sectors)
    if new and len(q) <= 16 and (q.startswith(_FOLLOW_UP_LEAD) or q.rstrip("？?。").endswith(_FOLLOW_UP_TAIL[:1] + _FOLLOW_UP_TAIL[3:])) \
            and not _asks_own(q, new):
        old = _subject_span(previous, sectors)
        if old.endswith("领域") and not new.endswith("领域"):
            new += "领域"
        return previous.replace(old, new, 1) if old else f"{new}{previous}"
    if (m := _PRONOUN.search(q)) and len(q) <= 20:
        subject = _SUBJECT_END.split(previous, maxsplit=1)[0].strip()
        if not subject:
            return None
        noun = m.group(2) or ""
        return q.replace(m.group(0), subject + ("" if subject.endswith(noun) else noun), 1)
    return None


def _asks_own(question: str, subject: str) -> bool:
    """“农业农村局要干什么呢？” stands alone (it asks something of its own); “那建筑呢？” does not."""
    rest = without_words(squash(question).replace(subject, ""), _FOLLOW_UP_LEAD + _FOLLOW_UP_TAIL)
    return len(re.sub(r"[^\u4e00-\u9fff]|领域|方面|的", "", rest)) >= 2


def _subject_span(question: str, sectors: SectorMap) -> str:
    """The words in a question that name its sector or department, as written."""
    q = squash(question)
    best = ""
    for name, spec in sectors.sectors.items():
        for word in [name, *spec.get("aliases", []), *spec.get("departments", []), *spec.get("department_aliases", [])]:
            if word and word in q and len(word) > len(best):
                best = word
    return best


_COMPARE = re.compile(r"分别|各是|各自|各为|对比|比较|(?:哪个|哪一个|哪项|哪一项|谁).{0,6}?(?:大|高|多|少|低)|(?:哪个|哪一个|哪项|哪一项|谁).{0,14}?更(?:大|高|多|少|低)"
                      r"|有啥不同|有什么不同|区别")
_CLAUSE_SPLIT = re.compile(r"[，,；;？?！!。]")
_AMOUNT_ASK = re.compile(r"多少|(?<!哪)几[家个项条%％]|多大|多高")
_CLAUSE = re.compile(r"[^，,；;？?！!。]+[？?]?")  # a clause, with the question mark that ends it: it asks
# not after another 和: in “托里县和和布克赛尔县” the second begins a name
_AND_SPLIT = re.compile(r"(?<=[\u4e00-\u9fff])(?<![和与跟])(?:和|与|跟|以及|vs|VS|Vs)(?=[\u4e00-\u9fff])")
PART_MIN_TERMS = 2
BORROWED_CHARS = 12  # at most this much of the first part's subject goes before a part that lacks one
_SHARED_ASK = re.compile(r"分别|各自|各是|各为|哪个|哪一个|哪项|哪一项|谁|多少|要|是|达到|有多")  # where the ask after the last thing begins
_ASKS = re.compile(r"多少|哪|什么|啥|几|吗|是否|怎|如何|为何|为什么|有没有|是不是|对吧|对不对|对吗|呢|？|\?")
# a part that sets the first part's subject beside something else (“…跟自治区的要求一样吗”): it asks of that subject
def _asking_clauses(clauses: list[str]) -> list[str]:
    """The clauses that ask something, each with the clauses before it that only set the
    scene (“城管口子上，…要到多少”, “到十四五末，…达到多少”): those ask nothing alone."""
    out: list[str] = []
    scene = ""
    for clause in clauses:
        if _ASKS.search(clause):
            out.append(scene + clause)
            scene = ""
        else:
            scene += clause + "，"
    if scene:  # a clause after the last ask: it belongs to that ask (no ask at all: one part)
        if not out:
            return ["".join(clauses)]
        out[-1] += "，" + scene.rstrip("，")
    return out


def stated_numbers(question: str) -> tuple[str, ...]:
    """The numbers a question states that are neither years nor the numbers of what it names."""
    return _stated(question)[2]


def _stated(question: str) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """The years the question names, the year it asks an amount for, and its other numbers."""
    unreferenced = _REFERENCE_NUMBER.sub("", question)  # 专栏 9, 表 1: names, not values
    years = tuple(_YEAR.findall(unreferenced))
    target = _target_year(unreferenced, years)
    numbers = tuple(n for n in _NUMBER.findall(unreferenced) if n not in years)
    return years, target, numbers


def part_query(query: Query, part: str, segmenter: Segmenter) -> Query:
    """The question as one of its parts asks it: the part's words, years and numbers (the
    year of “到2025年回收利用率要多少” is no year “两网融合是指啥” must hold). A part that
    names a term in quotes asks of it on its own: its own ask, not another part's 多少, says
    what kind of answer it wants; other parts keep the whole question's ask (“…降低多少，
    规划有没有给数” asks an amount in both)."""
    years, target, numbers = _stated(part)
    text = part if segmenter.quoted_terms(part) else query.text
    return dataclasses.replace(query, text=text, search_text=part, years=years, target_year=target, numbers=numbers)


def split_parts(question: str, segmenter: Segmenter, cues: AskCues | None = None,
                titles: tuple[str, ...] = ()) -> list[str]:
    """A question that asks for two things at once (“…绿色出行分担率和公交占比分别是多少”,
    “十三五降了多少，十四五要降多少”) as one question per thing; a later part that lacks
    a subject borrows the first part's. A 和 inside a plan's title (`titles`, as printed:
    “土壤、地下水和农村生态环境保护规划”) joins no two things."""
    parts = _asking_clauses([c for c in _CLAUSE.findall(question) if c.strip("？? ")])
    if len(parts) == 1 and (_COMPARE.search(question) or _AMOUNT_ASK.search(question)):
        return _and_parts(question, segmenter, titles)  # “A和B要达到多少”: the amount of each
    if len(parts) < 2:
        return [question]
    if _COMPARE.search(parts[0]) and not any(segmenter.content_terms(p, nouns=True) for p in parts[1:]):
        return _and_parts(question, segmenter, titles)  # “A和B，哪个多？多多少？”: the later asks name nothing new
    subject = _maximal(segmenter.query_words(parts[0]))
    out = []
    for part in parts:
        terms = _maximal(segmenter.query_words(part))
        if not terms:
            continue
        if part is not parts[0] and not segmenter.quoted_terms(part) and (
                len(terms) < PART_MIN_TERMS or (cues and cues.asks_same(part))):  # “十四五要降多少”: 十四五 takes the place of 十三五
            borrowed = [w for w in subject if w not in terms and not any(_parallel(w, t) for t in terms)]
            part = _whole_words(borrowed, BORROWED_CHARS) + part
        out.append(part)
    return out if len(out) > 1 else [question]


def _whole_words(words: list[str], limit: int) -> str:
    """As many of the words, whole and in order, as fit in `limit` characters (never 202 of 2025)."""
    out = ""
    for w in words:
        if len(out) + len(w) > limit:
            break
        out += w
    return out


def _shared_ask(last: str) -> str:
    """What is asked of each thing, from where the ask begins in the last one (“用水分别要降多少”
    → 分别要降多少; “照明改造哪个节能量大” → 哪个节能量大)."""
    found = _SHARED_ASK.search(last)
    return last[found.start():] if found and found.start() > 0 else ""


def _and_parts(question: str, segmenter: Segmenter, titles: tuple[str, ...] = ()) -> list[str]:
    """“…规上工业能耗和用水分别要降多少”: one part per thing joined by 和, each with the
    clauses before it and the shared ask after the last thing (分别要降多少)."""
    clauses = [c for c in _CLAUSE_SPLIT.split(question) if c.strip()]
    split = [_things(c, titles) for c in clauses]
    joined = next((i for i, pieces in enumerate(split) if len(pieces) > 1), None)
    if joined is None:
        return [question]
    things = [p for p in split[joined] if p.strip()]
    before = "".join(c + "，" for c in clauses[:joined])
    after = "".join("，" + c for c in clauses[joined + 1:])  # “A和B，2025年目标哪个高”: the ask is its own clause
    ask = _shared_ask(things[-1])
    return [before + thing + (_shared_tail(thing, things[-1], ask, segmenter) + ask if i < len(things) - 1 else "")
            + after for i, thing in enumerate(things)]


TITLE_JOINT_CONTEXT = 2  # characters each side of a 和 that, with it, stand in a plan's title


def _things(clause: str, titles: tuple[str, ...]) -> list[str]:
    """The clause cut at each 和 (与, 跟, 以及) that joins two things, not at one inside a plan's
    title (地下水和农村 of “…地下水和农村生态环境保护规划”)."""
    pieces, last = [], 0
    for m in _AND_SPLIT.finditer(clause):
        around = clause[max(0, m.start() - TITLE_JOINT_CONTEXT):m.end() + TITLE_JOINT_CONTEXT]
        if any(around in t for t in titles):
            continue
        pieces.append(clause[last:m.start()])
        last = m.end()
    return [*pieces, clause[last:]]


def _shared_tail(thing: str, last: str, ask: str, segmenter: Segmenter) -> str:
    """What the last thing adds after a name of the same kind as `thing`, when `thing` is one
    word (“托里县和和布克赛尔县储能电站装机容量”: 县 ends both names, 储能电站装机容量 is asked
    of each); none when the last thing is only such a name (“锅炉改造和照明改造”) or holds none
    (“能耗和用水”), or `thing` is more than a name (“…改造面积和绿色建筑面积占比”)."""
    if len(_maximal(segmenter.query_words(thing))) != 1:
        return ""
    body = last[:len(last) - len(ask)] if ask else last
    at = body.find(thing[-1]) if thing else -1
    return body[at + 1:] if 0 <= at < len(body) - 1 else ""


def _maximal(words: list[str]) -> list[str]:
    """The words that are no part of another (十四五, not also 十四 and 四五)."""
    return [w for w in dict.fromkeys(words) if not any(w != o and w in o for o in words)]


def _parallel(a: str, b: str) -> bool:
    """Two words that differ in one character only (十三五, 十四五): alternatives, where a
    later part of a question names one in the place of the other."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1
