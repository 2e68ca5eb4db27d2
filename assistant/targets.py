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
from dataclasses import asdict

from .text import collapse, sentence_spans
from .types import SECTION_SEPARATOR, ParsedDocument, Target
from .understand import SectorMap

GENERAL_SECTOR = "综合"
HISTORY_HEADINGS = ("发展基础", "发展现状", "现状", "回顾", "成效", "基础")
LOOKING_AHEAD = re.compile(r"到\s*20\d{2}\s*年|力争|“?十四五”?末|确保")
TARGET_HEADER = re.compile(r"目标")
VERBS = ("累计实现节能量", "实现节能量", "降至至", "降至", "累计下降", "降低", "下降", "控制在",
         "不低于", "不少于", "不高于", "提高到", "提高至", "提升至", "达到", "达", "增加",
         "全面执行", "逐步执行", "推广")
RATE_ENDINGS = ("率", "比例", "占比", "比重")
NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(%|％|万吨标准煤|万平方米|家)?\s*(以上|以下|左右)?")
YEAR = re.compile(r"(20\d{2})\s*年(底)?|“?十四五”?末")
BASELINE = re.compile(r"比\s*(20\d{2})\s*年")
LEAD_MARKERS = re.compile(r"^(到\s*20\d{2}\s*年(底)?|力争|确保|其中|同时|并|实现)+")
TRAIL_MARKERS = re.compile(r"(力争|确保)+$")
STANDARD_VERBS = ("全面执行", "逐步执行", "推广")
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
MAX_VERB_GAP = 10
COMPARATORS = {"不低于": "不低于", "不少于": "不少于", "不高于": "不高于", "控制在": "控制在",
               "累计下降": "累计降幅", "降低": "降低", "下降": "降低", "降至": "降至", "降至至": "降至",
               "增加": "增加", "全面执行": "全面执行", "逐步执行": "逐步执行", "推广": "推广",
               "累计实现节能量": "累计", "实现节能量": "累计"}


def extract_targets(parsed: ParsedDocument, sectors: SectorMap) -> list[Target]:
    targets = _table_targets(parsed, sectors) + _text_targets(parsed, sectors)
    return _dedupe(targets)


def _table_targets(parsed: ParsedDocument, sectors: SectorMap) -> list[Target]:
    out = []
    header: tuple[str, ...] = ()
    header_block = None
    for block in parsed.blocks:
        if block.kind == "table_header":
            header, header_block = block.cells, block
        if block.kind != "table_row" or not any(TARGET_HEADER.search(h) for h in header):
            continue
        cells = dict(zip(header, block.cells, strict=False))
        value_col = next(h for h in header if TARGET_HEADER.search(h))
        year = YEAR.search(value_col)
        indicator = block.cells[0]
        out.append(Target(
            indicator=indicator, value=cells.get(value_col, ""), unit=block.cells[1] if len(block.cells) > 2 else "",
            comparator="累计降幅" if "降幅" in indicator else "目标值",
            year=year.group(1) if year else "", sector=_sector_name(block.sector, sectors) or GENERAL_SECTOR,
            section_path=block.section_path, quote=collapse(parsed.document.text[block.start:block.end]),
            doc_id=parsed.document.doc_id, start=block.start, end=block.end, source_kind="table",
            header_quote=collapse(parsed.document.text[header_block.start:header_block.end]),
            header_start=header_block.start, header_end=header_block.end))
    return out


def _sector_name(label: str, sectors: SectorMap) -> str:
    return sectors.find_sector(label) if label else ""


def _text_targets(parsed: ParsedDocument, sectors: SectorMap) -> list[Target]:
    text = parsed.document.text
    out = []
    for block in parsed.blocks:
        if block.kind != "paragraph":
            continue
        history = any(w in h for h in block.section_path[:1] for w in HISTORY_HEADINGS)
        lead = _lead(text, block)
        year = ""  # a deadline stated once (“到 2025 年，…”) holds for the paragraph
        for start, end in sentence_spans(text, block.start, block.end):
            sentence = text[start:end]
            if history and not LOOKING_AHEAD.search(sentence):
                continue
            found, year = _sentence_targets(parsed, block, lead, start, sentence, sectors, year)
            out.extend(found)
    return out


def _lead(text: str, block) -> str:
    first = sentence_spans(text, block.start, block.end)[0]
    phrase = collapse(text[first[0]:first[1]]).rstrip("。")
    return phrase if len(phrase) <= 24 else ""


