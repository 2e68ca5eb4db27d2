"""indicators: the targets registry -> one indicator across every plan (a comparison matrix).

A target whose indicator the cue file's `[indicators]` vocabulary names, in any spelling
(单位GDP能耗 = 单位地区生产总值能源消耗 = 能耗强度), gets that indicator's identity. When a
target's words hold spellings of two indicators, the longer spelling decides (规模以上工业单位
增加值能耗 is the industrial indicator, not GDP energy intensity): distinct indicators never
merge. Each cell keeps the plan's own value and unit, the direction (下降 / 提高 / 控制在 …),
the baseline and target years, 约束性 / 预期性 where its quote says so, and the quote itself.
Nothing is computed that the quote does not state.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import asdict

from .targets import TargetCues, csv_cell
from .types import IndicatorCell, IndicatorCheck, IndicatorMatrix, Target

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_YEAR = re.compile(r"20\d{2}")
_FALLING = ("降低", "下降", "降幅", "减少", "削减")
_RISING = ("提高", "提升", "增长", "增加")
BINDING = ("约束性", "预期性")


FIVE_YEAR_PLANS = {"十二五": "2015", "十三五": "2020", "十四五": "2025", "十五五": "2030", "十六五": "2035"}
_PERIOD = re.compile(r"(20\d{2})\s*[-—－–~～至到]\s*(20\d{2})")


def horizon(title: str) -> str:
    """The year a plan's own title says it runs to (“（2021-2025年）”, “十四五” …), else ""."""
    if period := _PERIOD.search(title):
        return period.group(2)
    return next((year for name, year in FIVE_YEAR_PLANS.items() if name in title), "")


def printed_value(target: Target, suffixes=()) -> str:
    """The value as its quote prints it, with a limit word after it (15.5%以上, 35%左右);
    else the value and its unit."""
    if target.value:
        limit = "|".join(re.escape(w) for w in sorted(suffixes, key=len, reverse=True))
        pattern = rf"(?<![\d.]){re.escape(target.value)}\s*{re.escape(target.unit)}" + (rf"\s*(?:{limit})?" if limit else "")
        if found := re.search(pattern, target.quote):
            return re.sub(r"\s+", "", found.group())
    return f"{target.value}{target.unit}"


def cell_of(target: Target, indicator: str, plan_end: str = "", suffixes=()) -> IndicatorCell:
    """One target as a cell of the matrix: only what its own quote and fields state, and
    for a target that states no year, the deadline its paragraph opens with, else the year its
    plan's title runs to (`plan_end`)."""
    number = _NUMBER.fullmatch(target.value.strip())
    year = _YEAR.search(target.year) or _YEAR.search(horizon(target.year) or target.opened_year or plan_end)
    baseline = _YEAR.search(target.baseline)
    return IndicatorCell(
        indicator=indicator, doc_id=target.doc_id, plan=target.plan, value=printed_value(target, suffixes),
        number=float(number.group()) if number else None, unit=target.unit, direction=_direction(target),
        baseline_year=baseline.group() if baseline else "", target_year=year.group() if year else target.year,
        binding=next((b for b in BINDING if b in target.quote), ""), quote=target.quote, section=target.section,
        start=target.start, end=target.end)


def _direction(target: Target) -> str:
    """下降 / 提高 as the indicator or comparator words say (a table row's generic 目标值: as its
    row says), else the comparator (达到, 控制在 …)."""
    words = f"{target.indicator}{target.comparator}"
    if target.source_kind == "table" or target.comparator == "目标值":
        words += target.quote
    if any(w in words for w in _FALLING):
        return "下降"
    if any(w in words for w in _RISING):
        return "提高"
    return "" if target.comparator == "目标值" else target.comparator  # a table's value column says no more


