"""Soak benchmarks: the app under a rebuild loop, and its memory over thousands of questions.

- Rebuild loop: another process rebuilds the index back to back and the app's rebuild button
  is pressed every few seconds, while CLI processes ask in a loop and app clients ask at once:
  no answer may fail or be wrong.
- Memory soak: questions to the app in its own process (a new session for each, as browser
  tabs and API clients make), its RSS after a warm-up, half-way and at the end: it must level off.

Both use the hash embedder (same index code, cheap vectors) so they fit a 2-core machine.
`tests/test_soak.py` runs short versions of both; this prints the full ones' figures:

    python benchmarks/soak.py [--rebuild-seconds 45] [--questions 2000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.appserver import answer_text, app_process, free_port, hash_project, rss_mb  # noqa: E402

EXPECTED = {"数据中心PUE有什么要求": "1.6", "大宗固废综合利用率到2025年要达到多少？": "40%",
            "交通领域有哪些目标？": "60%", "再生资源回收利用率目标": "50%"}
GOLD = ROOT / "evals" / "tacheng_plan_qa.dev.jsonl"
REBUILDER = """
import time
from assistant import Settings
from assistant.index import build_index
settings, began, done = Settings.load({config!r}), time.time(), 0
while time.time() - began < {seconds}:
    build_index(settings)
    done += 1
print(done)
"""


@dataclass
class RebuildLoop:
    rebuilds: int = 0
    cli_answers: int = 0
    app_answers: int = 0
    slowest: float = 0.0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    builds_left: list[str] = field(default_factory=list)


def rebuild_loop(config: Path, seconds: float, cli_workers: int, app_clients: int) -> RebuildLoop:
    """Rebuild for `seconds` while `cli_workers` CLI processes and `app_clients` clients of
    an app (in this process) ask; what happened."""
    from gradio_client import Client

    import ui
    from assistant import Assistant, Settings

    settings = Settings.load(config)
    port = free_port()
    demo = ui.launch(Assistant(settings), "127.0.0.1", port, feedback_dir=settings.feedback_dir, block=False)
    url = f"http://127.0.0.1:{port}/"
    if not demo.app_handlers.startup.wait(240) or demo.app_handlers.startup.error is not None:
        raise RuntimeError(f"the app did not start: {demo.app_handlers.startup.error}")
    stop, lock, result = threading.Event(), threading.Lock(), RebuildLoop()

    def fail(what: str) -> None:
        with lock:
            result.failures.append(what[:300])

    def cli_worker(n: int) -> None:
        questions = list(EXPECTED)
        while not stop.is_set():
            batch = [questions[(n + i) % len(questions)] for i in range(3)]
            out = subprocess.run([sys.executable, "-m", "assistant", "--config", str(config), "ask", "--json"],
                                 input="\n".join(batch).encode(), capture_output=True, timeout=180, cwd=ROOT)
            objs = [json.loads(line) for line in out.stdout.decode().splitlines() if line.strip()]
            if out.returncode != 0 or b"Traceback" in out.stderr or len(objs) != len(batch):
                fail(f"cli rc={out.returncode} {out.stderr.decode()[-300:]}")
                continue
            for question, obj in zip(batch, objs, strict=True):
                if obj["question"] != question or EXPECTED[question] not in obj["answer"]:
                    fail(f"cli wrong answer: {question} -> {obj['answer'][:80]}")
            with lock:
                result.cli_answers += len(objs)

    def app_worker(n: int) -> None:
        # a slow answer is not a lost one: on two shared cores under this load a request can
        # wait longer than httpx's 5 s default, so the clients wait up to a minute
        client = Client(url, verbose=False, httpx_kwargs={"timeout": 60})
        for question in itertools.cycle(list(EXPECTED)[n % 4:] + list(EXPECTED)[:n % 4]):
            if stop.is_set():
                break
            began = time.perf_counter()
            try:
                chat, _, _ = client.predict(question, [], api_name="/ask")
            except Exception as exc:  # noqa: BLE001 - counted as a failed answer
                fail(f"app {type(exc).__name__}: {exc}")
                continue
            with lock:
                result.slowest = max(result.slowest, time.perf_counter() - began)
            if EXPECTED[question] not in answer_text(chat):
                fail(f"app wrong answer: {question} -> {answer_text(chat)[:80]}")
            with lock:
                result.app_answers += 1
        client.close()

    def rebuilder() -> None:
        """Another process rebuilding back to back (what `index --rebuild` in a loop does,
        without paying its start-up each time)."""
        out = subprocess.run([sys.executable, "-c", REBUILDER.format(config=str(config), seconds=seconds)],
                             capture_output=True, timeout=seconds + 180, cwd=ROOT)
        if out.returncode != 0:
            fail(f"rebuilder rc={out.returncode} {out.stderr.decode()[-300:]}")
        else:
            with lock:
                result.rebuilds += int(out.stdout.decode().split()[-1])
        stop.set()

    def app_rebuilds() -> None:
        """The app's rebuild button, pressed every few seconds under load."""
        while not stop.wait(4.0):
            demo.app_handlers.rebuild(progress=lambda *a, **k: None)
            with lock:
                result.rebuilds += 1

    threads = [threading.Thread(target=cli_worker, args=(n,)) for n in range(cli_workers)]
    threads += [threading.Thread(target=app_worker, args=(n,)) for n in range(app_clients)]
    threads += [threading.Thread(target=rebuilder), threading.Thread(target=app_rebuilds)]
    began = time.time()
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 200)
    finally:
        stop.set()
        demo.close()
    result.seconds = time.time() - began
    result.builds_left = [p.name for p in (settings.index_dir / "builds").iterdir()]
    return result


