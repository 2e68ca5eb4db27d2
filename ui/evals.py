"""The 评测 tab: run the built-in or an uploaded eval set; metrics, chart, failures."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from assistant.errors import EvalSetError
from assistant.report import METRIC_NAMES, TYPE_NAMES
from assistant.text import time_left
from ui.common import ERROR_TITLE, ROOT, esc, fail

BUILTIN_EVAL_SET = ROOT / "evals" / "tacheng_plan_qa.dev.jsonl"
BUILTIN = "内置评测集"
FAILED_WIDTHS = (6, 6, 16, 10, 8, 30, 24)  # 未通过的题目: percent of the table's width per column
UPLOADED = "上传的文件"


@dataclass
class EvalRun:
    """One page's running eval: 停止评测 sets `stopped`, the run ends after the item in hand."""

    stopped: bool = False


def _session(request) -> str:
    return getattr(request, "session_hash", None) or ""


def fmt_metric(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value <= 1:
        return f"{value:.3f}"
    return str(value)



DRAFT_HEADERS = ["保留", "编号", "类型", "问题", "期望要点", "原文依据", "章节"]
LIST_SEP = "；"  # key facts and evidence spans in one cell
DRAFT_NOTE = ("以下题目由程序根据规划自身的结构（指标、领域、章节、表格、文件信息）自动生成，标记为“自动生成”："
              "只用于发现回归，不代表回答准确率。请逐题审核：取消“保留”即删除，可直接修改问题、期望要点和原文依据"
              f"（多项用“{LIST_SEP}”分隔）。")
TYPE_CODES = {name: code for code, name in TYPE_NAMES.items()} | {"表格": "table", "文件信息": "doc_fact"}


def draft_rows(items: list[dict]) -> list[list]:
    """Draft items as the review table's rows."""
    return [[True, i["id"], TYPE_NAMES.get(i["type"], i["type"]), i["question"], LIST_SEP.join(i["key_facts"]),
             LIST_SEP.join(i["evidence"]), i.get("section", "")] for i in items]


def _split(cell) -> list[str]:
    return [part.strip() for part in str(cell or "").replace(";", LIST_SEP).split(LIST_SEP) if part.strip()]


def _kept(value) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "是", "保留")


def reviewed_items(rows, drafts: list[dict]) -> list[dict]:
    """The reviewed table back in the eval format: rows not kept are dropped, edited cells
    replace the draft's; each item stays marked generated (it measures no accuracy)."""
    by_id = {d["id"]: d for d in drafts}
    items = []
    for n, row in enumerate(rows or [], start=1):
        row = list(row) + [""] * (len(DRAFT_HEADERS) - len(row))
        keep, item_id, kind, question, facts, evidence, section = row[:len(DRAFT_HEADERS)]
        if not _kept(keep):
            continue
        question = str(question or "").strip()
        if not question:
            raise EvalSetError(f"第 {n} 行的问题为空：请填写问题，或取消“保留”删除这一行。")
        base = by_id.get(str(item_id), {})
        kind = TYPE_CODES.get(str(kind).strip(), str(kind).strip()) or base.get("type", "fact")
        items.append({**base, "id": str(item_id or f"{base.get('doc', 'draft')}-e{n:03d}"), "question": question,
                      "type": kind, "answerable": base.get("answerable", True), "key_facts": _split(facts),
                      "evidence": _split(evidence), "section": str(section or ""), "generated": True})
    return items


def save_reviewed(rows, drafts: list[dict], path: Path, limits: tuple[int, int] | None = None) -> tuple[Path, int]:
    """Write the kept items as JSONL and read them back with the eval loader, so what is
    saved is a valid eval set (EvalSetError, in Chinese, names the line otherwise)."""
    from assistant.drafts import write_draft
    from assistant.evaluate import load_eval_set

    items = reviewed_items(rows, drafts)
    if not items:
        raise EvalSetError("没有保留任何题目：请至少保留一题再保存。")
    write_draft(items, path)
    load_eval_set(path, *(limits or ()))
    return path, len(items)


