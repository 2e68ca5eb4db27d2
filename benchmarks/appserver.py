"""The app in a process of its own on a free loopback port, for the load benchmarks
(benchmarks/load.py, benchmarks/soak.py) and the tests that run their short versions."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 240


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def answer_text(chat: list[dict]) -> str:
    """The last message of a chat as `/ask` returns it (a string, or gradio's list of parts)."""
    content = chat[-1]["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def hash_project(folder: Path, corpus: Path = ROOT / "corpus", **settings) -> Path:
    """A project in `folder`: a copy of `corpus`, an index folder and a config using the hash
    embedder (same index code, cheap vectors); the config's path."""
    import json

    shutil.copytree(corpus, folder / "corpus")
    lines = [f'corpus_dir = "{folder / "corpus"}"', f'index_dir = "{folder / "index"}"',
             'embedding_backend = "hash"', f'feedback_dir = "{folder / "feedback"}"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    config = folder / "assistant.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


@contextmanager
def app_process(config: Path, root: Path = ROOT):
    """(the server process, its URL) of `python app.py` from `root` (this checkout, or another
    for a before/after comparison), once it answers; stopped on exit."""
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen([sys.executable, str(root / "app.py"), "--config", str(config), "--port", str(port)],
                              cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + STARTUP_SECONDS
        while True:
            try:
                client = Client(url, verbose=False, httpx_kwargs={"timeout": STARTUP_SECONDS})
                break
            except Exception:  # noqa: BLE001 - not listening yet
                if time.time() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        client.predict("你好", [], api_name="/ask")  # waits for the index and the warm-up
        client.close()
        yield server, url
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
