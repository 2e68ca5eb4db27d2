"""targets: parsed documents -> the registry of every quantitative target a plan sets.

Targets come from tables whose header names a target column (表 2 “…目标值”), one per row
with its sector sub-heading and unit, and from sentences that set a value with a target
verb (达到, 降低, 控制在, 不低于 …). Sentences in a chapter that reviews the past (发展基础,
现状 …) count only when they look ahead (到 2025 年, 力争, “十四五”末). Every value is
taken from its own quote, which is verbatim plan text.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .errors import CorpusError
from .parse import LABEL_UNIT, unit_column
from .structure import NUMBERING as HEADING_NUMBERING
from .text import collapse, sentence_spans, squash
from .types import SECTION_SEPARATOR, ParsedDocument, Responsibility, Target
from .understand import SectorMap

GENERAL_SECTOR = "综合"
_INDICATOR_NOTE = re.compile(r"[（(][^（）()]{1,12}[）)]")  # 单位国内生产总值（GDP）能耗, 能耗降低（%）
TARGET_HEADER = re.compile(r"目标")
YEAR = re.compile(r"(20\d{2})\s*年(底)?|“?十四五”?末")
# A deadline opens its clause (“到 2025 年，…”); “从 41.65 增加到 2019 年的 59.98” is a past span.
DEADLINE = re.compile(r"(?:^|(?<=[，,；;。：:\s“]))(?:到|至)\s*(20\d{2})\s*年(底)?|(20\d{2})\s*年(底)?(?:前|以前)|“?十四五”?末")
BASELINE = re.compile(r"(?:比|较)\s*(20\d{2})\s*年")
YEAR_BEFORE_VERB = re.compile(r"\s*(?:在|于|到)\s*(20\d{2})\s*年(?:底|前|末)?\s*$")
CLAUSE_YEAR = re.compile(r"\s*(20\d{2})\s*年(?!\s*[\d至到\-—－–~～])")
YEAR_SPAN = re.compile(r"(20\d{2})\s*(?:年)?\s*[至到\-—－–~～]\s*(20\d{2})\s*年")
LEAD_MARKERS = re.compile(r"^(到\s*20\d{2}\s*年(底)?|20\d{2}\s*年?\s*[至到\-—－–~～]\s*20\d{2}\s*年|“?十四五”?(时期|期间|末)|20\d{2}\s*年(底)?|力争|确保|其中|同时|并|实现|全面|进一步)+")
TRAIL_MARKERS = re.compile(r"(力争|确保|均|分别|年均)+$")
STANDARD_VERBS = ("全面执行", "逐步执行", "推广")
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
MAX_VERB_GAP = 10
MAX_INDICATOR = 40
RATE_ENDINGS = ("率", "比例", "占比", "比重")
LEAD_MARK = re.compile(r"(?:分别|共同)?牵头")
NOTE = re.compile(r"[（(]([^（）()]{4,300})[）)]")
ENUMERATION = re.compile(r"[、和及与]")


@dataclass(frozen=True)
class TargetCues:
    """The words that mark a target, read from the cue file beside the plans."""

    units: tuple[str, ...]
    suffixes: dict
    verbs: dict
    value_first: tuple[str, ...]
    future: tuple[str, ...]
    past: tuple[str, ...]
    history_headings: tuple[str, ...]
    responsibility: tuple[str, ...]
    department_suffixes: tuple[str, ...]
    adopted: tuple[str, ...] = ()
    adopted_before: tuple[str, ...] = ()
    part_areas: tuple[str, ...] = ()
    increments: tuple[str, ...] = ()
    indicators: dict = field(default_factory=dict)  # indicator -> its spellings (see the cue file)

    @classmethod
    def load(cls, path: Path) -> TargetCues:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            cues = data["cues"]
            return cls(units=tuple(sorted(data["units"], key=len, reverse=True)), suffixes=data["suffixes"],
                       verbs=data["verbs"], indicators={k: tuple(v) for k, v in data.get("indicators", {}).items()},
                       **{k: tuple(v) for k, v in cues.items()})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
            raise CorpusError(f"目标提示词文件 {path.name} 无法读取或格式错误（{exc}），请对照文件开头的说明修改。") from exc

    def indicators_named(self, text: str, canonical) -> list[str]:
        """The indicators a text names, in any of their spellings; `canonical` unifies
        spellings (synonyms) the same way for the text and the spellings."""
        flat = _flat_indicator(text, canonical)
        return [name for name, terms in self.indicators.items() if any(squash(canonical(t)) in flat for t in terms)]

    def indicator_named(self, text: str, canonical) -> str:
        """The one indicator a target's words name, or ""; of two whose spellings the words hold,
        the one with the longer spelling (规模以上工业单位增加值能耗 is the industrial indicator,
        not GDP energy intensity)."""
        flat = _flat_indicator(text, canonical)
        found = [(len(spelled), name) for name, terms in self.indicators.items()
                 for spelled in (squash(canonical(t)) for t in terms) if _names_itself(flat, spelled)]
        return max(found, key=lambda f: f[0])[1] if found else ""

    def narrower_than(self, text: str, indicator: str, canonical, title: str) -> bool:
        """The words set less than `indicator` itself: an increment of it (新增可再生能源装机), or
        it for a part of the plan's region (平原地区森林覆盖率, 一级管控区森林覆盖率), not for all of
        it (全市森林覆盖率, 塔城地区…: the plan's own place, in `title`)."""
        flat = _flat_indicator(text, canonical)
        at = min((m.start() for t in self.indicators.get(indicator, ()) for spelled in [squash(canonical(t))]
                  for m in re.finditer(re.escape(spelled), flat)), default=-1)
        words = re.split(r"[^\u4e00-\u9fff]", flat[:max(at, 0)])[-1]
        if words.endswith(self.increments):
            return True
        area = next((a for a in self.part_areas if words.endswith(a)), "")
        place = words[:len(words) - len(area)]
        if not area or (place and place in squash(title)) or place.startswith(WHOLE_REGION):
            return False
        return bool(place) or area not in GENERIC_AREAS

    def respelled(self, question: str, printed: Callable[[str], int]) -> str:
        """The question with each indicator it names written as the plans asked print it, when
        they never print the question's own spelling (单位GDP能耗, asked of a plan that writes
        单位地区生产总值能源消耗); `printed(term)` counts a spelling in those plans."""
        for terms in self.indicators.values():
            asked = next((t for t in sorted(terms, key=len, reverse=True) if t in question), None)
            if asked is None or printed(asked):
                continue
            best = max(terms, key=lambda t: (bool(printed(t)), len(set(t) & set(asked)), printed(t)))  # the closest printed
            if printed(best):
                question = question.replace(asked, best)
        return question

    def quantity(self) -> re.Pattern:
        units = "|".join(re.escape(u) for u in self.units)
        suffixes = "|".join(re.escape(s) for s in sorted(self.suffixes, key=len, reverse=True))
        return re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?)\s*({units})?\s*({suffixes})?")

    def in_history(self, section_path: tuple[str, ...]) -> bool:
        """A chapter that reviews the past (发展基础, 现状 …), or a section under another chapter
        whose heading says so in a compound (发展环境 › 发展基础) or names the past period too
        (“十三五”时期…成效卓著): a short word (基础, 成效) alone below the chapter names a task as
        often as a review (夯实基础)."""
        return any(_heads(h, w) for h in section_path[:1] for w in self.history_headings) or any(
            any(w in h for w in self.history_headings if len(w) >= 4)
            or (any(w in h for w in self.history_headings) and _opens_with_period(h, self.past))
            for h in map(squash, section_path[1:]))

    def is_history(self, sentence: str, section_path: tuple[str, ...]) -> bool:
        return not self.is_future(sentence, self.in_history(section_path))

    def asks_past(self, question: str) -> bool:
        """The question is about what was done (十三五, 现状, 已经…), not what the plan asks."""
        q = squash(question)
        return any(cue in q for cue in self.past + self.history_headings + ("过去", "此前", "以前"))

    def is_future(self, sentence: str, history: bool) -> bool:
        """Past versus plan, per sentence: a forward cue wins; else a past cue, or a
        chapter that reviews the past, makes it history."""
        flat = squash(sentence)
        if DEADLINE.search(sentence) or any(cue in flat for cue in self.future):
            return True
        return not (history or any(cue in flat for cue in self.past))


