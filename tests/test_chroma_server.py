"""The same code path against a Chroma server (chromadb.HttpClient) on loopback."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import Assistant, Settings

from .conftest import copy_corpus


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    chroma = Path(sys.executable).with_name("chroma")
    if not chroma.exists() and not shutil.which("chroma"):
        pytest.skip("the chroma CLI is not installed")
    port = _free_port()
    proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the Chroma server did not start within 30 s")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_index_and_answer_through_a_chroma_server(chroma_server, tmp_path):
    settings = Settings.load(env={}, corpus_dir=copy_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index",
                             embedding_backend="hash", chroma_host="127.0.0.1", chroma_port=chroma_server)
    assistant = Assistant(settings)
    first = assistant.ensure()
    assert not (tmp_path / "index" / "builds" / first.build_id / "chroma").exists()  # vectors live on the server
    answer = assistant.ask("数据中心PUE有什么要求")
    assert answer.found and "1.6" in answer.text
    second = assistant.rebuild()
    third = assistant.rebuild()  # the previous build stays for readers; older ones are dropped

    import chromadb

    names = {c.name for c in chromadb.HttpClient(host="127.0.0.1", port=chroma_server).list_collections()}
    assert {f"chunks-{second.build_id}", f"chunks-{third.build_id}"} <= names
    assert f"chunks-{first.build_id}" not in names
