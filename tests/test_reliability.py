"""Issue 12, item by item: each test reproduces a fault a tester found and checks the fix
(no traceback, a Chinese message, nothing lost, nothing misaligned).

Fast: the real corpus, the deterministic hash embedder and a throwaway index (built once
per session and copied). The rebuild loop and the soak test are `slow`."""

from __future__ import annotations

import csv
import dataclasses
import fcntl
import gc
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import ui
from assistant import Assistant, Settings, cli
from assistant.answer import NumberFaithfulnessError, check_numbers
from assistant.errors import AccessDenied, ConfigError, CorpusError, EvalSetError
from assistant.evaluate import load_eval_set, metrics, run_eval
from assistant.index import build_index, open_index, read_manifest
from assistant.targets import to_csv, to_json
from assistant.types import Target

from .conftest import ROOT

GOLD = ROOT / "evals" / "tacheng_plan_qa.dev.jsonl"
PUE = "数据中心PUE有什么要求"
GUFEI = "大宗固废综合利用率到2025年要达到多少？"
ENGLISH = re.compile(r"codec|Traceback|Error|Expected|invalid|decode", re.I)


# ---- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def seed(tmp_path_factory) -> Path:
    """A corpus copy and its hash-embedder index, built once; tests copy the folder."""
    base = tmp_path_factory.mktemp("seed")
    shutil.copytree(ROOT / "corpus", base / "corpus")
    build_index(settings_in(base))
    return base


def settings_in(base: Path, **overrides) -> Settings:
    return Settings.load(env={}, corpus_dir=base / "corpus", index_dir=base / "index", embedding_backend="hash",
                         feedback_dir=base / "feedback", **overrides)


@pytest.fixture
def base(seed, tmp_path) -> Path:
    shutil.copytree(seed, tmp_path / "b", ignore=shutil.ignore_patterns(".lock"))
    return tmp_path / "b"


@pytest.fixture
def settings(base) -> Settings:
    return settings_in(base)


def config_file(base: Path, **extra) -> Path:
    lines = [f'corpus_dir = "{base / "corpus"}"', f'index_dir = "{base / "index"}"', 'embedding_backend = "hash"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    path = base / "assistant.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_cli(base: Path, *args, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "assistant", "--config", str(config_file(base)), *args]
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout, cwd=ROOT)


def json_lines(out: bytes) -> list[dict]:
    return [json.loads(line) for line in out.decode("utf-8").split("\n") if line.strip()]


def clean(message: str) -> bool:
    """A user message: Chinese, no stack trace, no English library text."""
    return bool(re.search(r"[\u4e00-\u9fff]", message)) and not ENGLISH.search(message)


def live_build(settings: Settings) -> Path:
    return settings.index_dir / "builds" / read_manifest(settings).build_id


# ---- data integrity: the CLI batch -------------------------------------------------------------
def test_batch_splits_on_newline_only_and_echoes_question_and_line(base):
    """str.splitlines() also split on \\x0c, \\x85, \\x1c-\\x1e, \\u2028, \\u2029: answers slid onto
    the wrong questions. Now one object per \\n-line, each naming its question and line."""
    questions = [GUFEI, "数据中心\x0cPUE", "交通领域有哪些目标？\u2028", "公共机构\x1c有哪些指标", "绿色出行\u2029分担率",
                 "", "再生资源\x85回收利用率", PUE]
    stdin = "\r\n".join(questions).encode("utf-8") + b"\n"
    out = run_cli(base, "ask", "--json", stdin=stdin)
    assert out.returncode == 0, out.stderr.decode()
    objs = json_lines(out.stdout)
    assert [o["line"] for o in objs] == list(range(1, len(questions) + 1))
    assert [o["question"] for o in objs] == questions
    assert "40%" in objs[0]["answer"] and "1.6" in objs[-1]["answer"]
    assert "控制字符" in objs[1]["error"] and "问题为空" in objs[5]["error"]
    assert objs[2]["found"] and objs[4]["question"].endswith("分担率")
    assert b"Traceback" not in out.stderr