WHOLE_REGION = ("全", "本", "我")  # 全市, 本省, 我区
GENERIC_AREAS = ("地区", "区域")  # a place's own name (塔城地区) as often as a part of it (平原地区)


def _opens_with_period(heading: str, past: tuple[str, ...]) -> bool:
    """The heading opens with a past period (“（一）“十三五”时期…成效卓著”), not a task on it (巩固“十三五”成效)."""
    rest = HEADING_NUMBERING.sub("", heading).lstrip("“\"'「")
    return any(rest.startswith(p) for p in past if len(p) >= 3)


def extract_targets(parsed: ParsedDocument, sectors: SectorMap, cues: TargetCues) -> list[Target]:
    notes = responsibilities(parsed, cues)
    targets = _table_targets(parsed, sectors, cues) + _text_targets(parsed, sectors, cues)
    title = parsed.document.meta.title
    return [replace(_with_departments(t, notes), plan=title) for t in _dedupe(targets, cues)]


def _table_targets(parsed: ParsedDocument, sectors: SectorMap, cues: TargetCues) -> list[Target]:
    """One target per row and target column of a table whose header has one (2025 年目标值,
    指标要求（2025年）, or the later of two year columns: 2020年 | 2025年 | 2026年展望). A table in
    a chapter that reviews the past (“十三五”目标执行情况) sets nothing."""
    out = []
    header: tuple[str, ...] = ()
    header_block, columns, unit_at = None, [], None
    for block in parsed.blocks:
        if block.kind == "table_header":
            header, header_block = block.cells, block
            columns, unit_at = _target_columns(header), unit_column(header)
        if block.kind != "table_row" or cues.in_history(block.section_path):
            continue
        if not columns or block.cells == header:  # a header printed again on the next page
            continue
        indicator = NUMBERING.sub("", block.cells[0]) if block.cells else ""  # the parser puts the label first
        for column, year in columns:
            cell = block.cells[column] if column < len(block.cells) else ""
            if not indicator or not cell or DASHES.fullmatch(cell):
                continue
            value, unit, comparator = _table_value(cell, indicator, cues)
            if unit_at is not None and unit_at < len(block.cells) and block.cells[unit_at] and value[:1].isdigit():
                unit = block.cells[unit_at]
            out.append(Target(
                indicator=indicator, value=value, unit=unit, comparator=comparator, year=year,
                sector=_sector_name(block.sector, sectors) or sectors.find_sector(indicator) or GENERAL_SECTOR,
                section_path=block.section_path, quote=collapse(parsed.document.text[block.start:block.end]),
                doc_id=parsed.document.doc_id, start=block.start, end=block.end, source_kind="table",
                header_quote=collapse(parsed.document.text[header_block.start:header_block.end]),
                header_start=header_block.start, header_end=header_block.end))
    return out


