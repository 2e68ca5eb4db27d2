"""The page: header, start-up box, the four tabs, and the events between them."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from assistant import Assistant
from ui import chat, evals, plan, targets
from ui.common import STALE_CACHE
from ui.handlers import App
from ui.startup import Startup


def build_app(assistant: Assistant, feedback_dir: Path | None = None,
              startup: Startup | None = None, host: str | None = None,
              users: dict[str, str] | None = None) -> gr.Blocks:
    app = App(assistant, feedback_dir, startup, host=host, users=users)
    with gr.Blocks(title="规划问答助手", analytics_enabled=False, delete_cache=STALE_CACHE) as demo:
        demo.app_handlers = app  # for tests and for main()
        gr.Markdown("## 规划问答助手\n以规划原文为依据回答问题：每个回答都附出处（原文摘录与所在章节）；规划中没有写的，助手会说明未找到。")
        startup_box = gr.HTML(app.startup_html(), elem_id="startup-status")

        with gr.Tabs(selected="chat") as tabs:
            c = chat.build_tab(app)
            t = targets.build_tab(app)
            evals.build_tab(app)
            p = plan.build_tab(app)

        # between the tabs: a source opens the plan viewer; adding or removing a plan refreshes
        # every list of plans (the filter and the examples in 问答, the banner, the 原文 tab)
        c.sources.click(app.open_source, inputs=[c.source_list],
                        outputs=[tabs, p.doc_choice, p.outline, p.viewer, p.viewer_info],
                        api_visibility="private").then(None, js=plan.SCROLL_TO_MARK_JS)
        p.back.click(lambda: gr.Tabs(selected="chat"), outputs=tabs, api_visibility="private", queue=False)
        plans_outputs = [p.plan_msg, p.docs_table, p.status_md, p.doc_choice, p.outline, p.viewer, p.viewer_info,
                         c.plan_filter, p.confirm_row, startup_box, *c.example_buttons]
        plan.wire_plan_changes(app, p, plans_outputs, startup_box)

        # page load: the start-up progress, then fill the tabs
        demo.load(app.watch_startup, outputs=startup_box, concurrency_limit=None, api_visibility="private",
                  show_progress="hidden").then(
            app.fill_filters, outputs=[t.sector, t.department, *t.outputs], api_visibility="private").then(
            app.page_plans_view, inputs=p.doc_choice, outputs=plans_outputs, api_visibility="private")
    return demo