def indicator_matrix(targets: list[Target], plans: dict[str, str], cues: TargetCues,
                     canonical: Callable[[str], str], indicators: tuple[str, ...] = ()) -> IndicatorMatrix:
    """Indicator × plan over `plans` (doc id -> title, in their order): every target of the
    cue file's indicators (or only `indicators`) as a cell; indicators in the cue file's order."""
    cells = []
    for target in targets:
        name = cues.indicator_named(target.indicator, canonical)
        if name and (not indicators or name in indicators) and target.doc_id in plans and not (
                cues.narrower_than(target.indicator, name, canonical, plans[target.doc_id])):
            cells.append(cell_of(target, name, horizon(plans[target.doc_id]), tuple(cues.suffixes)))
    named = {c.indicator for c in cells}
    rank = {n: i for i, n in enumerate(cues.indicators)}
    order = {d: i for i, d in enumerate(plans)}
    cells.sort(key=lambda c: (rank[c.indicator], order[c.doc_id], c.target_year, c.start))
    return IndicatorMatrix(indicators=tuple(n for n in cues.indicators if n in named),
                           plans=tuple(plans.items()), cells=tuple(cells))


# ---- the check against the superior plan -------------------------------------------------------
NATIONAL = "全国"
RELATIVE_UNITS = ("%", "％")  # an amount (万吨, 万千瓦) of one region never measures another's ambition
LOWER_IS_STRICTER = ("以下", "控制在", "降至", "不高于", "以内")


def plan_level(document) -> str:
    """国家 / 省级 / 市县, from the region the document's identity names."""
    from .frontmatter import provinces

    region = document.meta.region
    if region == NATIONAL:
        return "国家"
    return "省级" if region in provinces() else "市县"


def superior_region(document) -> str:
    """The region of the plan above this one: a province's is the nation; a city's or a
    county's is the province its own text names most (its plans cite their province's); "" when
    the document does not say."""
    from .frontmatter import body_province

    level = plan_level(document)
    if level == "国家":
        return ""
    return NATIONAL if level == "省级" else body_province(document.text)


def check(matrix: IndicatorMatrix, documents: dict) -> list[IndicatorCheck]:
    """For each plan and each plan of its superior region, every indicator both state for the
    same target year and baseline, in percent and in the same direction: whether the local
    target is at least as ambitious. Never across years, units, directions or indicators."""
    out = []
    for local_id, _ in matrix.plans:
        above = superior_region(documents[local_id])
        superiors = [d for d, _ in matrix.plans if d != local_id and above and documents[d].meta.region == above]
        for superior_id in superiors:
            for name in matrix.indicators:
                for mine in matrix.of(name, local_id):
                    out += [IndicatorCheck(name, mine, theirs, _meets(mine, theirs))
                            for theirs in matrix.of(name, superior_id) if _comparable(mine, theirs)]
    return sorted(out, key=lambda c: c.meets)  # the gaps first


def _comparable(a: IndicatorCell, b: IndicatorCell) -> bool:
    """Both state a number in percent, for the same target year and baseline, in the same sense."""
    return (a.number is not None and b.number is not None and a.unit in RELATIVE_UNITS and b.unit in RELATIVE_UNITS
            and a.target_year != "" and a.target_year == b.target_year and a.baseline_year == b.baseline_year
            and _sense(a) == _sense(b))


def _sense(cell: IndicatorCell) -> str:
    """下降 (a cut), 提高 (a rise), 上限 (a cap) or 达到 (a level to reach: 达到, 以上, a table's value)."""
    if cell.direction in ("下降", "提高"):
        return cell.direction
    return "上限" if _stricter_when_lower(cell) else "达到"


def _stricter_when_lower(cell: IndicatorCell) -> bool:
    """A cap (控制在 …以下): lower is stricter; a cut (下降 x%) or a rate to reach: higher is."""
    return cell.direction in LOWER_IS_STRICTER or any(w in cell.value for w in LOWER_IS_STRICTER)


def _meets(local: IndicatorCell, superior: IndicatorCell) -> bool:
    if _stricter_when_lower(local):
        return local.number <= superior.number
    return local.number >= superior.number