NUMBERING = re.compile(r"^\s*\d{1,2}\s*[.．、]\s*")
DASHES = re.compile(r"[—\-－/／\s]+")
PAST_COLUMN = re.compile(r"现状|实际|完成|实现|执行|基期|基准|增速|增长率|增幅")
TABLE_VALUE = re.compile(r"^([≥≤＞＜>]|不低于|不高于|大于|小于)?\s*[\[【]?(\d+(?:\.\d+)?)[\]】]?\s*([%％])?"
                         r"\s*(以上|以下|左右|以内)?\s*\*?$")
SIGNS = {"≥": "不低于", "不低于": "不低于", "＞": "超过", ">": "超过", "大于": "超过", "≤": "不高于", "不高于": "不高于",
         "＜": "低于", "小于": "低于"}


def _target_columns(header: tuple[str, ...]) -> list[tuple[int, str]]:
    """(column, year) of each column of targets: its header says 目标 or 要求, or it is a year
    column after the first of two or more (the first says where things stand)."""
    heads = [squash(h) for h in header]
    years = [j for j, h in enumerate(heads) if YEAR.search(h) and not PAST_COLUMN.search(h)]
    out = []
    for j, h in enumerate(heads):
        if PAST_COLUMN.search(h):
            continue
        if TARGET_HEADER.search(h) or "要求" in h or (j in years and len(years) >= 2 and j != years[0]):
            year = YEAR.search(h)
            out.append((j, year.group(1) or "" if year else ""))
    return out


