"""The Gradio app's views: one module per tab (问答, 指标, 评测, 原文) plus shared helpers.

`app.py` is the entry point; `ui.launch` / `ui.build_app` are what it and the tests use.
Every answer comes from `assistant.Assistant`; this package only renders and wires."""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # read by gradio at call time: no version check
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ui.chat import (  # noqa: E402
                     chat_text,
                     cjk_tidy,
                     empty_sources_html,
                     excerpt_html,
                     input_notice_html,
                     sources_html,
                     standalone,
                     tech_details_html,
                     with_votes,
)
from ui.common import ALL, GENERIC_ERROR, OUT_RUNS_KEPT, esc, fail, md_escape, plan_notice, user_message  # noqa: E402
from ui.evals import BUILTIN, BUILTIN_EVAL_SET, METRIC_NAMES, TYPE_NAMES, UPLOADED, fmt_metric  # noqa: E402
from ui.handlers import App  # noqa: E402
from ui.layout import build_app  # noqa: E402
from ui.login import load_users, password_check  # noqa: E402
from ui.plan import outline_html, plan_html  # noqa: E402
from ui.server import LAUNCH_OPTIONS, THEME, launch  # noqa: E402
from ui.startup import Startup  # noqa: E402
from ui.styles import CSS  # noqa: E402
from ui.targets import TARGET_HEADERS  # noqa: E402

__all__ = ["ALL", "BUILTIN", "BUILTIN_EVAL_SET", "CSS", "GENERIC_ERROR", "OUT_RUNS_KEPT", "LAUNCH_OPTIONS", "METRIC_NAMES", "THEME",
           "TARGET_HEADERS", "TYPE_NAMES", "UPLOADED", "App", "Startup", "build_app", "chat_text", "cjk_tidy",
           "empty_sources_html", "esc", "excerpt_html", "fail", "fmt_metric", "input_notice_html", "launch",
           "load_users", "md_escape", "outline_html", "password_check", "plan_html", "plan_notice",
           "sources_html", "standalone", "tech_details_html", "user_message", "with_votes"]