def memory_soak(config: Path, warmup: int, questions: int, threads: int = 4, root: Path = ROOT) -> dict:
    """Ask the app (from `root`: this checkout, or another for a before/after comparison),
    in its own process, `warmup` + `questions` questions; its RSS after the warm-up, half-way
    and at the end, and the errors."""
    from gradio_client import Client

    asked = [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines()]
    with app_process(config, root) as (server, url):
        clients = [Client(url, verbose=False) for _ in range(threads)]
        errors: list[str] = []

        def run(n: int) -> None:
            def one(i: int) -> None:
                client = clients[i % threads]
                client.reset_session()  # a new session per question, as new tabs and API clients make
                try:
                    chat, _, _ = client.predict(asked[i % len(asked)], [], api_name="/ask")
                    if not answer_text(chat):
                        errors.append(f"empty answer to {asked[i % len(asked)]}")
                except Exception as exc:  # noqa: BLE001
                    errors.append(repr(exc))

            with ThreadPoolExecutor(threads) as pool:
                # each worker keeps to its own client (a client is not shared between threads)
                list(pool.map(lambda w: [one(i) for i in range(w, n, threads)], range(threads)))

        began = time.perf_counter()
        run(warmup)
        figures = {"start": rss_mb(server.pid)}
        run(questions // 2)
        figures["middle"] = rss_mb(server.pid)
        run(questions - questions // 2)
        figures["end"] = rss_mb(server.pid)
        figures["seconds"] = time.perf_counter() - began
        for client in clients:
            client.close()
        figures["errors"] = len(errors)
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild-seconds", type=float, default=45)
    parser.add_argument("--cli-workers", type=int, default=5)
    parser.add_argument("--app-clients", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--questions", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        loop = rebuild_loop(hash_project(Path(tmp) / "loop"), args.rebuild_seconds, args.cli_workers,
                            args.app_clients)
        print(f"rebuild loop: {loop.rebuilds} rebuilds in {loop.seconds:.0f} s; {loop.cli_answers} CLI answers "
              f"({args.cli_workers} processes at a time), {loop.app_answers} app answers ({args.app_clients} clients, "
              f"slowest {loop.slowest:.1f} s); {len(loop.failures)} failed; {len(loop.builds_left)} build folders left")
        soak = memory_soak(hash_project(Path(tmp) / "soak"), args.warmup, args.questions)
        print(f"memory soak: RSS after {args.warmup} questions {soak['start']:.1f} MiB, after {args.questions // 2} more "
              f"{soak['middle']:.1f} MiB, after {args.questions} {soak['end']:.1f} MiB "
              f"({soak['end'] - soak['middle']:+.1f} MiB over the second half); {soak['errors']} errors; "
              f"{(args.warmup + args.questions) / soak['seconds']:.1f} answers/s")


if __name__ == "__main__":
    main()