def _table_value(cell: str, indicator: str, cues: TargetCues) -> tuple[str, str, str]:
    """(value, unit, comparator) of a table cell: ≥25 → 25 不低于; 15.0以上; [4.0]; or the
    cell's words (完成省下达任务, 全部消除) when it states no number."""
    note = LABEL_UNIT.search(indicator)
    unit = note.group(1) if note else ""
    if m := TABLE_VALUE.match(squash(cell)):
        sign, number, percent, suffix = m.groups()
        comparator = (cues.suffixes.get(suffix) if suffix else SIGNS.get(sign or "")) or (
            "累计降幅" if "降幅" in indicator else "目标值")
        return number, "%" if percent else unit.replace("％", "%"), comparator
    return collapse(cell), "", "完成" if any(w in squash(cell) for w in cues.adopted) else "目标值"


def _sector_name(label: str, sectors: SectorMap) -> str:
    return sectors.find_sector(label) if label else ""


def _text_targets(parsed: ParsedDocument, sectors: SectorMap, cues: TargetCues) -> list[Target]:
    text = parsed.document.text
    quantity = cues.quantity()
    out = []
    for block in parsed.blocks:
        if block.kind != "paragraph":
            continue
        history = cues.in_history(block.section_path)
        lead = _lead(text, block)
        heading_year = _deadline(" ".join(block.section_path))
        opened = ""
        for start, end in sentence_spans(text, block.start, block.end):
            sentence = text[start:end]
            # a paragraph of aims opens with its deadline (“到 2025 年，…。完成…；煤炭消费比重下降至 75%”):
            # the sentences after it that name no year of their own are that year's (for the matrix only)
            opened = _deadline(sentence[:OPENING]) or opened
            if not cues.is_future(sentence, history):
                continue
            for found in _sentence_targets(sentence, lead, cues, quantity, heading_year):
                indicator, value, unit, comparator, year, baseline = found
                out.append(Target(
                    indicator=indicator, value=value, unit=unit.replace("％", "%"), comparator=comparator,
                    year=year, sector=_sector(block, lead, indicator, sectors), section_path=block.section_path,
                    quote=collapse(sentence), doc_id=parsed.document.doc_id, start=start, end=end,
                    baseline=baseline, opened_year="" if year else opened))
    return out


OPENING = 16  # characters at a sentence's start in which its deadline opens it (“到 2025 年底前，”)


def _lead(text: str, block) -> str:
    first = sentence_spans(text, block.start, block.end)[0]
    phrase = collapse(text[first[0]:first[1]]).rstrip("。")
    return phrase if len(phrase) <= 24 else ""


def _heads(heading: str, word: str) -> bool:
    """The heading's noun is the word, not a longer word it begins (基础 in 发展基础与形势,
    not in 加快基础设施绿色升级)."""
    return any(not heading[m.end():m.end() + 1] or heading[m.end()] in HEADING_JOINS
               for m in re.finditer(re.escape(word), heading))


HEADING_JOINS = "与和及、，,；;：:和的）)”"


def _deadline(text: str) -> str:
    """The deadline a text states itself (“到 2025 年”, “2025 年底前”, “十四五末”), or ""."""
    m = DEADLINE.search(text)
    if not m:
        return ""
    year = m.group(1) or m.group(3)
    late = m.group(2) or m.group(4)
    return (year + "年底") if year and late else (year or "十四五末")


def _sentence_targets(sentence: str, lead: str, cues: TargetCues, quantity, heading_year: str):
    """Every target value a sentence sets, with the deadline and baseline that the
    sentence itself (or its heading) states; nothing is carried from other sentences."""
    year = previous = ""
    for clause in re.split(r"(?<=[，；。,;])", sentence):
        # in a sentence that looks ahead, a clause that opens with a year sets that year's value
        # (“到 2025 年…，2030 年进一步提升至…”; “全面发展绿色建筑，2025 年全省…达到 100%”)
        year = _deadline(clause) or ((m := CLAUSE_YEAR.match(clause)) and m.group(1)) or year
        baseline = f"比{b.group(1)}年" if (b := BASELINE.search(clause)) else ""
        found = _clause_targets(collapse(clause), lead, cues, quantity, previous)
        years = _years_each(clause, len(found)) or [year or heading_year] * len(found)
        for (indicator, value, unit, comparator), when in zip(found, years, strict=True):
            if (own := YEAR_BEFORE_VERB.search(indicator)) and indicator[:own.start()].strip():  # “…比重在 2030 年达到 25%”
                indicator, when = indicator[:own.start()], own.group(1)
            indicator = _as_share(collapse(clause), indicator, value, unit)
            previous = indicator
            yield indicator, value, unit, comparator, when, baseline
        for indicator, value in _adopted_targets(collapse(clause), cues, [f[0] for f in found]):
            yield indicator, value, "", "完成", year or heading_year, baseline