class EvalHandlers:
    """评测 handlers (mixed into ui.handlers.App)."""

    def run_eval(self, which, upload, request: gr.Request = None, progress=gr.Progress()):  # noqa: B008
        """A generator: it yields after every item, with the time left at the speed measured so
        far. 停止评测 (stop_eval) asks it to stop: it ends after the item in hand and shows the
        items done as partial results (已停止（67/699）). A closed page or a client's cancel stops
        it at the next item."""
        from assistant.evaluate import iter_eval, load_eval_set

        if which == UPLOADED:
            if not upload:
                raise gr.Error("请先上传评测集文件（JSONL 或 CSV），或选择内置评测集。", title=ERROR_TITLE,
                           print_exception=False)
            path = Path(upload if isinstance(upload, str) else upload.name)
        else:
            path = BUILTIN_EVAL_SET
        name = path.name if which == UPLOADED else BUILTIN_EVAL_SET.name
        run = EvalRun()
        self._eval_runs[_session(request)] = run
        try:
            items = load_eval_set(path, self.settings.max_eval_items, self.settings.max_eval_bytes)
            self.startup.wait()
            progress(0, desc=f"共 {len(items)} 题，开始评测…")
            # the last run's results go at once: they are not this run's
            yield (f"共 {len(items)} 题，开始评测…", gr.Dataframe(value=[], headers=metric_headers()), None, [],
                   gr.DownloadButton(visible=False))
            began = time.perf_counter()
            results = []
            for result in iter_eval(self.assistant, items):
                results.append(result)
                if run.stopped:
                    break
                left = time_left(time.perf_counter() - began, len(results), len(items))
                progress(len(results) / len(items), desc=f"第 {len(results)}/{len(items)} 题{left}")
                yield (f"正在评测：第 {len(results)}/{len(items)} 题{left}…", gr.skip(), gr.skip(),
                       gr.skip(), gr.skip())
            yield self._finish(name, results, len(items))
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        finally:
            if self._eval_runs.get(_session(request)) is run:  # not a later run of the same page
                del self._eval_runs[_session(request)]

    def stop_eval(self, request: gr.Request = None):
        """Asks this page's run to stop after the item in hand (its partial results follow)."""
        run = self._eval_runs.get(_session(request))
        if run is None:
            return "没有正在运行的评测。"
        run.stopped = True
        return "正在停止评测：当前这一题答完后停止，并显示已完成题目的部分结果…"

    def _finish(self, name: str, results: list, total: int):
        """The outputs of a run, all of it or the part done before 停止评测."""
        from assistant.evaluate import metrics
        from assistant.report import chart_png, report_data, write_report

        if not results:
            return (f"评测已停止（0/{total}）：还没有完成任何一题，没有结果。", gr.skip(), gr.skip(),
                    gr.skip(), gr.skip())
        partial = len(results) < total
        title = f"{name}（部分结果：{len(results)}/{total} 题）" if partial else name
        summary = metrics(results)
        chart = self._out_path("metrics.png")
        chart.write_bytes(chart_png(summary, METRIC_NAMES, TYPE_NAMES))
        report_dir = self._out_path("report").with_suffix("")
        report = write_report(report_data(results, summary, title, self.assistant.mode), report_dir)
        outputs = self._eval_outputs(title, results, summary, chart, report)
        if partial:
            outputs = (f"**已停止（{len(results)}/{total}）**：以下是已完成的 {len(results)} 题的部分结果。\n\n{outputs[0]}",
                       *outputs[1:])
        return outputs

    def draft_eval(self, doc_id):
        """Candidate items for one plan, for review in the table."""
        from assistant.drafts import draft_items

        if not doc_id:
            raise gr.Error("请先选择一份规划。", title=ERROR_TITLE, print_exception=False)
        try:
            items = draft_items(self.assistant, doc_id)
        except KeyError:
            raise gr.Error("该规划不在当前索引中，请刷新页面后重试。", title=ERROR_TITLE, print_exception=False) from None
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        message = f"已为该规划生成 {len(items)} 道候选题。{DRAFT_NOTE}"
        return message, gr.Dataframe(value=draft_rows(items), visible=True), items, gr.File(value=None, visible=False)

    def save_draft(self, rows, drafts):
        drafts = drafts or []
        if not drafts:
            raise gr.Error("请先生成候选题。", title=ERROR_TITLE, print_exception=False)
        name = f"{drafts[0].get('doc', 'plan')}.generated.jsonl"
        try:
            path, count = save_reviewed(rows, drafts, self._out_path(name),
                                        (self.settings.max_eval_items, self.settings.max_eval_bytes))
        except (EvalSetError, OSError) as exc:
            raise fail(exc) from None
        return (f"已保存 {count} 道审核后的题目（自动生成，不代表准确率）。下载后可在上方“上传评测集”中运行。",
                gr.File(value=str(path), visible=True))

    def draft_plans(self):
        try:
            return gr.Dropdown(choices=self.plan_choices(), value=None)
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None

    def _eval_outputs(self, name, results, summary, chart, report):
        from assistant.report import TABLE_METRICS, cjk_font

        table = [[f"{TYPE_NAMES.get(kind, kind)}", *(fmt_metric(values.get(m)) for m in TABLE_METRICS)]
                 for kind, values in summary.items()]
        failed = [r for r in results if not r.passed]
        failed_rows = [[r.item.id, TYPE_NAMES.get(r.item.type, r.item.type), r.item.question,
                        "、".join(r.item.key_facts) or "（应回答“规划中未找到”）",
                        "、".join(r.facts_missing) or "—",
                        r.answer.text,
                        "\n".join(f"[{i}] {s.section}：{s.quote}" for i, s in enumerate(r.answer.sources, 1)) or "—"]
                       for r in failed]
        if not failed_rows:
            failed_rows = [["—", "—", "全部通过", "—", "—", "—", "—"]]
        overall = summary["overall"]
        text = (f"**{esc(name)}**：{overall['questions']} 题，通过 {overall['questions'] - len(failed)} 题，"
                f"未通过 {len(failed)} 题；通过率 {fmt_metric(overall['passed'])}，"
                f"要点召回 {fmt_metric(overall['key_fact_recall'])}，前5命中 {fmt_metric(overall['hit@5'])}。")
        if cjk_font() is None:
            text += "\n\n指标图未能显示中文：本机没有中文字体（可安装 fonts-noto-cjk 后重新运行评测）。"
        errors = [r for r in results if r.answer.error]
        if errors:
            text += f"\n\n其中 {len(errors)} 题未能作答（计为未通过，原因见“未通过的题目”）。"
        return (text, gr.Dataframe(value=table, headers=metric_headers()),
                str(chart), failed_rows, gr.DownloadButton(value=str(report["html"]), visible=True))



