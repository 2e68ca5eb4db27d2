"""The 原文 tab: the plans, index status, add/remove/rebuild, and the plan text viewer."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from ui.chat import EXAMPLE_SLOTS
from ui.common import INFO_TITLE, esc, fail, md_escape, mode_name, plan_notice, user_message

PLAN_TYPES = [".pdf", ".docx", ".txt", ".md"]
PLAN_VIEW_OUTPUTS = 10 + EXAMPLE_SLOTS

OUTLINE_JS = """
element.addEventListener('click', (event) => {
  const link = event.target.closest('[data-target]');
  if (!link) return;
  event.preventDefault();
  const target = document.getElementById(link.dataset.target);
  if (target) target.scrollIntoView({block: 'start'});
});
"""

# The marked passage is scrolled to again after a while: on a busy page the viewer may still be
# laying out (or another update may land) when the first scroll runs.
VIEWER_JS = """
const toMark = () => [150, 600, 1500].forEach((ms) => setTimeout(() => {
  const mark = element.querySelector('mark');
  if (mark) mark.scrollIntoView({block: 'center'});
}, ms));
toMark();
watch('value', toMark);
"""

SCROLL_TO_MARK_JS = """() => { [400, 1200, 2500].forEach((ms) => setTimeout(() => {
  const mark = document.querySelector('#plan-viewer mark');
  if (mark) mark.scrollIntoView({block: 'center'});
}, ms)); }"""



def outline_html(parsed) -> str:
    items = []
    for i, h in enumerate(parsed.headings()):
        level = min(len(h.section_path), 4)
        label = h.section_path[-1] if h.section_path else parsed.document.text[h.start:h.end]
        items.append(f'<li class="lvl-{level}"><a href="#" data-target="plan-sec-{i}">{esc(label)}</a></li>')
    return f'<div class="plan-outline"><b>章节目录</b><ul>{"".join(items)}</ul></div>'


def plan_html(parsed, highlight: tuple[int, int] | None = None) -> str:
    """The full plan text, escaped, line breaks kept; headings are anchors; one passage marked."""
    text = parsed.document.text
    cuts: list[tuple[int, int, str]] = []  # (position, order: closes before opens, tag)
    hl = highlight if highlight and 0 <= highlight[0] < highlight[1] <= len(text) else None
    for i, h in enumerate(parsed.headings()):
        if hl and h.start < hl[1] and hl[0] < h.end:  # overlapping spans cannot both be elements
            cuts.append((h.start, 1, f'<span id="plan-sec-{i}" class="plan-anchor"></span>'))
        else:
            cuts.append((h.start, 1, f'<span id="plan-sec-{i}" class="plan-heading">'))
            cuts.append((h.end, 0, "</span>"))
    if hl:
        cuts.append((hl[0], 2, '<mark id="plan-highlight">'))
        cuts.append((hl[1], 0, "</mark>"))
    cuts.sort(key=lambda c: (c[0], c[1]))
    out, pos = [], 0
    for at, _, tag in cuts:
        out.append(esc(text[pos:at]))
        out.append(tag)
        pos = at
    out.append(esc(text[pos:]))
    return f'<div class="plan-text">{"".join(out)}</div>'



class PlanHandlers:
    """原文 handlers (mixed into ui.handlers.App)."""

    # -- opening a source in the plan viewer -------------------------------------------------
    def open_source(self, sources, evt: gr.EventData):
        try:
            i = int((evt._data or {}).get("source"))
            s = sources[i]
        except (TypeError, ValueError, IndexError, AttributeError):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), "未能定位该出处，请重新提问后再试。"
        return self._show(s["doc"], (s["start"], s["end"]), f"[{i + 1}] {s['section']}")

    def _show(self, doc_id: str, highlight=None, label: str = ""):
        try:
            parsed = self.assistant.parsed.get(doc_id)
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        if parsed is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), "该文档不在当前索引中。"
        info = f"已定位出处 {md_escape(label)}（黄色标记）" if highlight else ""
        return (gr.Tabs(selected="plan"), gr.Dropdown(value=doc_id), outline_html(parsed),
                plan_html(parsed, highlight), info)

    def show_document(self, doc_id):
        if not doc_id:
            return gr.skip(), gr.skip(), ""
        _, _, outline, viewer, info = self._show(doc_id)
        return outline, viewer, info

    # -- the plan tab ----------------------------------------------------------------------
    def documents_rows(self):
        try:
            documents = self.assistant.documents
            manifest = self.assistant.status()
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        counts = manifest.documents if manifest else {}
        return [[d.doc_id, d.meta.title, d.meta.issuer, d.meta.number, d.meta.date, counts.get(d.doc_id, 0)]
                for d in documents.values()]

    def status_markdown(self) -> str:
        """The index status in words; the model id is folded under 技术细节."""
        m = self.assistant.status()
        if m is None:
            return '<div class="index-status">索引尚未构建。</div>'
        return (f'<div class="index-status"><b>索引状态</b>：构建于 {esc(m.built_at)} · 用时 {esc(m.build_seconds)} 秒 · '
                f"{len(m.documents)} 份规划、{m.chunk_count} 个片段 · 回答方式：{esc(mode_name(self.settings))}"
                f'<details class="tech-details"><summary>技术细节</summary><ul><li>检索模型：{esc(m.model_id)}</li>'
                f"<li>索引版本：{esc(m.build_id)}</li></ul></details>{self._set_aside_note()}</div>")

    def _set_aside_note(self) -> str:
        names = self.assistant.set_aside()
        if not names:
            return ""
        return (f'<div class="set-aside">注意：有 {len(names)} 个文件无法读取，已移到语料目录的 .rejected/ 文件夹：'
                f"{esc('、'.join(names))}。修正后可重新添加。</div>")

    # -- plans: add, remove, choose, examples ---------------------------------------------
    def plan_choices(self) -> list[tuple[str, str]]:
        return [(d.meta.title or d.doc_id, d.doc_id) for d in self.assistant.documents.values()]


    def plans_view(self, message: str = "", select: str | None = None):
        """Everything that lists the plans, refreshed after an add or a remove."""
        try:
            choices = self.plan_choices()
        except Exception as exc:  # noqa: BLE001 - the index is not available: say why
            return (plan_notice(user_message(exc), "error"), *[gr.skip()] * (PLAN_VIEW_OUTPUTS - 1))
        ids = [c[1] for c in choices]
        first = select if select in ids else (ids[0] if ids else None)
        outline, viewer, _ = self.show_document(first) if first else ("", "", "")
        return (message, self.documents_rows(), self.status_markdown(), gr.Dropdown(choices=choices, value=first),
                outline, viewer, "", gr.Dropdown(choices=choices, value=ids), gr.Row(visible=False),
                self.startup_html(), *self.example_updates())

    def page_plans_view(self, shown: str | None):
        """The page-load fill. A source opened before it arrives (a quick first question) already
        put its plan and mark in the viewer; the fill keeps them rather than showing the first plan."""
        view = self.plans_view(select=shown)
        if shown and shown in self.assistant.documents:
            view = (*view[:4], gr.skip(), gr.skip(), gr.skip(), *view[7:])
        return view

    def add_plans(self, files, request: gr.Request = None, progress=gr.Progress()):  # noqa: B008
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]
        if not paths:
            return (plan_notice("请先选择要添加的规划文件（pdf、docx、txt 或 md）。", "error"),
                    *[gr.skip()] * (PLAN_VIEW_OUTPUTS - 1))
        try:
            self.require_access(request, "添加规划")
            progress(0.0, desc="读取并校验文件…")
            added = self.assistant.add_plans(paths, lambda f, m: progress(max(0.0, min(1.0, f)), desc=m),
                                             notify=lambda m: progress(0.0, desc=m))
        except Exception as exc:  # noqa: BLE001 - the file's problem, in Chinese; nothing changed
            return (plan_notice(f"未添加：{user_message(exc)}（语料库和索引均未改动）", "error"),
                    *[gr.skip()] * (PLAN_VIEW_OUTPUTS - 1))
        titles = "、".join(f"《{d.meta.title or d.doc_id}》" for d in added)
        return self.plans_view(plan_notice(f"已添加 {len(added)} 份规划：{titles}，索引已更新。", "ok"),
                               select=added[0].doc_id if added else None)

    def ask_remove(self, doc_id):
        doc = self.assistant.documents.get(doc_id or "")
        if doc is None:
            return plan_notice("请先在“文档”中选择要删除的规划。", "error"), gr.Row(visible=False)
        return (plan_notice(f"确认要删除《{doc.meta.title or doc_id}》吗？它的原文、片段和指标会从语料库和索引中移除，"
                            "之后不会再被引用。", "notfound"), gr.Row(visible=True))

    def remove_plan(self, doc_id, request: gr.Request = None, progress=gr.Progress()):  # noqa: B008
        try:
            self.require_access(request, "删除规划")
            doc = self.assistant.documents.get(doc_id or "")
            title = doc.meta.title if doc else doc_id
            progress(0.0, desc="删除规划并更新索引…")
            self.assistant.remove_plan(doc_id, lambda f, m: progress(max(0.0, min(1.0, f)), desc=m),
                                       notify=lambda m: progress(0.0, desc=m))
        except Exception as exc:  # noqa: BLE001
            return (plan_notice(f"未删除：{user_message(exc)}", "error"), *[gr.skip()] * (PLAN_VIEW_OUTPUTS - 1))
        return self.plans_view(plan_notice(f"已删除《{title}》，索引已更新。", "ok"))

    def ask_rebuild(self):
        return (plan_notice("确认要重建索引吗？所有规划会重新解析和编入索引，需要一段时间；期间仍可提问，"
                            "回答使用当前索引，完成后自动切换。", "notfound"), gr.Row(visible=True))

    def rebuild(self, request: gr.Request = None, progress=gr.Progress()):  # noqa: B008 - how gradio injects it
        try:
            self.require_access(request, "重建索引")
            progress(0.0, desc="开始重建索引…")
            self.assistant.rebuild(lambda f, m: progress(max(0.0, min(1.0, f)), desc=m),
                                   notify=lambda m: progress(0.0, desc=m))
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        gr.Info("索引已重建并切换到新版本。", title=INFO_TITLE)
        return self.documents_rows(), self.status_markdown()



DOCS_WIDTHS = (16, 36, 18, 14, 8, 8)  # 索引中的文档: percent of the table's width per column


def build_tab(app) -> SimpleNamespace:
    with gr.Tab("原文", id="plan"):
        status_md = gr.HTML("", elem_id="index-status")
        docs_table = gr.Dataframe(headers=["文档", "标题", "发文单位", "文号", "日期", "片段数"],
                                  interactive=False, label="索引中的文档", elem_id="docs-table", wrap=True,
                                  column_widths=[f"{w}%" for w in DOCS_WIDTHS])
        plan_msg = gr.HTML("", elem_id="plan-notice")
        with gr.Row():
            plan_upload = gr.File(label="添加规划（PDF、DOCX、TXT、MD 文件；可多选）", file_types=PLAN_TYPES,
                                  file_count="multiple", type="filepath", elem_id="plan-upload")
            with gr.Column(min_width=200):
                remove = gr.Button("删除所选规划", variant="secondary", elem_id="remove-plan")
                with gr.Row(visible=False) as confirm_row:
                    confirm_remove = gr.Button("确认删除", variant="stop", elem_id="confirm-remove")
                    cancel_remove = gr.Button("取消", elem_id="cancel-remove")
                rebuild = gr.Button("重建索引", elem_id="rebuild")
                with gr.Row(visible=False) as rebuild_row:
                    confirm_rebuild = gr.Button("确认重建", variant="stop", elem_id="confirm-rebuild")
                    cancel_rebuild = gr.Button("取消", elem_id="cancel-rebuild")
        with gr.Row():
            with gr.Column(scale=1, min_width=220):
                doc_choice = gr.Dropdown([], label="文档", elem_id="doc-choice", interactive=True)
                outline = gr.HTML("", elem_id="plan-outline", js_on_load=OUTLINE_JS)
            with gr.Column(scale=3):
                with gr.Row(equal_height=True):
                    viewer_info = gr.Markdown("", elem_id="viewer-info")
                    back = gr.Button("← 返回问答", size="sm", scale=0, min_width=110, elem_id="back-to-chat")
                viewer = gr.HTML("", elem_id="plan-viewer", js_on_load=VIEWER_JS)
    doc_choice.input(app.show_document, inputs=doc_choice, outputs=[outline, viewer, viewer_info],
                     api_visibility="private")
    remove.click(app.ask_remove, inputs=doc_choice, outputs=[plan_msg, confirm_row], api_visibility="private",
                 queue=False)
    cancel_remove.click(lambda: ("", gr.Row(visible=False)), outputs=[plan_msg, confirm_row],
                        api_visibility="private", queue=False)
    rebuild.click(app.ask_rebuild, outputs=[plan_msg, rebuild_row], api_visibility="private", queue=False)
    cancel_rebuild.click(lambda: ("", gr.Row(visible=False)), outputs=[plan_msg, rebuild_row],
                         api_visibility="private", queue=False)
    return SimpleNamespace(status_md=status_md, docs_table=docs_table, plan_msg=plan_msg,
        plan_upload=plan_upload, remove=remove, confirm_remove=confirm_remove, cancel_remove=cancel_remove,
        rebuild=rebuild, doc_choice=doc_choice, outline=outline, viewer_info=viewer_info, viewer=viewer,
        confirm_row=confirm_row, rebuild_row=rebuild_row, confirm_rebuild=confirm_rebuild, back=back)


def wire_plan_changes(app, p: SimpleNamespace, plans_outputs: list, banner) -> None:
    """Add, remove and rebuild change what other tabs show (plan filter, examples, the banner's
    build time): their outputs span the page, so ui.layout passes them in."""
    p.confirm_rebuild.click(lambda: ("", gr.Row(visible=False)), outputs=[p.plan_msg, p.rebuild_row],
                            api_visibility="private", queue=False).then(
        app.rebuild, outputs=[p.docs_table, p.status_md], concurrency_limit=1, concurrency_id="rebuild",
        api_visibility="private", show_progress_on=[p.status_md]).then(
        app.startup_html, outputs=banner, api_visibility="private", queue=False)
    p.plan_upload.upload(app.add_plans, inputs=p.plan_upload, outputs=plans_outputs, concurrency_limit=1,
                         concurrency_id="rebuild", api_visibility="private", show_progress_on=[p.plan_msg]).then(
        lambda: None, outputs=p.plan_upload, api_visibility="private", queue=False,
        show_progress="hidden")  # clearing the box draws no timer over it
    p.confirm_remove.click(app.remove_plan, inputs=p.doc_choice, outputs=plans_outputs, concurrency_limit=1,
                           concurrency_id="rebuild", api_visibility="private", show_progress_on=[p.plan_msg])
