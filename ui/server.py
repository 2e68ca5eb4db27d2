"""Serving the app: theme, launch options, the optional login."""

from __future__ import annotations

import os
from pathlib import Path

import gradio as gr

from assistant import Assistant
from ui.i18n import I18N, ForceChinese
from ui.layout import build_app
from ui.login import ClientAddress, load_users, password_check
from ui.startup import Startup
from ui.styles import CSS

THEME = gr.themes.Default(font=["system-ui", "-apple-system", "Segoe UI", "Noto Sans CJK SC", "Microsoft YaHei",
                                "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])

ANALYTICS_NEVER = 2**62  # events between two of gradio's analytics summaries

LAUNCH_OPTIONS = dict(theme=THEME, css=CSS, share=False, show_error=False, footer_links=[],
                      mcp_server=False, pwa=False, ssr_mode=False, enable_monitoring=False, i18n=I18N)


def app_kwargs() -> dict:
    """The FastAPI app: gradio's pages served with the Chinese-locale script first in <head>;
    the client's address known to the login throttle."""
    from starlette.middleware import Middleware

    return {"middleware": [Middleware(ForceChinese), Middleware(ClientAddress)]}


def launch(assistant: Assistant, host: str, port: int, feedback_dir: Path | None = None,
           block: bool = True, users: dict[str, str] | None = None) -> gr.Blocks:
    """Start the background index build and serve the app (used by main() and the tests).
    With users (from load_users by default) every page and API call needs a login."""
    settings = assistant.settings
    users = load_users(settings) if users is None else users
    startup = Startup(assistant).start()
    demo = build_app(assistant, feedback_dir=feedback_dir, startup=startup, host=host, users=users)
    # Gradio summarises its last 10,000 events in a pandas table after every event, for a
    # monitoring page this app turns off: at 50 users that was a third of the server's time,
    # growing with the events kept. Summarised never (the variable is read by queue()).
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(ANALYTICS_NEVER))
    demo.queue(default_concurrency_limit=settings.app_workers)
    demo.launch(server_name=host, server_port=port, prevent_thread_lock=not block, quiet=not block,
                auth=password_check(users) if users else None, auth_message="请登录规划问答助手。",
                state_session_capacity=settings.app_max_sessions,
                max_file_size=max(settings.max_document_bytes, settings.max_eval_bytes),  # eval sets: checked on load
                app_kwargs=app_kwargs(), **LAUNCH_OPTIONS)
    return demo