_SHARE_OF = re.compile(r"\s*(?:达到|占)\s*[^，；。,;的\d]{2,20}的\s*$")


def _as_share(clause: str, indicator: str, value: str, unit: str) -> str:
    """“新能源汽车新车销售量达到汽车新车销售总量的 20%”: a percentage of a total is a share of
    it, 新能源汽车新车销售量占比, not the amount itself."""
    at = clause.find(indicator)
    if unit not in ("%", "％") or at < 0:
        return indicator
    end = at + len(indicator)
    number = clause.find(value, end)
    return f"{indicator}占比" if number > end and _SHARE_OF.fullmatch(clause[end:number]) else indicator


def _adopted_targets(flat: str, cues: TargetCues, numeric: list[str]):
    """(indicator as printed, the words that set it) for a clause that sets named indicators
    without a number: “单位地区生产总值能源消耗、…均完成省下达任务”, “全面完成国家下达的能耗强度下降…
    目标任务”, “能源消费总量得到合理控制”. Only indicators of the cue file's vocabulary, and only
    those the clause gives no number for."""
    squashed = squash(flat)
    taken = {cues.indicator_named(n, str) for n in numeric} - {""}
    for w in cues.adopted_before:  # “合理控制能源消费总量”: the requirement before what it sets
        for at in (m.end() for m in re.finditer(re.escape(w), squashed)):
            for name, spelled in _spellings_in(squashed[at:], cues):
                if name not in taken and squashed.startswith(spelled, at):
                    taken.add(name)
                    yield spelled, w
    word = min(((squashed.find(w), w) for w in cues.adopted if w in squashed), default=None)
    if word is None:
        return
    verb = max((squashed.rfind(v, 0, word[0]) for v in ADOPTING_VERBS), default=-1)
    if verb < 0:
        return
    value = re.split(r"[，；。,;]", squashed[verb:], maxsplit=1)[0]
    if not value.endswith(ADOPTED_ENDS):  # “对…达到省下达的激励目标的市” sets nothing: it picks who a rule is for
        return
    for name, spelled in _spellings_in(squashed, cues):
        if name not in taken:
            yield spelled, value


ADOPTING_VERBS = ("完成", "达到", "落实", "实现", "得到")
ADOPTED_ENDS = ("目标", "任务", "要求", "控制", "指标")  # 完成国家下达的目标指标


def _spellings_in(flat: str, cues: TargetCues) -> list[tuple[str, str]]:
    """(indicator, spelling) for every indicator a text names itself; a spelling inside a longer
    one of another indicator does not count (工业单位增加值能耗 inside 规模以上工业单位增加值能耗)."""
    spans = [(m.start(), m.end(), name, spelled) for name, terms in cues.indicators.items()
             for spelled in {squash(t) for t in terms} for m in re.finditer(re.escape(spelled), flat)
             if _named_here(flat, m, narrowed_by_de=False)]  # “完成国家下达的能耗强度…目标”
    kept = [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0] for o in spans)]
    out: dict[str, str] = {}
    for _, _, name, spelled in sorted(kept):
        out.setdefault(name, spelled)
    return list(out.items())


def _years_each(clause: str, count: int) -> list[str]:
    """“2022 至 2025 年…分别达到 80%、90%、95%、100%”: one value per year of the span."""
    span = YEAR_SPAN.search(clause)
    if not span or "分别" not in clause or count < 2:
        return []
    first, last = int(span.group(1)), int(span.group(2))
    return [str(y) for y in range(first, last + 1)] if last - first + 1 == count else []


