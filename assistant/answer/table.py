"""The table answer: the cells a question asks of a plan's table, each row read with its
header's column names and unit, cited with the row and the header."""

from __future__ import annotations

import re

from ..parse import LABEL_UNIT, unit_column
from ..structure import YEAR, TableAsk
from ..text import collapse, squash
from ..types import Answer, Document, ParsedDocument, Query, Source
from .quotes import check_numbers, front_source, plan_label


def answer_table(query: Query, ask: TableAsk, parsed: dict[str, ParsedDocument], plans_indexed: int) -> Answer:
    """The asked cells, each line a row with its header's column names, cited with the row
    and the header; a year or a row the table lacks is said to be missing, with what it has."""
    table = ask.table
    doc = parsed[table.doc_id].document
    header = front_source(doc, (table.header.start, table.header.end), "表头（列名与年份）", table.header.section_path,
                   table_header=True)
    sources = [header]
    label = plan_label(doc, plans_indexed)
    name = "该表"
    if table.caption is not None:
        sources.append(front_source(doc, (table.caption.start, table.caption.end), "表题", table.caption.section_path))
        name = f"“{sources[-1].quote}”[{len(sources)}]"
    if ask.unit_asked:
        return _units_answer(query, ask, sources, name, label, doc)
    if ask.missing_row or (ask.missing_years and not ask.columns):
        what = "项目（行）" if ask.missing_row else "年份（列）"
        rows = "、".join(r.cells[0] for r in table.rows if r.cells and r.cells[0])
        text = f"{name}{label}中没有问题所问的{what}。表头为：{header.quote}[1]；表中的项目有：{rows}。"
        check_numbers(text, [s.quote for s in sources] + [collapse(doc.text[r.start:r.end]) for r in table.rows])
        return Answer(question=query.text, text=text, found=False, sources=tuple(sources), intent="table")
    rows = [(row, cells) for row in ask.rows if (cells := row_cells(table.header.cells, row.cells, ask.columns))]
    sources = [front_source(doc, (row.start, row.end), "表中的一行", row.section_path) for row, _ in rows] + sources
    header_mark = len(rows) + 1
    name = name.replace("[2]", f"[{header_mark + 1}]")
    lines = [f"{name}{label}中对应的数值："]
    for n, (row, cells) in enumerate(rows, start=1):
        lines.append(f"· {row.cells[0]}：{'；'.join(cells)}[{n}][{header_mark}]")
    if ask.extreme and (line := _extreme_line(ask, rows, table.header.cells)):
        lines.append(line)
    if ask.missing_years:
        lines.append(f"  说明：表中没有问题所问的部分年份（列），表头见[{header_mark}]。")
    if not rows:
        return Answer(question=query.text, text="规划的表格中未找到问题所问的行。", found=False, intent="table")
    text = "\n".join(lines)
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent="table")


def _units_answer(query: Query, ask: TableAsk, sources: list[Source], name: str, label: str,
                  doc: Document) -> Answer:
    """The units a table's numbers are in: as its title states them (…（万吨标准煤，亿千瓦时）)
    and, when it has a unit column, each row's, all quoted."""
    table = ask.table
    header = sources[0]
    lines = [f"{name}{label}的计量单位见表题与表头：",
             f"· 表头：{header.quote}[1]"]
    unit_at = unit_column(table.header.cells)
    if unit_at is not None:
        for row in table.rows:
            if unit_at < len(row.cells) and row.cells[unit_at]:
                sources.append(front_source(doc, (row.start, row.end), "表中的一行", row.section_path))
                lines.append(f"· {row.cells[0]}：{row.cells[unit_at]}[{len(sources)}]")
    text = "\n".join(lines)
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent="table")


def _extreme_line(ask: TableAsk, rows: list, names: tuple[str, ...]) -> str:
    """“其中最低：2019：61.9” — over one row's columns, or one column's rows; nothing when a
    cell is not a plain number (33.2/9.07 has no order)."""
    pick = max if ask.extreme == "highest" else min
    word = "最高" if ask.extreme == "highest" else "最低"
    if len(rows) == 1:
        row = rows[0][0]
        cells = [(i, _number(row.cells[i])) for i in ask.columns if i < len(row.cells)]
        if len(cells) < 2 or any(v is None for _, v in cells):
            return ""
        i = pick(cells, key=lambda c: c[1])[0]
        return f"  其中{word}：{row_cells(names, row.cells, (i,))[0]}[1]"
    if len(ask.columns) == 1:
        i = ask.columns[0]
        cells = [(n, r, _number(r.cells[i]) if i < len(r.cells) else None) for n, (r, _) in enumerate(rows, start=1)]
        if len(cells) < 2 or any(v is None for *_, v in cells):
            return ""
        n, row, _ = pick(cells, key=lambda c: c[2])
        return f"  其中{word}：{row.cells[0]}（{row_cells(names, row.cells, (i,))[0]}）[{n}]"
    return ""


def _number(cell: str) -> float | None:
    try:
        return float(cell.strip().rstrip("%"))
    except ValueError:
        return None


def row_cells(names: tuple[str, ...], cells: tuple[str, ...], columns: tuple[int, ...] = ()) -> list[str]:
    """A table row's value cells, each read with its column's name and the row's unit
    (“2016：74.1”, “16%（2025 年目标值）”): the columns asked, or all."""
    unit_at = unit_column(names)
    unit = cells[unit_at] if unit_at is not None and unit_at < len(cells) else ""
    if not unit and cells and (note := LABEL_UNIT.search(cells[0])):  # 森林覆盖率（%）: ≥25 is ≥25%
        unit = note.group(1)
    return [_cell(names[i], cells[i], unit) for i in (columns or range(1, len(names)))
            if i != unit_at and i < len(cells) and cells[i]]


def _cell(column: str, value: str, unit: str) -> str:
    """“2016：74.1”, or “5%（2025 年目标值）” when the column is not a year; a cell in words
    (国家下达指标, 全部消除) takes no unit."""
    if not re.match(r"[\d.≥≤＞＜<>\[【（(+\-]", value) or value.rstrip("*").endswith(("%", "％", unit)):
        unit = ""
    if YEAR.fullmatch(squash(column).removesuffix("年")):
        return f"{column}：{value}{unit}"
    return f"{value}{unit}（{column}）"


