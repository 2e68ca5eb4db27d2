"""Serving the app: theme, launch options, the optional login."""

from __future__ import annotations

import hmac
import os
from pathlib import Path

import gradio as gr

from assistant import Assistant, Settings
from assistant.errors import ConfigError
from ui.i18n import I18N, ForceChinese
from ui.layout import build_app
from ui.startup import Startup
from ui.styles import CSS

THEME = gr.themes.Default(font=["system-ui", "-apple-system", "Segoe UI", "Noto Sans CJK SC", "Microsoft YaHei",
                                "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])

LAUNCH_OPTIONS = dict(theme=THEME, css=CSS, share=False, show_error=False, footer_links=["settings"],
                      mcp_server=False, pwa=False, ssr_mode=False, enable_monitoring=False, i18n=I18N)


def app_kwargs() -> dict:
    """The FastAPI app: gradio's pages served with the Chinese-locale script first in <head>."""
    from starlette.middleware import Middleware

    return {"middleware": [Middleware(ForceChinese)]}


def load_users(settings: Settings, env=None) -> dict[str, str]:
    """Users for the optional login: "name:password" lines in settings.auth_file (# starts a
    comment) and "name:password,name2:password2" in the variable settings.users_env
    (ASSISTANT_USERS). ConfigError names the file and the line of a malformed entry."""
    env = os.environ if env is None else env
    entries: list[tuple[str, str]] = []
    if settings.auth_file:
        path = Path(settings.auth_file)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConfigError(f"找不到登录用户文件 {path}（ASSISTANT_AUTH_FILE），请检查路径。") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"无法读取登录用户文件 {path}：请确认它是 UTF-8 文本且有读取权限。") from exc
        entries += [(f"{path.name} 第 {n} 行", line.strip()) for n, line in enumerate(text.split("\n"), start=1)
                    if line.strip() and not line.strip().startswith("#")]
    raw = env.get(settings.users_env, "")
    entries += [(f"环境变量 {settings.users_env} 第 {n} 项", item.strip())
                for n, item in enumerate(raw.split(","), start=1) if item.strip()]
    users: dict[str, str] = {}
    for where, entry in entries:
        name, sep, password = entry.partition(":")
        if not sep or not name.strip() or not password:
            raise ConfigError(f"登录用户设置有误（{where}）：应写成“用户名:密码”。")
        users[name.strip()] = password
    return users


def password_check(users: dict[str, str]):
    """Gradio's auth callable: constant-time comparison of the password."""
    def check(name: str, password: str) -> bool:
        expected = users.get(name)
        return expected is not None and hmac.compare_digest(expected.encode(), str(password).encode())
    return check


def launch(assistant: Assistant, host: str, port: int, feedback_dir: Path | None = None,
           block: bool = True, concurrency: int = 4, users: dict[str, str] | None = None) -> gr.Blocks:
    """Start the background index build and serve the app (used by main() and the tests).
    With users (from load_users by default) every page and API call needs a login."""
    settings = assistant.settings
    users = load_users(settings) if users is None else users
    startup = Startup(assistant).start()
    demo = build_app(assistant, feedback_dir=feedback_dir, startup=startup, host=host, users=users)
    demo.queue(default_concurrency_limit=concurrency)
    demo.launch(server_name=host, server_port=port, prevent_thread_lock=not block, quiet=not block,
                auth=password_check(users) if users else None, auth_message="请登录规划问答助手。",
                state_session_capacity=settings.app_max_sessions, max_file_size=settings.max_eval_bytes,
                app_kwargs=app_kwargs(), **LAUNCH_OPTIONS)
    return demo
