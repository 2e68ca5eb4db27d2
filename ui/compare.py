"""The 指标 tab's 对比 view: one indicator across every plan (indicator × plan), filtered by
indicator, sector or department, with its cells' quotes, downloadable as CSV and xlsx, and each
plan set beside its superior plan (`indicators --check`)."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import gradio as gr

from assistant.indicators import HEADERS, cell_text, rows, to_csv, write_xlsx
from ui.chat import cjk_tidy
from ui.common import ALL, fail

NOT_STATED = "未写明"
CHECK_HEADERS = ["对照结果", "指标", "目标年", "本级规划", "上级规划", "本级原文", "上级原文"]
CHECK_WIDTHS = [10, 10, 6, 16, 16, 21, 21]
NO_CHECK = ("对照只在上下级规划（市—省、省—国家）写到同一指标、同一目标年与基准年、同为百分比时进行；"
            "已索引的规划中没有这样的一对。")
DETAIL_WIDTHS = [9, 12, 7, 5, 4, 5, 5, 5, 6, 14, 28]  # percent of the 明细 table's width, one per column
QUOTE_COLUMN = HEADERS.index("原文")


class CompareHandlers:
    """对比 handlers (mixed into ui.handlers.App)."""

    def compare_filters(self, sector, department):
        """The sector and department choices as the plans indexed now give them."""
        sectors, departments = self.filter_choices()
        return (gr.Dropdown(choices=sectors, value=sector if sector in sectors else ALL),
                gr.Dropdown(choices=departments, value=department if department in departments else ALL))

    def _check_rows(self, matrix) -> list[list[str]]:
        """Each plan beside its superior plan (the gaps first), or one row saying there is none."""
        try:
            checks = self.assistant.indicator_checks(matrix)
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        rows = [["低于上级要求" if not c.meets else "不低于上级要求", c.indicator, c.local.target_year,
                 f"《{c.local.plan}》{c.local.value}", f"《{c.superior.plan}》{c.superior.value}",
                 cjk_tidy(c.local.quote), cjk_tidy(c.superior.quote)] for c in checks]
        return rows or [["—", "没有可对照的指标", "—", "—", "—", NO_CHECK, "—"]]

    def compare_view(self, indicator, sector, department):
        """The matrix, its cells with their quotes, a summary and the two downloads."""
        chosen = {k: (None if v in (None, "", ALL) else v)
                  for k, v in (("indicator", indicator), ("sector", sector), ("department", department))}
        try:
            matrix = self.assistant.indicators(**chosen)
            names = self.assistant.target_cues.indicators
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        grid = [[name, *(cell_text(matrix.of(name, d)) or NOT_STATED for d, _ in matrix.plans)]
                for name in matrix.indicators]
        detail = [[cjk_tidy(v) if isinstance(v, str) and i == QUOTE_COLUMN else v for i, v in enumerate(row)]
                  for row in rows(matrix)]
        scope = "、".join(f"{label}“{v}”" for label, v in (("指标", chosen["indicator"]), ("领域", chosen["sector"]),
                                                           ("部门", chosen["department"])) if v) or "全部指标"
        summary = (f"{scope}：{len(matrix.indicators)} 个指标 × {len(matrix.plans)} 份规划，共 {len(matrix.cells)} 个目标。"
                   f"“{NOT_STATED}”表示该规划没有写到这个指标的目标值；每个目标值的原文与章节见下方明细。")
        name = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", chosen["indicator"] or chosen["department"] or chosen["sector"] or "全部")
        csv_bytes = to_csv(matrix).encode("utf-8-sig")  # BOM: spreadsheets keep the Chinese
        csv_path = self._content_path(f"指标对比_{name}.csv", csv_bytes)
        book = io.BytesIO()
        write_xlsx(matrix, book)
        xlsx_path = self._content_path(f"指标对比_{name}.xlsx", book.getvalue(), key=b"xlsx" + csv_bytes)
        headers = ["指标", *(title for _, title in matrix.plans)]
        return (gr.Dropdown(choices=[ALL, *names], value=indicator or ALL),
                gr.Dataframe(value=grid, headers=headers), detail, summary, self._check_rows(matrix),
                gr.DownloadButton(value=str(csv_path), interactive=True),
                gr.DownloadButton(value=str(xlsx_path), interactive=True))


def build_view(app) -> SimpleNamespace:
    """Inside the 指标 tab: the 对比 sub-tab and its events."""
    with gr.Tab("对比", id="compare") as tab:
        gr.Markdown("同一指标在各规划中的目标值（单位GDP能耗、能耗强度、单位地区生产总值能源消耗等写法归为一个指标；"
                    "碳排放强度与能耗强度是不同的指标）。", elem_id="compare-intro")
        with gr.Row():
            indicator = gr.Dropdown([ALL], value=ALL, label="指标", elem_id="compare-indicator", interactive=True)
            sector = gr.Dropdown([ALL], value=ALL, label="按领域", elem_id="compare-sector", interactive=True)
            department = gr.Dropdown([ALL], value=ALL, label="按部门（经本地对照表）", elem_id="compare-department",
                                     interactive=True)
        with gr.Row():
            download_csv = gr.DownloadButton("下载 CSV", elem_id="compare-csv", interactive=False)
            download_xlsx = gr.DownloadButton("下载 Excel", elem_id="compare-xlsx", interactive=False)
        summary = gr.Markdown("", elem_id="compare-summary")
        grid = gr.Dataframe(headers=["指标"], interactive=False, wrap=True, label="指标 × 规划", show_label=True,
                            elem_id="compare-grid", max_height=420)
        detail = gr.Dataframe(headers=list(HEADERS), interactive=False, wrap=True, label="明细（每个目标值的原文）",
                              show_label=True, elem_id="compare-detail", max_height=480,
                              column_widths=[f"{w}%" for w in DETAIL_WIDTHS])
        checks = gr.Dataframe(headers=CHECK_HEADERS, interactive=False, wrap=True,
                              label="对照上级规划（本级目标是否不低于上级；低于的排在前面）", show_label=True,
                              elem_id="compare-check", max_height=420,
                              column_widths=[f"{w}%" for w in CHECK_WIDTHS])
    outputs = [indicator, grid, detail, summary, checks, download_csv, download_xlsx]
    filters = [indicator, sector, department]
    for box in filters:
        box.input(app.compare_view, inputs=filters, outputs=outputs, api_visibility="private")
    tab.select(app.compare_filters, inputs=[sector, department], outputs=[sector, department],
               api_visibility="private").then(
        app.compare_view, inputs=filters, outputs=outputs, api_visibility="private")
    return SimpleNamespace(tab=tab, indicator=indicator, sector=sector, department=department, grid=grid,
                           detail=detail, summary=summary, checks=checks, download_csv=download_csv,
                           download_xlsx=download_xlsx)