def test_invalid_utf8_line_is_its_own_error_and_the_batch_goes_on(base):
    stdin = GUFEI.encode() + b"\n\xff\xfe\xc0 bad \xe4\xb8\n" + PUE.encode() + b"\n"
    out = run_cli(base, "ask", "--json", stdin=stdin)
    assert out.returncode == 0 and b"Traceback" not in out.stderr
    first, bad, last = json_lines(out.stdout)
    assert first["found"] and last["found"] and last["line"] == 3 and last["question"] == PUE
    assert bad["line"] == 2 and not bad["found"] and "UTF-8" in bad["error"] and clean(bad["error"].replace("UTF-8", ""))
    assert "\ufffd" in bad["question"]


def test_invalid_utf8_argument_gets_a_chinese_message(base):
    argv = [sys.executable, "-m", "assistant", "--config", str(config_file(base)), "ask", "--json", b"\xff\xfe\xe4\xb8"]
    out = subprocess.run(argv, capture_output=True, timeout=120, cwd=ROOT)
    assert out.returncode == 2 and b"Traceback" not in out.stderr
    assert "UTF-8" in out.stderr.decode("utf-8") and out.stdout == b""


def test_single_question_object_carries_the_question(base, capsys):
    assert cli.main(["--config", str(config_file(base)), "ask", "--json", PUE]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["question"] == PUE and "line" not in obj and obj["found"]


def feed_stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def break_numbers_for(monkeypatch, word: str) -> None:
    """Make the composer state a number its quotes lack for questions containing `word`."""
    from assistant import answer as answer_module

    original = answer_module.Composer.compose

    def compose(self, query, hits, *args, **kwargs):
        result = original(self, query, hits, *args, **kwargs)
        if word in query.text:
            check_numbers(result.text + " 9999.5%", [s.quote for s in result.sources])
        return result

    monkeypatch.setattr(answer_module.Composer, "compose", compose)


def test_internal_check_failure_is_an_error_object_not_the_end_of_the_batch(base, monkeypatch, capsys, caplog):
    break_numbers_for(monkeypatch, "PUE")
    feed_stdin(monkeypatch, f"{GUFEI}\n{PUE}\n交通领域有哪些目标？\n".encode())
    assert cli.main(["--config", str(config_file(base)), "ask", "--json"]) == 0
    objs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["line"] for o in objs] == [1, 2, 3] and objs[0]["found"] and objs[2]["found"]
    assert objs[1]["question"] == PUE and objs[1]["found"] is False and objs[1]["sources"] == []
    assert "内部校验" in objs[1]["answer"] and "数字" in objs[1]["error"] and "9999" not in objs[1]["answer"]
    assert any("internal check failed" in r.message for r in caplog.records)


def test_internal_check_failure_never_ends_an_eval(settings, monkeypatch):
    break_numbers_for(monkeypatch, "PUE")
    gold = load_eval_set(GOLD)
    items = gold[:20] + [i for i in gold if "PUE" in i.question]
    items.append(dataclasses.replace(items[0], id="oos-pue", question="数据中心PUE的补贴标准", type="out_of_scope",
                                     answerable=False, key_facts=(), evidence=()))
    assert any("PUE" in i.question for i in items)
    results = run_eval(Assistant(settings), items)
    assert len(results) == len(items)
    broken = [r for r in results if "PUE" in r.item.question]
    assert broken and all(r.answer.error and not r.passed for r in broken)
    assert metrics(results)["overall"]["questions"] == len(items)


def test_the_composer_still_raises_number_faithfulness_errors():
    with pytest.raises(NumberFaithfulnessError):
        check_numbers("达到 60% 以上", ["达到 40% 以上"])


