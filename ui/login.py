"""The optional login: users from a file and the environment, passwords compared in constant
time, and failed attempts throttled per user name and per client address.

Gradio's auth callable sees only (name, password); `ClientAddress`, an ASGI middleware, puts
the address of the request into a context variable the check reads. After `FREE_ATTEMPTS`
failures, a name or an address is locked for a delay that doubles with each further failure
(up to `MAX_LOCK_SECONDS`); an attempt while locked is refused without looking at the
password, so parallel guesses gain nothing. A success clears the name's and address's count."""

from __future__ import annotations

import contextvars
import hmac
import logging
import os
import stat
import threading
import time
from pathlib import Path

from assistant import Settings
from assistant.errors import ConfigError

log = logging.getLogger(__name__)

FREE_ATTEMPTS = 3
FIRST_LOCK_SECONDS = 1.0
MAX_LOCK_SECONDS = 300.0
CLIENT = contextvars.ContextVar("client_address", default="")


def load_users(settings: Settings, env=None) -> dict[str, str]:
    """Users for the optional login: "name:password" lines in settings.auth_file (# starts a
    comment, on its own line or after whitespace) and "name:password,name2:password2" in the
    variable settings.users_env (ASSISTANT_USERS). Names are trimmed. ConfigError names the
    file and the line of a malformed entry; a file others can read is warned about."""
    env = os.environ if env is None else env
    entries: list[tuple[str, str]] = []
    if settings.auth_file:
        path = Path(settings.auth_file)
        try:
            text = path.read_text(encoding="utf-8")
            mode = path.stat().st_mode
        except FileNotFoundError as exc:
            raise ConfigError(f"找不到登录用户文件 {path}（ASSISTANT_AUTH_FILE），请检查路径。") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"无法读取登录用户文件 {path}：请确认它是 UTF-8 文本且有读取权限。") from exc
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            log.warning("登录用户文件 %s 可被其他用户读取，请执行 chmod 600 %s", path, path)
        entries += [(f"{path.name} 第 {n} 行", _without_comment(line)) for n, line in enumerate(text.split("\n"), 1)]
    raw = env.get(settings.users_env, "")
    entries += [(f"环境变量 {settings.users_env} 第 {n} 项", item.strip())
                for n, item in enumerate(raw.split(","), start=1)]
    users: dict[str, str] = {}
    for where, entry in entries:
        if not entry:
            continue
        name, sep, password = entry.partition(":")
        if not sep or not name.strip() or not password:
            raise ConfigError(f"登录用户设置有误（{where}）：应写成“用户名:密码”。")
        users[name.strip()] = password
    return users


def _without_comment(line: str) -> str:
    """A line less its comment: '#' at its start or after whitespace (a password may hold '#')."""
    stripped = line.strip()
    if stripped.startswith("#"):
        return ""
    for i, ch in enumerate(stripped):
        if ch == "#" and stripped[i - 1].isspace():
            return stripped[:i].rstrip()
    return stripped


class Throttle:
    """Failed logins counted per key (a name, an address); a key past FREE_ATTEMPTS is locked
    for a delay that doubles with each failure."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.failures: dict[str, int] = {}
        self.locked_until: dict[str, float] = {}
        self.lock = threading.Lock()

    def locked(self, keys: list[str]) -> bool:
        now = self.clock()
        with self.lock:
            return any(self.locked_until.get(k, 0.0) > now for k in keys)

    def record(self, keys: list[str], ok: bool) -> None:
        with self.lock:
            for key in keys:
                if ok:
                    self.failures.pop(key, None)
                    self.locked_until.pop(key, None)
                    continue
                count = self.failures[key] = self.failures.get(key, 0) + 1
                if count > FREE_ATTEMPTS:
                    delay = min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (count - FREE_ATTEMPTS - 1))
                    self.locked_until[key] = self.clock() + delay


def password_check(users: dict[str, str], throttle: Throttle | None = None):
    """Gradio's auth callable: the name trimmed, the password compared in constant time, a
    locked name or address refused outright."""
    throttle = throttle or Throttle()

    def check(name: str, password: str) -> bool:
        name = str(name).strip()
        keys = [f"user:{name}"] + ([f"address:{address}"] if (address := CLIENT.get()) else [])
        if throttle.locked(keys):
            log.warning("login refused while locked: %s", " ".join(keys))
            return False
        expected = users.get(name)
        ok = expected is not None and hmac.compare_digest(expected.encode(), str(password).encode())
        throttle.record(keys, ok)
        return ok

    return check


class ClientAddress:
    """ASGI middleware: the client's address, for the login check's throttle."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            client = scope.get("client") or ("", 0)
            token = CLIENT.set(str(client[0]))
            try:
                await self.app(scope, receive, send)
            finally:
                CLIENT.reset(token)
            return
        await self.app(scope, receive, send)
