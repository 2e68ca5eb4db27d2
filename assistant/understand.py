"""understand: a question -> Query (intent, sector or department, terms, numbers, years)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .segment import Segmenter
from .text import squash
from .types import Query

_LIST_ASK = re.compile(r"哪些|哪几|有啥|有什么|都有|列出|列一下|清单|包括|几项|几个|多少项|汇总|全部")
_TARGET_WORD = re.compile(r"目标|指标|任务|要求|考核|KPI", re.I)
_DEPARTMENT_WORD = re.compile(r"([\u4e00-\u9fff]{2,8}?(?:局|委员会|委|厅|办公室|部门))")
_NOT_DEPARTMENT = ("格局", "布局", "结局", "当局", "全局", "大局", "主管部门", "相关部门", "有关部门", "各部门")
_REFERENCE_NUMBER = re.compile(r"(专栏|表|图|第)\s*\d+")
_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class SectorMap:
    """Sectors as the plan organises them, and the local sector -> department mapping."""

    sectors: dict  # name -> {"aliases": [...], "headings": [...], "departments": [...], ...}

    @classmethod
    def load(cls, path: Path) -> "SectorMap":
        if not path.exists():
            return cls({})
        return cls(tomllib.loads(path.read_text(encoding="utf-8")).get("sectors", {}))

    def departments(self) -> list[str]:
        names = [d for spec in self.sectors.values() for d in spec.get("departments", [])]
        return list(dict.fromkeys(names))

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
            for alias in [name, *spec.get("aliases", [])]:
                if alias.lower() in q and len(alias) > len(best):
                    best, found = alias, name
        return found

    def sector_of_heading(self, section_path: tuple[str, ...]) -> str:
        """The sector a target belongs to, from the deepest heading that names one."""
        for heading in reversed(section_path):
            for name, spec in self.sectors.items():
                if any(word in heading for word in spec.get("headings", [])):
                    return name
        return ""


def analyze(question: str, segmenter: Segmenter, sectors: SectorMap) -> Query:
    department = sectors.find_department(question)
    sector = sectors.find_sector(question) if not department else ""
    asks_list = bool(_LIST_ASK.search(question))
    asks_targets = bool(_TARGET_WORD.search(question))
    unknown = ""
    if department:
        intent = "sector_targets"
    elif sector and asks_targets and (asks_list or _is_bare_sector_question(question, sector, sectors)):
        intent = "sector_targets"
    else:
        unknown = _unknown_department(question) if asks_targets else ""
        intent = "department_unknown" if unknown else ("list" if asks_list else "fact")
    unreferenced = _REFERENCE_NUMBER.sub("", question)  # 专栏 9, 表 1: names, not values
    years = tuple(_YEAR.findall(unreferenced))
    numbers = tuple(n for n in _NUMBER.findall(unreferenced) if n not in years)
    return Query(text=question, intent=intent, terms=tuple(segmenter.terms(question)),
                 sector=sector, department=department, numbers=numbers, years=years,
                 unknown_department=unknown)


def _is_bare_sector_question(question: str, sector: str, sectors: SectorMap) -> bool:
    """“公共机构的量化指标”: nothing but a sector and a word for targets."""
    rest = squash(question)
    for alias in sorted([sector, *sectors.sectors[sector].get("aliases", [])], key=len, reverse=True):
        rest = rest.replace(alias, "")
    rest = re.sub(r"[的了吗呢？?。！!，,、\s]|领域|方面|量化|硬性|主要|约束性|目标|指标|任务|要求|考核|有|是", "", rest)
    return len(rest) <= 2


def _unknown_department(question: str) -> str:
    for m in _DEPARTMENT_WORD.finditer(squash(question)):
        word = m.group(1)
        if "的" not in word and not word.endswith(_NOT_DEPARTMENT) and len(word) <= 8:
            return word
    return ""


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
    if new and len(q) <= 16 and (q.startswith(_FOLLOW_UP_LEAD) or q.rstrip("？?。").endswith(_FOLLOW_UP_TAIL[:1] + _FOLLOW_UP_TAIL[3:])):
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


def _subject_span(question: str, sectors: SectorMap) -> str:
    """The words in a question that name its sector or department, as written."""
    q = squash(question)
    best = ""
    for name, spec in sectors.sectors.items():
        for word in [name, *spec.get("aliases", []), *spec.get("departments", []), *spec.get("department_aliases", [])]:
            if word and word in q and len(word) > len(best):
                best = word
    return best