def check_table(checks: list[IndicatorCheck]) -> str:
    if not checks:
        return "没有可对照的指标：对照只在同一指标、同一目标年、同一基准年、同为百分比时进行。"
    lines = []
    for c in checks:
        verdict = "不低于上级要求" if c.meets else "低于上级要求"
        lines.append(f"[{verdict}] {c.indicator}（{c.local.target_year}年）：《{c.local.plan}》{c.local.value} ／ "
                     f"上级《{c.superior.plan}》{c.superior.value}\n"
                     f"    本级 {c.local.section}：“{c.local.quote}”\n    上级 {c.superior.section}：“{c.superior.quote}”")
    return "\n".join(lines)


def check_json(checks: list[IndicatorCheck]) -> str:
    return json.dumps([asdict(c) for c in checks], ensure_ascii=False, indent=2)


# ---- output ------------------------------------------------------------------------------------
FIELDS = ("indicator", "plan", "value", "number", "unit", "direction", "baseline_year", "target_year", "binding",
          "section", "quote")
HEADERS = ("指标", "规划", "目标值", "数值", "单位", "方向", "基准年", "目标年", "约束性/预期性", "章节", "原文")


def rows(matrix: IndicatorMatrix) -> list[list]:
    """The cells as rows of FIELDS (the CSV, and the xlsx's 明细 sheet)."""
    return [[_plain(getattr(c, f)) for f in FIELDS] for c in matrix.cells]


def _plain(value):
    """None as an empty cell, 14.0 as 14 (a spreadsheet and the CSV show the same)."""
    if value is None:
        return ""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def to_csv(matrix: IndicatorMatrix) -> str:
    """CSV text; write it with encoding 'utf-8-sig' so spreadsheets keep the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for row in rows(matrix):
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue()


def to_json(matrix: IndicatorMatrix) -> str:
    return json.dumps({"indicators": list(matrix.indicators),
                       "plans": [{"doc_id": d, "title": t} for d, t in matrix.plans],
                       "cells": [asdict(c) for c in matrix.cells]}, ensure_ascii=False, indent=2)


def cell_text(cells: list[IndicatorCell]) -> str:
    """One plan's cells of one indicator, as a matrix shows them: 13.5%（2025年）; a value
    the plan states twice (its table and its text) once."""
    shown = (f"{c.value}（{c.target_year}年）" if c.target_year.isdigit() else c.value for c in cells)
    return "；".join(dict.fromkeys(shown))


def to_table(matrix: IndicatorMatrix) -> str:
    lines = []
    for name in matrix.indicators:
        lines.append(f"■ {name}")
        stated = set()
        for doc_id, title in matrix.plans:
            cells = matrix.of(name, doc_id)
            if not cells:
                continue
            stated.add(doc_id)
            lines.append(f"  《{title}》：{cell_text(cells)}")
            for c in cells:
                lines.append(f"      {c.section}：“{c.quote}”")
        missing = [t for d, t in matrix.plans if d not in stated]
        if missing:
            lines.append(f"  未写明该指标：{'、'.join(f'《{t}》' for t in missing)}")
    return "\n".join(lines) if lines else "已索引的规划中没有可对比的指标。"


def write_xlsx(matrix: IndicatorMatrix, path) -> None:
    """Two sheets: 对比 (indicator × plan, each cell the plan's values) and 明细 (the CSV's rows)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    grid = book.active
    grid.title = "对比"
    grid.append(["指标", *(t for _, t in matrix.plans)])
    for name in matrix.indicators:
        grid.append([name, *(cell_text(matrix.of(name, d)) or "未写明" for d, _ in matrix.plans)])
    detail = book.create_sheet("明细")
    detail.append(list(HEADERS))
    for row in rows(matrix):
        detail.append(row)
    for sheet in (grid, detail):
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # the plan's text, never a formula
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = 24
            for cell in column:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    book.save(path)