def _clause_targets(flat: str, lead: str, cues: TargetCues, quantity, previous: str = ""):
    """(indicator, value, unit, comparator) for every value the clause sets; a clause that
    names no indicator of its own (“力争下降 14.5%”) continues the sentence's last one."""
    values = [m for m in quantity.finditer(flat) if not _is_label(flat, m)]
    units = _shared_units(flat, values)
    found = []
    group_start = 0
    for i, m in enumerate(values):
        if not (i and _same_enumeration(flat, values[i - 1], m)):
            group_start = m.start()
        value, unit, suffix = m.group(1), units[i], m.group(3) or ""
        if not unit and not suffix:
            continue  # a bare number (项目数量, 机组编号) is not a target value
        before = flat[:group_start].rstrip()
        verb_at = max(((before.rfind(v), v) for v in cues.verbs),
                      key=lambda p: (p[0] + len(p[1]) if p[0] >= 0 else -1, len(p[1])))
        if verb_at[0] >= 0 and len(before) - (verb_at[0] + len(verb_at[1])) <= MAX_VERB_GAP:
            verb = verb_at[1]
            indicator = before[:verb_at[0]]
            if not _clean_indicator(indicator, verb, lead):  # “新增污水处理能力 150 万吨/日”
                indicator = before[verb_at[0]:] or verb + _object_after(flat, m)
                if previous and indicator.strip() == verb:  # “…达到 57%，2030 年进一步提升至 62%”
                    indicator = previous
        elif before.endswith(RATE_ENDINGS):
            verb, indicator = "", before
        elif (unit in ("%", "％") or suffix) and (after := _value_first(flat, m, cues)) is not None:
            verb, indicator = "", after
        else:
            continue
        indicator = _clean_indicator(indicator, verb, lead) or previous
        if verb in STANDARD_VERBS and (noun := re.match(r"\s*([^，；。\d]{0,10}标准)", flat[m.end():])):
            indicator = f"{indicator}{verb}{noun.group(1)}"
        if not indicator:
            continue
        comparator = cues.suffixes.get(suffix) or cues.verbs.get(verb, "达到")
        if verb == "控制在" and suffix:
            comparator = cues.suffixes[suffix]
        found.append([indicator, value, unit, comparator])
    _split_enumerated_indicators(found, flat, cues)
    return [tuple(f) for f in found]


def _object_after(flat: str, m) -> str:
    """What a count measures when it comes right after its verb: “开展 30 个乡村电气化试点”."""
    return re.split(r"[，；。、,（(]", flat[m.end():], maxsplit=1)[0].strip()


def _is_label(flat: str, m) -> bool:
    """Years, 文号, ordinals and dates are numbers that set nothing."""
    after = flat[m.end(1):m.end(1) + 2].lstrip()
    unit_end = flat[m.end(2):m.end(2) + 1] if m.group(2) else ""
    return (bool(re.match(r"年|号|条|块|月|日|时|批|级|类", after)) or flat[max(0, m.start() - 1):m.start()] == "第"
            or (m.group(2) is None and after[:1] in ("-", "—", "～", "~"))
            or unit_end == "/"  # “35 蒸吨/小时以上锅炉”: a size class, not a target
            or _is_threshold(flat, m))


def _is_threshold(flat: str, m) -> bool:
    """“总建筑面积在 10 万平方米（含）以上的”: a value that picks what a rule applies to."""
    return flat[:m.start()].rstrip().endswith("在") and bool(re.match(r"\s*(（含）|\(含\))?\s*(以上|以下)?\s*(（含）)?\s*的",
                                                                         flat[m.end(2) if m.group(2) else m.end(1):]))


def _shared_units(flat: str, values: list) -> list[str]:
    """“20个、10个百分点”, “55%、45%”: values listed together share the unit written last."""
    units = [m.group(2) or "" for m in values]
    for i in range(len(values) - 2, -1, -1):
        if _same_enumeration(flat, values[i], values[i + 1]):
            nxt = units[i + 1]
            if not units[i] or (nxt.startswith(units[i]) and len(nxt) > len(units[i])):
                units[i] = nxt
    return units


def _same_enumeration(flat: str, left, right) -> bool:
    between = flat[left.end():right.start()]
    return len(between) <= 6 and bool(ENUMERATION.search(between)) and not re.search(r"[，；。]", between)


def _value_first(flat: str, m, cues: TargetCues) -> str | None:
    """“75%以上专业化泊位…具备…”, “95%的省级…党政机关达到创建标准”: the value comes before
    what it measures; the indicator is the text after it up to the verb."""
    rest = flat[m.end():]
    at = min((i for i in (rest.find(v) for v in cues.value_first) if i > 0), default=-1)
    if at < 0 or at > MAX_INDICATOR:
        return None
    subject = re.split(r"[、和，]", rest[:at].lstrip("的 "), maxsplit=1)[0]
    head = re.split(r"[，；]", flat[:m.start()])[-1]
    return (head + subject).strip() or None


