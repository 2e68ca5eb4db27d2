"""Load benchmark: the app answering many staff at once, through its `/ask` API.

Starts the app (`app.py`, its own process) on a free loopback port with a copy of a corpus
and the default settings (the bundled embedder unless `--hash`), then for each number of users
runs that many clients for a fixed time, each asking the question file round-robin (each user
starting at another question), and prints per step: answers/s, latency p50 and p95, errors
and the server's RSS. Bounded: loopback only, `--seconds` per step, `--max-answers` per step.

    python benchmarks/load.py [--users 1 10 20 50] [--seconds 30] [--questions evals/tacheng_plan_qa.test.jsonl]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.appserver import answer_text, app_process, rss_mb  # noqa: E402

CLIENT_TIMEOUT = 120  # seconds a request may wait before it counts as an error


@dataclass
class Step:
    users: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rss_mb: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run_step(url: str, pid: int, users: int, questions: list[str], seconds: float, max_answers: int) -> Step:
    """`users` clients asking for `seconds` (or until `max_answers` answers): what they got."""
    from gradio_client import Client

    clients = [Client(url, verbose=False, httpx_kwargs={"timeout": CLIENT_TIMEOUT}) for _ in range(users)]
    step, lock, stop = Step(users), threading.Lock(), threading.Event()

    def user(n: int) -> None:
        client, i = clients[n], n * 7  # users start at different questions
        while not stop.is_set():
            question = questions[i % len(questions)]
            i += 1
            began = time.perf_counter()
            try:
                chat, _, _ = client.predict(question, [], api_name="/ask")
                ok, what = bool(answer_text(chat).strip()), f"empty answer to {question}"
            except Exception as exc:  # noqa: BLE001 - an error of this step, reported
                ok, what = False, f"{type(exc).__name__}: {exc}"[:200]
            took = time.perf_counter() - began
            with lock:
                if ok:
                    step.latencies.append(took)
                else:
                    step.errors.append(what)
                if len(step.latencies) + len(step.errors) >= max_answers:
                    stop.set()

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join(CLIENT_TIMEOUT + 10)
    step.seconds = time.perf_counter() - began
    step.rss_mb = rss_mb(pid)
    for client in clients:
        client.close()
    return step


def table(steps: list[Step]) -> str:
    lines = ["| users | answers/s | p50 | p95 | errors | server RSS |", "| --- | --- | --- | --- | --- | --- |"]
    for s in steps:
        lines.append(f"| {s.users} | {s.rate:.1f} | {s.percentile(0.5) * 1000:.0f} ms | {s.percentile(0.95) * 1000:.0f} ms "
                     f"| {len(s.errors)} | {s.rss_mb:.0f} MiB |")
    return "\n".join(lines)


def main() -> None:
    from assistant.evaluate import load_eval_set

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(ROOT / "corpus"), help="the plans (a copy is indexed)")
    parser.add_argument("--questions", default=str(ROOT / "evals" / "tacheng_plan_qa.test.jsonl"))
    parser.add_argument("--users", type=int, nargs="+", default=[1, 10, 20, 50])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-answers", type=int, default=5000)
    parser.add_argument("--hash", action="store_true", help="the hash embedder instead of the bundled model")
    args = parser.parse_args()
    questions = [item.question for item in load_eval_set(Path(args.questions))]
    with tempfile.TemporaryDirectory() as tmp:
        config = _project(Path(tmp), Path(args.corpus), args.hash)
        with app_process(config) as (server, url):
            steps = []
            for users in args.users:
                steps.append(run_step(url, server.pid, users, questions, args.seconds, args.max_answers))
                print(f"{users} users: {steps[-1].rate:.1f} answers/s, p95 {steps[-1].percentile(0.95):.2f} s, "
                      f"{len(steps[-1].errors)} errors", file=sys.stderr, flush=True)
    print(table(steps))
    for s in steps:
        for error in s.errors[:3]:
            print(f"  {s.users} users: {error}")


def _project(folder: Path, corpus: Path, hashed: bool) -> Path:
    import shutil

    from benchmarks.appserver import hash_project

    if hashed:
        return hash_project(folder, corpus)
    shutil.copytree(corpus, folder / "corpus")
    config = folder / "assistant.toml"
    config.write_text(f'corpus_dir = "{folder / "corpus"}"\nindex_dir = "{folder / "index"}"\n'
                      f'feedback_dir = "{folder / "feedback"}"\n', encoding="utf-8")
    return config


if __name__ == "__main__":
    main()