def metric_headers() -> list[str]:
    from assistant.report import TABLE_METRICS

    return ["类型", *(METRIC_NAMES.get(m, m) for m in TABLE_METRICS)]


def build_tab(app) -> SimpleNamespace:
    with gr.Tab("评测", id="evals"):
        with gr.Row():
            which = gr.Radio([BUILTIN, UPLOADED], value=BUILTIN, label="评测集",
                             info="内置：项目自带的开发评测集；运行时按本机实测速度显示剩余时间")
            upload = gr.File(label="上传评测集（JSONL 或 CSV 文件，格式同内置评测集）",
                             file_types=[".jsonl", ".csv", ".json"], type="filepath", elem_id="eval-upload")
        with gr.Row():
            run = gr.Button("运行评测", variant="primary", elem_id="run-eval")
            stop_eval = gr.Button("停止评测", elem_id="stop-eval")
        eval_summary = gr.Markdown("", elem_id="eval-summary")
        metrics_table = gr.Dataframe(interactive=False, label="各类型指标", elem_id="metrics-table",
                                     headers=metric_headers())
        chart = gr.Image(label="各类型指标图", type="filepath", interactive=False, elem_id="metrics-chart",
                         buttons=["download"])
        failed_table = gr.Dataframe(headers=["编号", "类型", "问题", "期望要点", "缺少要点", "回答", "出处"],
                                    interactive=False, wrap=True, label="未通过的题目",
                                    elem_id="failed-table", max_height=600,
                                    column_widths=[f"{w}%" for w in FAILED_WIDTHS])
        report_download = gr.DownloadButton("下载评测报告（HTML）", visible=False, elem_id="download-report")
        with gr.Accordion("为一份规划生成候选评测题（自动生成，审核后保存）", open=False,
                          elem_id="draft-panel") as draft_panel:
            with gr.Row():
                draft_plan = gr.Dropdown([], label="规划", elem_id="draft-plan", interactive=True)
                draft_button = gr.Button("生成候选题", elem_id="draft-generate")
            draft_msg = gr.Markdown("", elem_id="draft-message")
            draft_table = gr.Dataframe(headers=DRAFT_HEADERS, datatype=["bool", "str", "str", "str", "str", "str", "str"],
                                       type="array", interactive=True, wrap=True, visible=False,
                                       label="候选题（可编辑）", elem_id="draft-table", max_height=560,
                                       column_widths=["6%", "12%", "6%", "24%", "16%", "24%", "12%"])
            drafts = gr.State([])
            draft_save = gr.Button("保存为评测集（JSONL）", variant="primary", elem_id="draft-save")
            draft_file = gr.File(label="审核后的评测集", visible=False, elem_id="draft-file")
    upload.upload(lambda: UPLOADED, outputs=which, api_visibility="private", queue=False)
    run.click(app.run_eval, inputs=[which, upload],
              outputs=[eval_summary, metrics_table, chart, failed_table, report_download],
              concurrency_limit=1, concurrency_id="eval", api_name="evaluate",
              show_progress_on=[eval_summary])  # one progress bar, not one per output
    stop_eval.click(app.stop_eval, outputs=eval_summary, queue=False, api_visibility="private")  # the run ends itself
    draft_panel.expand(app.draft_plans, outputs=draft_plan, api_visibility="private")  # the plans as they are now
    draft_button.click(app.draft_eval, inputs=draft_plan, outputs=[draft_msg, draft_table, drafts, draft_file],
                       api_visibility="private", show_progress_on=[draft_msg])
    draft_save.click(app.save_draft, inputs=[draft_table, drafts], outputs=[draft_msg, draft_file],
                     api_visibility="private", show_progress_on=[draft_msg])
    return SimpleNamespace(which=which, upload=upload, run=run, stop_eval=stop_eval,
        eval_summary=eval_summary, metrics_table=metrics_table, chart=chart, failed_table=failed_table,
        report_download=report_download, draft_plan=draft_plan)
