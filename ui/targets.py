"""The 指标 tab: 清单, the targets registry by sector or department with a CSV download; and 对比
(ui/compare.py), one indicator across plans."""

from __future__ import annotations

import dataclasses
import re
from types import SimpleNamespace

import gradio as gr

from assistant.targets import FIELDS, HEADERS, to_csv, to_rows
from ui import compare
from ui.chat import cjk_tidy
from ui.common import ALL, fail

TARGET_HEADERS = list(HEADERS)  # the CSV's columns, in the CSV's order
COLUMN_WIDTHS = [13, 6, 5, 6, 5, 5, 6, 16, 27, 11]  # percent of the table's width, one per column
TABLE_VALUE = "目标值"  # what the registry puts in 比较 for a table cell: the plan's table states no comparison
PHONE_TABLE_PX = 1100  # at phone width the table keeps this width and scrolls sideways


def phone_table_css(widths=COLUMN_WIDTHS, total: int = PHONE_TABLE_PX, table: str = "#targets-table") -> str:
    """Gradio sizes the columns from the percentages and the box's width (a phone: 22 px, one
    character); on a narrow screen each column gets its share of `total` pixels instead."""
    rules = [f"{table} :is(table, .virtual-body, .virtual-row) {{width: {total}px !important; "
             f"min-width: {total}px}}"]
    for i, share in enumerate(widths, 1):
        px = round(total * share / 100)
        rules.append(f"{table} :is(th, .body-cell):nth-child({i}) {{flex: 0 0 {px}px !important; "
                     f"width: {px}px !important; min-width: {px}px !important; max-width: {px}px !important}}")
    return "@media (max-width: 720px) {\n" + "\n".join(rules) + "\n}\n"


PHONE_TABLE_CSS = (phone_table_css() + phone_table_css(compare.DETAIL_WIDTHS, table="#compare-detail")
                   + phone_table_css(compare.CHECK_WIDTHS, table="#compare-check"))


EMPTY = {"year": "未写明"}


def shown_target(target):
    """A table cell's target with no comparison (the registry writes 目标值 there: the table's
    header, not a comparison), for the table and its CSV alike."""
    if target.source_kind == "table" and target.comparator == TABLE_VALUE:
        return dataclasses.replace(target, comparator="")
    return target


def _shown(value):
    """A cell as the table shows it: the PDF's spaces between Chinese characters gone (the CSV
    keeps the plan's text as extracted)."""
    return cjk_tidy(value) if isinstance(value, str) else value


class TargetsHandlers:
    """指标 handlers (mixed into ui.handlers.App)."""

    def filter_choices(self):
        try:
            sectors = self.assistant.sectors
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        return ([ALL, *sectors.sectors], [ALL, *sectors.departments()])

    def targets_view(self, sector, department):
        sector = "" if sector in (None, "", ALL) else sector
        department = "" if department in (None, "", ALL) else department
        try:
            targets = self.assistant.targets(sector=sector or None, department=department or None)
            if department:
                mapped = "、".join(self.assistant.sectors.sectors_of_department(department)) or "无"
                scope = f"部门“{department}”（经本地对照表对应领域：{mapped}）"
            else:
                scope = f"领域“{sector}”" if sector else "全部领域"
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        targets = [shown_target(t) for t in targets]
        rows = [[_shown(row[f]) if row[f] not in ("", None) else EMPTY.get(f, "—") for f in FIELDS]
                for row in to_rows(targets)]
        name = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", department or sector or "全部")
        path = self._content_path(f"规划指标_{name}.csv", to_csv(targets).encode("utf-8-sig"))  # BOM: for spreadsheets
        summary = f"{scope}：共 {len(targets)} 项目标。"
        return rows, summary, gr.DownloadButton(value=str(path), interactive=True)

    def fill_filters(self):
        """On page load: the sector and department choices and the full list."""
        sectors, departments = self.filter_choices()
        rows, summary, download = self.targets_view(ALL, ALL)
        return (gr.Dropdown(choices=sectors, value=ALL), gr.Dropdown(choices=departments, value=ALL),
                rows, summary, download)

    def on_sector(self, sector):
        rows, summary, download = self.targets_view(sector, ALL)
        return gr.Dropdown(value=ALL), rows, summary, download

    def on_department(self, department):
        rows, summary, download = self.targets_view(ALL, department)
        return gr.Dropdown(value=ALL), rows, summary, download



def build_tab(app) -> SimpleNamespace:
    """The 指标 tab: 清单 (the registry) and 对比 (ui.compare: one indicator across plans)."""
    with gr.Tab("指标", id="targets"), gr.Tabs(elem_id="targets-views"):
        with gr.Tab("清单", id="target-list"):
            list_view = _list_view()
        compare_view = compare.build_view(app)
    sector, department = list_view.sector, list_view.department
    outputs = list_view.outputs
    sector.input(app.on_sector, inputs=sector, outputs=[department, *outputs], api_visibility="private")
    department.input(app.on_department, inputs=department, outputs=[sector, *outputs], api_visibility="private")
    return SimpleNamespace(**vars(list_view), compare=compare_view)


def _list_view() -> SimpleNamespace:
    """The registry by sector or department, with its CSV."""
    with gr.Row():
        sector = gr.Dropdown([ALL], value=ALL, label="按领域", elem_id="sector", interactive=True)
        department = gr.Dropdown([ALL], value=ALL, label="按部门（经本地对照表）", elem_id="department",
                                 interactive=True)
        download_csv = gr.DownloadButton("下载 CSV", elem_id="download-csv", interactive=False)
    targets_summary = gr.Markdown("")
    targets_table = gr.Dataframe(headers=TARGET_HEADERS, interactive=False, wrap=True,
                                 label="指标清单", show_label=False, elem_id="targets-table", max_height=560,
                                 column_widths=[f"{w}%" for w in COLUMN_WIDTHS])
    outputs = [targets_table, targets_summary, download_csv]
    return SimpleNamespace(outputs=outputs, sector=sector, department=department, download_csv=download_csv,
                           targets_summary=targets_summary, targets_table=targets_table)