def _split_enumerated_indicators(found: list, flat: str, cues: TargetCues) -> None:
    """“化肥、农药利用率均达到 43%” stays one target; “A、B、C 分别完成 x、y、z” pairs each
    listed name with its value, and the head noun the last name carries is each name's
    (“化肥、农药利用率分别达到 x、y”: 化肥利用率, 农药利用率)."""
    if "分别" not in flat or len(found) < 2:
        return
    names = [n for n in re.split(r"[、和]", found[0][0]) if n]
    if len(names) == len(found) and all(f[0] == found[0][0] for f in found):
        names = _with_shared_head(names, cues)
        for f, name in zip(found, names, strict=True):
            f[0] = name


def _with_shared_head(names: list[str], cues: TargetCues) -> list[str]:
    """The head noun is the longest ending of the last name that ends an indicator spelling of
    the cue file (重点工程减排量, 利用率) without being one; the last name's own item is what
    comes before it (and before 等 …项: “挥发性有机物等 4 项主要污染物重点工程减排量”)."""
    last = squash(names[-1])
    spellings = {squash(t) for terms in cues.indicators.values() for t in terms}
    endings = {s[i:] for s in spellings for i in range(1, len(s) - 2)}
    candidates = [last[i:] for i in range(1, len(last) - 2) if last[i:] in endings]  # longest first
    # an ending that makes a listed name a spelling (氮氧化物 + 重点工程减排量), else the shortest
    # (减排量): a longer one may begin inside the last item (物重点工程减排量)
    head = next((e for e in candidates if any(squash(n) + e in spellings for n in names[:-1])),
                candidates[-1] if candidates else "")
    if not head:
        return names
    item = re.split(r"等", last[:-len(head)], maxsplit=1)[0]
    ends = {head[i:] for i in range(len(head) - 1)}  # a name with the head's own ending already has one
    return [n if any(squash(n).endswith(e) for e in ends) else squash(n) + head for n in [*names[:-1], item]]


def _clean_indicator(indicator: str, verb: str, lead: str) -> str:
    indicator = BASELINE.sub("", _CJK_GAP.sub("", indicator))
    indicator = TRAIL_MARKERS.sub("", LEAD_MARKERS.sub("", indicator.strip(" ，；。、,")).strip())
    if "节能量" in verb:
        return f"{lead.split('.', 1)[-1]}节能量" if lead else "节能量"
    if len(indicator) > MAX_INDICATOR:
        indicator = indicator[-MAX_INDICATOR:]
    return indicator


def _sector(block, lead: str, indicator: str, sectors: SectorMap) -> str:
    from_heading = sectors.sector_of_heading(block.section_path)
    if from_heading and from_heading != GENERAL_SECTOR:
        return from_heading
    return (sectors.find_sector(lead) if lead else "") or sectors.find_sector(indicator) or GENERAL_SECTOR


def _dedupe(targets: list[Target], cues: TargetCues) -> list[Target]:
    """The same indicator with the same value stated twice: keep the forward-looking one."""
    seen: dict[tuple, Target] = {}
    for t in targets:
        key = (t.indicator, t.value, t.unit, t.comparator)
        if key not in seen or cues.in_history(seen[key].section_path):
            seen[key] = t
    return list(seen.values())


SHARE_WORDS = ("比重", "占比", "比例", "率")


def _names_itself(flat: str, spelled: str) -> bool:
    """The words name the indicator, not a share of it: 可再生能源发电装机 is not named by
    可再生能源发电装机比重, nor 能源消费总量 by 占能源消费总量的比重."""
    return any(_named_here(flat, m) for m in re.finditer(re.escape(spelled), flat))


def _named_here(flat: str, m: re.Match, narrowed_by_de: bool = True) -> bool:
    share_after = not m.group().endswith(SHARE_WORDS) and flat[m.end():].startswith(SHARE_WORDS)
    # “占…总量”: a share of it; “…标准建设的绿色建筑占比”: a narrower indicator than it
    before = ("占", "的") if narrowed_by_de else ("占",)
    return not share_after and not flat[:m.start()].endswith(before)


def _flat_indicator(text: str, canonical) -> str:
    """A text as indicator spellings are looked for in it: canonical, no spaces, no short notes."""
    return _INDICATOR_NOTE.sub("", squash(canonical(text)))


# ---- responsibilities the plan itself names ---------------------------------------------

