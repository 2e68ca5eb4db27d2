"""Shared by every view: paths, limits, escaping, and turning exceptions into messages."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

import gradio as gr

from assistant.errors import AssistantError

log = logging.getLogger("assistant.app")

ROOT = Path(__file__).resolve().parent.parent
ALL = "（全部）"
OUT_RUNS_KEPT = 20  # eval reports, charts and exports kept in the app's temp folder
LOOPBACK = ("127.0.0.1", "localhost", "::1")
STALE_CACHE = (3600, 86400)  # gradio's cached files: checked hourly, deleted after a day
ERROR_TITLE = "未能完成"  # the toast header (gradio writes "Error")
INFO_TITLE = "提示"  # (gradio writes "Info")
ANSWER_MODES = {"extractive": "摘录原文（不调用大模型）", "llm": "大模型改写（已逐句核对原文）"}
GENERIC_ERROR = "处理时出现内部错误，已记录到服务器日志。请稍后重试；如反复出现，请联系管理员。"


# ---- turning exceptions into messages (the only place) -----------------------------------
def user_message(exc: BaseException) -> str:
    if isinstance(exc, AssistantError):
        return str(exc)
    log.error("unexpected error in the app", exc_info=exc)
    return GENERIC_ERROR


def mode_name(settings) -> str:
    """How this app answers, in words for staff (the CLI and reports keep assistant.mode)."""
    if settings.llm_enabled:
        return f"大模型改写（{settings.llm_model}；逐句核对原文，未通过时改用原文摘录）"
    return ANSWER_MODES["extractive"]


def fail(exc: BaseException) -> gr.Error:
    """For handlers outside the chat: a gr.Error carrying the user message only."""
    return gr.Error(user_message(exc), title=ERROR_TITLE, print_exception=False)



# ---- rendering -------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_<|~$]|\](?=\())")
_MD_LINE_START = re.compile(r"^([ \t]*)(\d+\.(?=\s)|[-+>#])", re.MULTILINE)


def md_escape(text: str) -> str:
    """Plan text shown verbatim in the Markdown chat: no emphasis, links, lists, headings or
    HTML come from it. Markers like [1] stay as they are (no link without a following "(")."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: m[1] + "\\" + m[2] if not m[2][0].isdigit()
                              else m[1] + m[2][:-1] + "\\.", text)


_TEMPLATE_CHARS = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;"})


def esc(text) -> str:
    """html.escape, and braces/dollars as entities so gr.HTML's template syntax never fires."""
    return html.escape(str(text), quote=True).translate(_TEMPLATE_CHARS)



def plan_notice(message: str, kind: str = "info") -> str:
    return f'<div class="notice notice-{kind} plan-notice">{esc(message)}</div>'