def _sentence_targets(parsed, block, lead, start, sentence, sectors, year):
    found = []
    baseline = ""
    for clause in re.split(r"(?<=[，；。])", sentence):
        if (m := YEAR.search(clause)) and LOOKING_AHEAD.search(clause):
            year = (m.group(1) + "年底") if m.group(2) else (m.group(1) or "十四五末")
        baseline = f"比{b.group(1)}年" if (b := BASELINE.search(clause)) else baseline
        target = _clause_target(clause, lead)
        if target:
            indicator, value, unit, comparator = target
            quote_start, quote_end = start, start + len(sentence)  # sentence spans come trimmed
            found.append(Target(
                indicator=indicator, value=value, unit=unit.replace("％", "%"), comparator=comparator,
                year=year, sector=_sector(block, lead, indicator, sectors),
                section_path=block.section_path,
                quote=collapse(parsed.document.text[quote_start:quote_end]),
                doc_id=parsed.document.doc_id, start=quote_start, end=quote_end,
                baseline=baseline if baseline and baseline[1:5] in clause else ""))
    return found, year


def _clause_target(clause: str, lead: str):
    """(indicator, value, unit, comparator) when the clause sets a value, else None."""
    flat = collapse(clause)
    for m in NUMBER.finditer(flat):
        value, unit, suffix = m.group(1), m.group(2) or "", m.group(3) or ""
        if re.match(r"\s*年", flat[m.end(1):]) or flat[m.end(1):m.end(1) + 1] in "号条块":
            continue
        before = flat[:m.start()].rstrip()
        verb_at = max(((before.rfind(v), v) for v in VERBS),
                      key=lambda p: (p[0] + len(p[1]) if p[0] >= 0 else -1, len(p[1])))
        if verb_at[0] >= 0 and m.start() - (verb_at[0] + len(verb_at[1])) <= MAX_VERB_GAP:
            verb = verb_at[1]
            indicator = before[:verb_at[0]]
        elif before.endswith(RATE_ENDINGS):
            verb, indicator = "", before
        else:
            continue
        if not unit and not suffix:
            continue  # a bare number (项目数量, 机组编号) is not a target value
        indicator = _clean_indicator(indicator, verb, lead)
        if verb in STANDARD_VERBS and (noun := re.match(r"\s*([^，；。\d]{0,10}标准)", flat[m.end():])):
            indicator = f"{indicator}{verb}{noun.group(1)}"
        if not indicator:
            continue
        comparator = suffix or COMPARATORS.get(verb, "达到")
        if verb == "控制在" and suffix:
            comparator = suffix
        return indicator, value, unit, comparator
    return None


def _clean_indicator(indicator: str, verb: str, lead: str) -> str:
    indicator = BASELINE.sub("", _CJK_GAP.sub("", indicator))
    indicator = TRAIL_MARKERS.sub("", LEAD_MARKERS.sub("", indicator.strip(" ，；。、")).strip())
    if "节能量" in verb:
        return f"{lead.split('.', 1)[-1]}节能量" if lead else "节能量"
    if len(indicator) > 40:
        indicator = indicator[-40:]
    return indicator


def _sector(block, lead: str, indicator: str, sectors: SectorMap) -> str:
    from_heading = sectors.sector_of_heading(block.section_path)
    if from_heading and from_heading != GENERAL_SECTOR:
        return from_heading
    return (sectors.find_sector(lead) if lead else "") or sectors.find_sector(indicator) or GENERAL_SECTOR


def _dedupe(targets: list[Target]) -> list[Target]:
    """The same indicator with the same value stated twice: keep the forward-looking one."""
    seen: dict[tuple, Target] = {}
    for t in targets:
        key = (t.indicator, t.value, t.unit, t.comparator)
        if key not in seen or any(w in seen[key].section_path[0] for w in HISTORY_HEADINGS):
            seen[key] = t
    return list(seen.values())


def select(targets: list[Target], sectors: SectorMap, sector: str = "", department: str = "") -> list[Target]:
    if department:
        wanted = set(sectors.sectors_of_department(department))
        return [t for t in targets if t.sector in wanted]
    if sector:
        return [t for t in targets if t.sector == sector]
    return list(targets)


FIELDS = ("indicator", "value", "unit", "comparator", "year", "baseline", "sector", "section", "quote")
HEADERS = ("指标", "目标值", "单位", "比较", "年份", "基准", "领域", "章节", "原文")


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
                     f"    {t.section}\n    “{t.quote}”")
    return "\n".join(lines)


__all__ = ["extract_targets", "select", "to_csv", "to_json", "to_table", "SECTION_SEPARATOR"]