class BadModelServer:
    """An OpenAI-compatible endpoint that answers 200 with bytes no client can parse."""

    def __init__(self, body: bytes = b"data: {not json\n\n"):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        outer = self
        self.body = body

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(outer.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def bad_model(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = BadModelServer()
    yield server
    server.close()


@pytest.mark.parametrize("body", [b"data: {not json\n\n", b"\xff\xfe\x00", b"<html>oops</html>",
                                  b'data: {"choices":[{"index":0,"delta":{"content":5}}]}\n\ndata: [DONE]\n\n'])
def test_malformed_model_output_falls_back_with_a_note(settings, bad_model, body):
    from assistant.llm import MALFORMED_NOTE

    bad_model.body = body
    assistant = Assistant(settings.replace(llm_base_url=bad_model.base_url, llm_model="m", llm_timeout=5.0))
    answer = assistant.ask(GUFEI)
    assert answer.mode == "extractive" and "40%" in answer.text and answer.note == MALFORMED_NOTE


def test_malformed_model_output_in_a_cli_batch_and_in_the_app(base, bad_model, monkeypatch, capsys):
    config = config_file(base, llm_base_url=bad_model.base_url, llm_model="m", llm_timeout=5.0)
    feed_stdin(monkeypatch, f"{GUFEI}\n{PUE}\n".encode())
    assert cli.main(["--config", str(config), "ask", "--json"]) == 0
    objs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(objs) == 2 and all(o["mode"] == "extractive" and "无法识别" in o["note"] for o in objs)

    assistant = Assistant(Settings.load(config, env={}))
    handlers = ui.App(assistant, base / "feedback", ui.Startup(assistant).start())
    chat = list(handlers.respond(GUFEI, [], []))[-1][0]
    assert "40%" in chat[-1]["content"] and "无法识别" in chat[-1]["content"]


# ---- the index: damage, readers, bad files -----------------------------------------------------
DAMAGE = [("chunks.json", "delete"), ("chunks.json", "truncate"), ("documents.json", "delete"),
          ("bm25/vocab.index.json", "truncate"), ("bm25/data.csc.index.npy", "random"),
          ("chroma/chroma.sqlite3", "delete"), ("chroma/chroma.sqlite3", "truncate"),
          ("chroma/chroma.sqlite3", "random")]


def damage(path: Path, how: str) -> None:
    if how == "delete":
        path.unlink()
    elif how == "truncate":
        path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])
    else:
        path.write_bytes(os.urandom(max(4096, path.stat().st_size)))


@pytest.mark.parametrize("name,how", DAMAGE)
def test_a_damaged_build_is_detected_and_rebuilt(settings, name, how):
    before = read_manifest(settings).build_id
    damage(live_build(settings) / name, how)
    notices = []
    assistant = Assistant(settings, notify=notices.append)
    answer = assistant.ask(PUE)
    assert answer.found and "1.6" in answer.text
    assert read_manifest(settings).build_id != before
    assert any("索引已损坏" in n for n in notices) and any("已重建" in n for n in notices)
    assert all(clean(n) for n in notices)


def test_index_command_reports_the_repair(base):
    settings = settings_in(base)
    (live_build(settings) / "chunks.json").write_bytes(b"\x00garbage")
    out = run_cli(base, "index")
    assert out.returncode == 0, out.stderr.decode()
    assert "索引已损坏" in out.stderr.decode() and "索引就绪" in out.stdout.decode()
    assert b"Traceback" not in out.stderr