def responsibilities(parsed: ParsedDocument, cues: TargetCues) -> list[Responsibility]:
    """Every bracketed responsibility note (“（省发展改革委、省工业和信息化厅等按职责分工负责）”,
    “（责任单位：省能源局，配合单位：…）”), with the task text before it that it covers: from
    the paragraph's start, or the end of the note before it, to the note."""
    text = parsed.document.text
    out = []
    for block in parsed.blocks:
        if block.kind != "paragraph":
            continue
        task_start = block.start
        for m in NOTE.finditer(text, block.start, block.end):
            body = m.group(1)
            if not any(cue in squash(body) for cue in cues.responsibility):
                continue
            leads, partners = _departments(body, cues)
            if leads or partners:
                out.append(Responsibility(doc_id=parsed.document.doc_id, section_path=block.section_path,
                                          start=m.start(), end=m.end(), task_start=task_start,
                                          leads=leads, partners=partners))
            task_start = m.end()
    return out


def _departments(body: str, cues: TargetCues) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(lead departments, departments sharing the work) named in a note, as written. Only a
    note's own words make a lead: “X牵头” / “X、Y分别牵头”, or “责任单位：X，配合单位：Y”. Several
    units “按职责分工负责” share a task and none leads it; a unit named alone is responsible."""
    body = squash(body).split("。")[0]
    if "配合单位" in body:
        lead_part, partner_part = body.split("配合单位", 1)
    elif m := LEAD_MARK.search(body):
        lead_part, partner_part = body[:m.start()], body[m.end():]
    else:
        names = _names(body, cues)
        return (names, ()) if len(names) == 1 else ((), names)
    return _names(lead_part, cues), _names(partner_part, cues)


def _names(part: str, cues: TargetCues) -> tuple[str, ...]:
    names = []
    for piece in re.split(r"[、，,；;：:]", part):
        piece = re.sub(r"^(责任单位|配合单位|由)", "", piece)
        if not piece.endswith("政府"):  # 各区人民政府 are named so; 各有关部门 is no one in particular
            piece = piece.removeprefix("各")
        piece = re.sub(r"(等)?(按职责分工负责|分工负责|负责落实|负责|落实|配合|参与|协助)$", "", piece).removesuffix("等")
        if 2 <= len(piece) <= 24 and piece.endswith(cues.department_suffixes):
            names.append(piece)
    return tuple(dict.fromkeys(names))


def _with_departments(target: Target, notes: list[Responsibility]) -> Target:
    """A target gets the departments of the note that covers its sentence (the note may end it)."""
    for note in notes:
        if note.doc_id == target.doc_id and note.task_start <= target.start and target.end <= note.end:
            return replace(target, departments=note.leads + note.partners,
                           note_start=note.start, note_end=note.end)
    return target


def select(targets: list[Target], sectors: SectorMap, sector: str = "", department: str = "") -> list[Target]:
    if department:
        wanted = set(sectors.sectors_of_department(department))
        return [t for t in targets if t.sector in wanted]
    if sector:
        return [t for t in targets if t.sector == sector]
    return list(targets)


FIELDS = ("indicator", "value", "unit", "comparator", "year", "baseline", "sector", "section", "quote", "plan")
HEADERS = ("指标", "目标值", "单位", "比较", "年份", "基准", "领域", "章节", "原文", "规划")


def to_rows(targets: list[Target]) -> list[dict]:
    return [{**asdict(t), "section": t.section} for t in targets]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run the cell as a formula


def csv_cell(value) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading '
    (the OWASP advice; spreadsheets hide it). CSV only: JSON and tables keep the plan's text."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(targets: list[Target]) -> str:
    """CSV text; write it with encoding 'utf-8-sig' so spreadsheets keep the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for row in to_rows(targets):
        writer.writerow([csv_cell(row[f]) for f in FIELDS])
    return buffer.getvalue()


def to_json(targets: list[Target]) -> str:
    return json.dumps(to_rows(targets), ensure_ascii=False, indent=2)


def to_table(targets: list[Target]) -> str:
    lines = []
    for t in targets:
        when = t.year or "未写明"
        lines.append(f"[{t.sector}] {t.indicator}：{t.value}{t.unit}（{t.comparator}，{when}）\n"
                     f"    《{t.plan}》 {t.section}\n    “{t.quote}”")
    return "\n".join(lines)


__all__ = ["extract_targets", "select", "to_csv", "to_json", "to_table", "SECTION_SEPARATOR"]
