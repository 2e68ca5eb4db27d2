"""The handlers object the Blocks call: one class made of the tabs' handler mixins."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
import time
import uuid
import weakref
from pathlib import Path

import gradio as gr

from assistant import Assistant
from assistant.errors import AccessDenied
from ui.chat import ChatHandlers
from ui.common import LOOPBACK, OUT_RUNS_KEPT, esc
from ui.compare import CompareHandlers
from ui.evals import EvalHandlers
from ui.feedback import FeedbackHandlers
from ui.plan import PlanHandlers
from ui.startup import Startup
from ui.targets import TargetsHandlers


class App(ChatHandlers, FeedbackHandlers, TargetsHandlers, CompareHandlers, EvalHandlers, PlanHandlers):
    """Handlers for the Blocks; each turns the facade's results into component values."""

    def __init__(self, assistant: Assistant, feedback_dir: Path | None = None,
                 startup: Startup | None = None, host: str | None = None,
                 users: dict[str, str] | None = None):
        self.assistant = assistant
        self.settings = assistant.settings
        self.feedback_dir = Path(feedback_dir or self.settings.feedback_dir)
        self.startup = startup or Startup(assistant)
        self.host = host or self.settings.host
        self.users = users or {}
        self.out_dir = Path(tempfile.mkdtemp(prefix="plan-qa-app-"))
        weakref.finalize(self, shutil.rmtree, self.out_dir, True)  # also at exit: no folder left in /tmp
        self._out_lock = threading.Lock()
        self._eval_runs: dict = {}  # page session -> its running eval (ui.evals.EvalRun)

    def _out_path(self, name: str) -> Path:
        """A fresh folder per eval run or export; only the latest OUT_RUNS_KEPT are kept."""
        with self._out_lock:
            runs = sorted((p for p in self.out_dir.glob("run-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
            for old in runs[:max(0, len(runs) - OUT_RUNS_KEPT + 1)]:
                shutil.rmtree(old, ignore_errors=True)
            folder = self.out_dir / f"run-{time.time_ns()}-{uuid.uuid4().hex[:6]}"
            folder.mkdir(parents=True)
        return folder / name

    def _content_path(self, name: str, content: bytes, key: bytes | None = None) -> Path:
        """A file named by its content (or by `key`, for a format whose bytes differ each time
        it is written, such as xlsx): the same CSV asked for again (every page load asks for
        the full list) is written once, not once per request."""
        folder = self.out_dir / "csv" / hashlib.sha256(content if key is None else key).hexdigest()[:20]
        path = folder / name
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{uuid.uuid4().hex[:6]}"
            tmp.write_bytes(content)
            tmp.replace(path)
        return path

    def require_access(self, request: gr.Request | None, action: str) -> None:
        """Rebuild and feedback export change or reveal server data: with users configured
        they need a signed-in user; without, the app must listen on loopback only."""
        if self.users:
            if request is None or getattr(request, "username", None) not in self.users:
                raise AccessDenied(f"{action}需要登录：请用管理员账号登录后重试。")
            return
        if self.host not in LOOPBACK:
            raise AccessDenied(f"{action}已停用：网页服务监听在 {self.host}，但没有配置登录用户。"
                               "请设置 ASSISTANT_AUTH_FILE 或 ASSISTANT_USERS 后重启（见 README）。")

    # -- start-up status -------------------------------------------------------------------
    def startup_html(self) -> str:
        s = self.startup
        notices = "".join(f'<div class="notice notice-notfound index-notice">{esc(n)}</div>'
                          for n in dict.fromkeys(s.notices[-3:]))
        if s.error:
            return f'<div class="notice notice-error"><b>索引不可用</b>：{esc(s.error)}</div>' + notices
        if s.ready:
            m = self.assistant.status()
            detail = f"{len(m.documents)} 份规划、{m.chunk_count} 个片段 · 构建于 {m.built_at}" if m else ""
            return f'<div class="notice notice-ok" id="startup-ready">索引就绪。{esc(detail)}</div>' + notices
        pct = int(s.fraction * 100)
        if not s.building:  # a built index and the model are being read: seconds, not a build
            return (f'<div class="notice notice-rewritten" id="startup-loading"><b>正在加载索引与模型</b>'
                    f'（期间提出的问题会在就绪后自动回答）：{esc(s.message)}</div>')
        return (f'<div class="notice notice-rewritten" id="startup-building"><b>正在构建索引</b>'
                f'（首次启动或规划有变化时需要构建，用时随规划篇幅而定；期间提出的问题会在就绪后自动回答）：'
                f'{esc(s.message)} · {pct}%<div class="startup-bar"><div style="width:{pct}%"></div></div></div>')

    def watch_startup(self):
        """Streams the start-up box (message and bar) until the index is ready. 索引就绪 itself
        comes with the page's plans (ui.layout's load chain), so the page says ready only once
        everything on it is filled, and a source opened then is never overwritten by the fill."""
        while not self.startup.wait(0.4):
            yield self.startup_html()
        yield self.startup_html() if self.startup.error else gr.skip()