@pytest.mark.parametrize("garbage", [os.urandom(20_000), b"SQLite format 3\x00" + os.urandom(8000)])
def test_a_corrupt_embedding_cache_is_set_aside_and_rebuilt(settings, garbage):
    cache = settings.index_dir / "cache" / "embeddings.sqlite"
    cache.write_bytes(garbage)
    notices = []
    manifest = build_index(settings, notify=notices.append)
    assert manifest.chunk_count > 100
    aside = list(cache.parent.glob("embeddings.sqlite.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    assert any("向量缓存" in n and aside[0].name in n for n in notices)
    import sqlite3

    assert sqlite3.connect(cache).execute("SELECT COUNT(*) FROM vectors").fetchone()[0] > 100


def test_readers_keep_their_build_through_rebuilds(settings):
    reader = Assistant(settings)
    assert reader.ask(PUE).found
    held = reader.index.path
    for _ in range(3):
        build_index(settings)
    assert held.is_dir()  # two builds newer than it, but a reader still holds it
    assert reader.ask(PUE).found and "1.6" in reader.ask(PUE).text
    del reader
    gc.collect()
    build_index(settings)
    assert not held.exists()  # released: removed by the next build
    assert len(list((settings.index_dir / "builds").iterdir())) == 2  # live and previous


def test_a_build_waits_for_the_lock_says_so_and_then_clears_staging_leftovers(settings):
    builds = settings.index_dir / "builds"
    leftover = builds / ".staging-20200101-000000-dead00"
    (leftover / "chroma").mkdir(parents=True)
    (leftover / "chroma" / "big.bin").write_bytes(b"\0" * 100_000)
    notices: list[str] = []
    with open(settings.index_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a live build process holds the lock
        worker = threading.Thread(target=build_index, args=(settings,), kwargs={"notify": notices.append})
        worker.start()
        deadline = time.time() + 10
        while not notices and time.time() < deadline:
            time.sleep(0.05)
        assert notices and "另一个进程正在构建索引" in notices[0]
        assert leftover.exists()  # may belong to the running build: left alone
        fcntl.flock(lock, fcntl.LOCK_UN)
    worker.join(60)
    assert not leftover.exists()
    assert not [p for p in builds.iterdir() if p.name.startswith(".staging-")]


def test_an_ask_that_must_wait_for_a_build_says_so_at_once(base):
    settings = settings_in(base)
    (settings.corpus_dir / "001_new.txt").write_text("一、总则\n\n到 2025 年，新能源装机达到 50%。\n", encoding="utf-8")
    with open(settings.index_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        argv = [sys.executable, "-m", "assistant", "--config", str(config_file(base)), "ask", "--json", PUE]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        os.set_blocking(proc.stderr.fileno(), False)
        seen, deadline = b"", time.time() + 60
        while "另一个进程正在构建索引".encode() not in seen and time.time() < deadline:
            seen += proc.stderr.read() or b""
            time.sleep(0.1)
        assert "另一个进程正在构建索引".encode() in seen and proc.poll() is None  # told, and waiting
        fcntl.flock(lock, fcntl.LOCK_UN)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0 and json.loads(out)["found"]


def test_the_app_says_at_once_that_it_waits_for_a_build(base):
    settings = settings_in(base)
    (settings.corpus_dir / "001_new.txt").write_text("一、总则\n\n到 2025 年，新能源装机达到 50%。\n", encoding="utf-8")
    assistant = Assistant(settings)
    startup = ui.Startup(assistant)
    handlers = ui.App(assistant, base / "feedback", startup)
    with open(settings.index_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        startup.start()
        deadline = time.time() + 30
        while "另一个进程正在构建索引" not in startup.message and time.time() < deadline:
            time.sleep(0.05)
        assert "另一个进程正在构建索引" in handlers.startup_html()
        steps = handlers.respond(PUE, [], [])
        next(steps)
        chat = next(steps)[0]  # the question waits, and says what for
        assert "另一个进程正在构建索引" in chat[-1]["content"]
        fcntl.flock(lock, fcntl.LOCK_UN)
    chat = list(steps)[-1][0]
    assert "1.6" in chat[-1]["content"]


BAD_FILES = {
    "gbk.txt": "一、总则\n到 2025 年，能耗降低 5%。\n".encode("gbk"),
    "binary.txt": b"\x00\x01\x02" + os.urandom(3000),
    "empty.txt": b"",
}
BAD_METADATA = {
    "broken.toml": 'title = "未闭合的标题\nissuer = \n'.encode(),
    "binary.toml": b"\x89PNG\r\n\x1a\n" + os.urandom(500),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_corpus_file_that_cannot_be_read_is_set_aside_and_the_rest_is_built(base, name, monkeypatch):
    settings = settings_in(base)
    path = settings.corpus_dir / f"002_{name}"
    path.write_bytes(BAD_FILES[name])

    notices = []
    manifest = build_index(settings, notify=notices.append)  # `index` and the app's rebuild go on without it
    rejected = settings.corpus_dir / ".rejected"
    assert not path.exists() and (rejected / path.name).read_bytes() == BAD_FILES[name]
    assert path.stem not in manifest.documents and len(manifest.documents) == 1
    notice = next(n for n in notices if path.name in n)
    assert ".rejected" in notice and clean(notice.replace("UTF-8", "").replace("TOML", ""))

    from assistant import index as index_module

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the corpus as set aside was built again")

    monkeypatch.setattr(index_module, "_build", no_rebuild)  # the corpus is as built: asks just answer
    assistant = Assistant(settings)
    assert assistant.ask(PUE).found and read_manifest(settings).build_id == manifest.build_id
    assert assistant.set_aside() == [path.name]
    page = ui.App(assistant, base / "feedback").status_markdown()
    assert path.name in page and ".rejected" in page
    listed = run_cli(base, "plans")
    assert listed.returncode == 0 and path.name in listed.stdout.decode()


@pytest.mark.parametrize("name", BAD_METADATA)
def test_a_malformed_metadata_file_keeps_the_last_good_index_serving(base, name, monkeypatch):
    settings = settings_in(base)
    good = read_manifest(settings).build_id
    path = settings.corpus_dir / f"002_{name}"
    path.write_bytes(BAD_METADATA[name])
    path.with_suffix(".txt").write_text("一、总则\n\n到 2025 年，能耗降低 5%。\n", encoding="utf-8")

    with pytest.raises(CorpusError) as caught:  # `index` (and the app's rebuild) refuse, naming the file
        build_index(settings)
    assert path.name in str(caught.value) and clean(str(caught.value).replace("UTF-8", "").replace("TOML", ""))

    notices = []
    assistant = Assistant(settings, notify=notices.append)
    assert assistant.ask(PUE).found  # still answering, from the last good index
    assert read_manifest(settings).build_id == good
    assert any(path.name in n and "继续使用上次成功构建的索引" in n for n in notices)

    from assistant import index as index_module

    def no_retry(*args, **kwargs):
        raise AssertionError("a build that already failed was attempted again")

    monkeypatch.setattr(index_module, "_build", no_retry)  # the next ask does not redo the doomed build
    again = []
    assert Assistant(settings, notify=again.append).ask(GUFEI).found and path.name in again[0]

    startup = ui.Startup(Assistant(settings)).start()
    assert startup.wait(60) and startup.error is None  # the app starts and says why
    page = ui.App(startup.assistant, base / "feedback", startup).startup_html()
    assert "索引就绪" in page and path.name in page


def test_a_bad_file_in_a_cli_ask_is_set_aside_with_a_warning(base):
    (base / "corpus" / "003_bad.txt").write_bytes("规划".encode("gbk"))
    out = run_cli(base, "ask", "--json", PUE)
    assert out.returncode == 0 and json.loads(out.stdout)["found"]
    assert "003_bad.txt" in out.stderr.decode() and b"Traceback" not in out.stderr
    assert (base / "corpus" / ".rejected" / "003_bad.txt").exists()
    index = run_cli(base, "index")
    assert index.returncode == 0 and "003_bad.txt" in index.stdout.decode() and b"Traceback" not in index.stderr


@pytest.mark.parametrize("name,content,expect", [
    ("departments.toml", b'[sectors."\xe4\xba\xa4\xe9\x80\x9a"]\naliases = ["a", "b"\nheadings = []\n', "第 3 行"),
    ("departments.toml", '# 说明\n\n[sectors."交通"]\naliases = ["交通"]\ndepartments = "交通运输局"\n'.encode(),
     "第 3 行"),
    ("departments.toml", b"\xff\xfe binary \x00\x01", "第 1 行"),
    ("synonyms.txt", "能源消费 能源消耗\n".encode() + b"\x00\x01\x02\xff\xfe", "第 2 行"),
    ("userdict.txt", "能耗双控 2000 n\n双控 1500 n\n".encode("gbk"), "第 1 行"),
    ("000_8a2f0d3686d36b01.toml", b'title = "x"\nissuer = = "y"\n', "第 2 行"),
])
def test_support_files_are_validated_with_file_and_line(base, name, content, expect):
    settings = settings_in(base)
    (settings.corpus_dir / name).write_bytes(content)
    with pytest.raises(CorpusError) as caught:
        build_index(settings)
    message = str(caught.value)
    assert name in message and expect in message
    assert clean(message.replace("UTF-8", "").replace("TOML", ""))
    notices = []
    assert Assistant(settings, notify=notices.append).ask("交通领域有哪些目标？").found  # asks go on
    assert any(name in n for n in notices)


def test_document_size_limits(base):
    settings = settings_in(base, max_document_chars=5000)
    with pytest.raises(CorpusError) as caught:
        build_index(settings)
    assert "000_8a2f0d3686d36b01.txt" in str(caught.value) and "max_document_chars" in str(caught.value)
    settings = settings_in(base, max_document_bytes=10_000)
    with pytest.raises(CorpusError) as caught:
        build_index(settings)
    assert "max_document_bytes" in str(caught.value) and "MB" in str(caught.value)


# ---- evals: encoding, limits, cancellation ---------------------------------------------------------
def test_eval_files_in_the_wrong_encoding_name_file_line_and_encoding(tmp_path, settings):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("id,question,type,answerable,key_facts\nc1,大宗固废综合利用率目标,fact,true,40%\n".encode("gbk"))
    jsonl = tmp_path / "bad.jsonl"
    good = json.dumps({"id": "a", "question": "PUE", "type": "fact", "key_facts": ["1.6"]}, ensure_ascii=False)
    jsonl.write_bytes((good + "\n" + good.replace('"a"', '"b"') + "\n").encode() + b'{"id": "c\xff"}\n')
    for path, line in ((gbk, "第 2 行"), (jsonl, "第 3 行")):
        with pytest.raises(EvalSetError) as caught:
            load_eval_set(path)
        assert path.name in str(caught.value) and line in str(caught.value) and "UTF-8" in str(caught.value)

    out = run_cli(settings.corpus_dir.parent, "eval", str(gbk))
    assert out.returncode == 2 and "gbk.csv" in out.stderr.decode() and b"Traceback" not in out.stderr

    handlers = ui.App(Assistant(settings), tmp_path / "feedback")
    import gradio as gr

    with pytest.raises(gr.Error) as caught:
        list(handlers.run_eval(ui.UPLOADED, str(jsonl), progress=lambda *a, **k: None))
    assert "bad.jsonl" in caught.value.message and "第 3 行" in caught.value.message
    assert ui.GENERIC_ERROR not in caught.value.message


def test_eval_size_limits(tmp_path, settings):
    line = json.dumps({"id": "x", "question": "PUE", "type": "fact", "key_facts": ["1.6"]}, ensure_ascii=False)
    big = tmp_path / "big.jsonl"
    big.write_text("".join(line.replace('"x"', f'"q{i}"') + "\n" for i in range(settings.max_eval_items + 1)),
                   encoding="utf-8")
    with pytest.raises(EvalSetError, match="max_eval_items"):
        load_eval_set(big, settings.max_eval_items, settings.max_eval_bytes)
    with pytest.raises(EvalSetError, match="max_eval_bytes"):
        load_eval_set(big, settings.max_eval_items, 10_000)
    assert len(load_eval_set(big)) == settings.max_eval_items + 1  # the limits come from the caller


class CountingAssistant(Assistant):
    """Counts asks and how many run at once."""

    def __init__(self, settings, delay: float = 0.0):
        super().__init__(settings)
        self.asked = self.running = self.most = 0
        self.delay = delay
        self._count = threading.Lock()

    def ask(self, question, history=None, live=None, docs=None):
        with self._count:
            self.asked += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.delay)
            return super().ask(question, history, live, docs)
        finally:
            with self._count:
                self.running -= 1


def test_a_stopped_eval_generator_asks_no_more(settings):
    assistant = CountingAssistant(settings)
    handlers = ui.App(assistant, settings.feedback_dir, ui.Startup(assistant).start())
    run = handlers.run_eval(ui.BUILTIN, None, progress=lambda *a, **k: None)
    for _ in range(3):
        next(run)
    run.close()  # what gradio does when the event is cancelled
    asked = assistant.asked
    assert asked <= 4
    time.sleep(0.3)
    assert assistant.asked == asked


@pytest.mark.slow
def test_cancelled_evals_stop_and_never_run_two_at_once(settings):
    from gradio_client import Client

    from .test_app import free_port

    assistant = CountingAssistant(settings, delay=0.05)
    port = free_port()
    demo = ui.launch(assistant, "127.0.0.1", port, feedback_dir=settings.feedback_dir, block=False)
    try:
        assert demo.app_handlers.startup.wait(60)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        for _ in range(3):
            start = assistant.asked
            job = client.submit(ui.BUILTIN, None, api_name="/evaluate")
            deadline = time.time() + 30
            while assistant.asked < start + 5 and time.time() < deadline:
                time.sleep(0.05)
            job.cancel()
        time.sleep(1.0)
        settled = assistant.asked
        time.sleep(1.5)
        assert assistant.asked - settled <= 1  # nothing runs on after cancel
        assert assistant.most == 1  # the eval concurrency limit of 1 held
        assert settled < 3 * 182 / 2
    finally:
        demo.close()


# ---- the app: history, CSV, temp files, login ---------------------------------------------------
def test_a_huge_history_is_refused_and_the_question_still_answered(settings):
    assistant = Assistant(settings)
    handlers = ui.App(assistant, settings.feedback_dir, ui.Startup(assistant).start())
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": "很长的对话" * 150} for i in range(10_000)]
    chat, turns, sources, _, _ = list(handlers.respond(GUFEI, history, []))[-1]
    assert len(chat) == 3 and "对话记录过长" in chat[0]["content"] and "10000 条" in chat[0]["content"]
    assert "40%" in chat[-1]["content"] and len(turns) == 1 and turns[0]["index"] == 2
    assert len(json.dumps(chat, ensure_ascii=False)) < 20_000


def target(**changes) -> Target:
    values = dict(indicator="能耗", value="5", unit="%", comparator="降低", year="2025", sector="综合",
                  section_path=("一、目标",), quote="能耗降低 5%。", doc_id="d", start=0, end=8)
    return Target(**{**values, **changes})


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_cells_that_would_run_as_formulas_are_neutralised(cell):
    rows = list(csv.reader(io.StringIO(to_csv([target(indicator=cell, quote=cell, value=cell)]), newline="")))
    quote_at = rows[0].index("原文")  # the quote column (the plan column follows it)
    assert rows[1][0] == "'" + cell and rows[1][1] == "'" + cell and rows[1][quote_at] == "'" + cell
    assert json.loads(to_json([target(indicator=cell)]))[0]["indicator"] == cell  # only CSV is changed
    assert rows[1][4] == "2025"


def test_the_app_download_is_neutralised_and_written_once(settings, monkeypatch):
    assistant = Assistant(settings)
    handlers = ui.App(assistant, settings.feedback_dir, ui.Startup(assistant))
    for _ in range(30):  # every page load asks for the full list
        handlers.targets_view(ui.ALL, ui.ALL)
    files = [p for p in handlers.out_dir.rglob("*") if p.is_file()]
    assert len(files) == 1
    monkeypatch.setattr(assistant, "targets", lambda **kw: [target(indicator="=1+1")])
    _, _, download = handlers.targets_view(ui.ALL, ui.ALL)
    value = download.value
    data = Path(value["path"] if isinstance(value, dict) else value).read_text(encoding="utf-8-sig")
    assert "'=1+1" in data


def test_eval_outputs_are_pruned(settings):
    handlers = ui.App(Assistant(settings), settings.feedback_dir)
    for _ in range(ui.OUT_RUNS_KEPT + 15):
        handlers._out_path("report.html").write_text("x", encoding="utf-8")
    assert len(list(handlers.out_dir.glob("run-*"))) == ui.OUT_RUNS_KEPT


def test_users_come_from_a_file_and_the_environment(tmp_path):
    users_file = tmp_path / "users.txt"
    users_file.write_text("# 管理员\nadmin:s3cret:with:colons\n\nreader:pw\n", encoding="utf-8")
    settings = Settings.load(env={"ASSISTANT_AUTH_FILE": str(users_file)})
    users = ui.load_users(settings, env={"ASSISTANT_USERS": "ops:pw2, viewer:pw3"})
    assert users == {"admin": "s3cret:with:colons", "reader": "pw", "ops": "pw2", "viewer": "pw3"}
    check = ui.password_check(users)
    assert check("admin", "s3cret:with:colons") and not check("admin", "wrong") and not check("nobody", "pw")
    users_file.write_text("admin:ok\nno-colon-here\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="第 2 行"):
        ui.load_users(settings, env={})
    with pytest.raises(ConfigError, match="ASSISTANT_USERS"):
        ui.load_users(Settings.load(env={}), env={"ASSISTANT_USERS": "justaname"})


def test_rebuild_and_export_need_a_login_off_loopback(settings):
    import gradio as gr

    assistant = Assistant(settings)
    exposed = ui.App(assistant, settings.feedback_dir, host="0.0.0.0")
    for call in (lambda: exposed.rebuild(progress=lambda *a, **k: None), exposed.export_feedback):
        with pytest.raises(gr.Error) as caught:
            call()
        assert "ASSISTANT_AUTH_FILE" in caught.value.message
    guarded = ui.App(assistant, settings.feedback_dir, host="0.0.0.0", users={"admin": "pw"})
    with pytest.raises(AccessDenied):
        guarded.require_access(None, "重建索引")

    class SignedIn:
        username = "admin"

    guarded.require_access(SignedIn(), "重建索引")
    assert "还没有" in guarded.export_feedback(SignedIn())[0]
    ui.App(assistant, settings.feedback_dir).require_access(None, "重建索引")  # loopback, no users


@pytest.mark.slow
def test_with_users_every_call_needs_a_login(settings):
    from gradio_client import Client

    from .test_app import free_port

    port = free_port()
    demo = ui.launch(Assistant(settings), "127.0.0.1", port, feedback_dir=settings.feedback_dir,
                             block=False, users={"admin": "pw"})
    try:
        assert demo.app_handlers.startup.wait(60)
        # a plan as big as max_document_bytes uploads (eval sets are held to max_eval_bytes on load);
        # a bigger file is refused at the door
        assert demo.max_file_size == max(settings.max_document_bytes, settings.max_eval_bytes)
        url = f"http://127.0.0.1:{port}/"
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own error types
            Client(url, verbose=False).predict(PUE, [], api_name="/ask")
        chat, _, _ = Client(url, auth=("admin", "pw"), verbose=False).predict(PUE, [], api_name="/ask")
        assert "1.6" in str(chat[-1]["content"])
    finally:
        demo.close()


def test_open_index_serves_the_last_good_index_only_for_the_same_settings(base):
    settings = settings_in(base)
    (settings.corpus_dir / "004_bad.txt").write_text("一、总则\n\n到 2025 年，能耗降低 5%。\n", encoding="utf-8")
    (settings.corpus_dir / "004_bad.toml").write_bytes(BAD_METADATA["broken.toml"])
    other_model = settings.replace(chunk_max_chars=150)  # the old build does not fit these settings
    with pytest.raises(CorpusError, match="004_bad.toml"):
        open_index(other_model)
    assert open_index(settings).manifest.build_id == read_manifest(settings).build_id


def test_failed_logins_lock_a_name_and_an_address_for_a_growing_while(tmp_path):
    from ui.login import CLIENT, FREE_ATTEMPTS, Throttle

    now = [0.0]
    check = ui.password_check({"admin": "pw#1"}, Throttle(clock=lambda: now[0]))
    token = CLIENT.set("10.0.0.7")
    try:
        for _ in range(FREE_ATTEMPTS):
            assert not check("admin", "guess")
        assert check(" admin ", "pw#1")  # within the free attempts; the name is trimmed
        for _ in range(FREE_ATTEMPTS + 1):
            check("admin", "guess")
        assert not check("admin", "pw#1")  # locked: even the right password waits
        now[0] += 1.5
        assert check("admin", "pw#1")
        for _ in range(FREE_ATTEMPTS + 3):
            check(f"user{now[0]}", "guess")  # other names, the same address
            now[0] += 0.001
        assert not check("admin", "pw#1")  # the address is locked
        now[0] += 5
        assert check("admin", "pw#1")
    finally:
        CLIENT.reset(token)


def test_the_users_file_honours_inline_comments_and_warns_when_others_can_read_it(tmp_path, caplog):
    users_file = tmp_path / "users.txt"
    users_file.write_text("admin:pw#1   # 管理员\nreader:pw  # 只读\n", encoding="utf-8")
    users_file.chmod(0o644)
    with caplog.at_level("WARNING"):
        users = ui.load_users(Settings.load(env={"ASSISTANT_AUTH_FILE": str(users_file)}), env={})
    assert users == {"admin": "pw#1", "reader": "pw"}
    assert "chmod 600" in caplog.text
