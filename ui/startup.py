"""Start-up: the index is built or loaded off the request path, its progress reported."""

from __future__ import annotations

import threading

from assistant import Assistant
from ui.common import user_message


class Startup:
    """Builds the index (if missing or stale) and warms the model up, off the request path,
    so the page is served at once and shows the progress instead of a blank screen."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self.fraction = 0.0
        self.message = "等待启动…"
        self.notices: list[str] = []  # what the index check said: repaired, stale, waited
        self.error: str | None = None
        self.building = False  # the index is being built (a first start, or plans changed), not just loaded
        self.done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Startup:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="index-startup", daemon=True)
            self._thread.start()
        return self

    def _update(self, fraction: float, message: str) -> None:
        self.fraction, self.message = max(0.0, min(1.0, float(fraction))), message

    def _build_step(self, fraction: float, message: str) -> None:
        """A step of the index build (only a build reports steps; loading a built index does not)."""
        self.building = True
        self._update(fraction, message)

    def _notice(self, message: str) -> None:
        self.notices.append(message)
        self.message = message

    def _run(self) -> None:
        try:
            self._update(0.0, "检查索引…")
            self.assistant.ensure(self._build_step, notify=self._notice)
            self.building = False
            self._update(1.0, "索引就绪，正在加载模型…")
            self.assistant.warm_up()
            self._update(1.0, "就绪")
        except Exception as exc:  # noqa: BLE001 - shown on the page, logged by user_message
            self.error = user_message(exc)
        finally:
            self.done.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)

    @property
    def ready(self) -> bool:
        return self.done.is_set() and self.error is None
