"""Load benchmark: the app answering many staff at once, through its `/ask` API.

Starts the app (`app.py`, its own process) on a free loopback port with a copy of a corpus
and the default settings (the bundled embedder unless `--hash`), then for each number of users
runs that many clients for a fixed time, each asking the question file round-robin (each user
starting at another question), and prints per step: answers/s, latency p50 and p95, errors
and the server's RSS. Bounded: loopback only, `--seconds` per step, `--max-answers` per step.

    python benchmarks/load.py [--users 1 10 20 50] [--seconds 30] [--questions evals/tacheng_plan_qa.test.jsonl]
                              [--uncached] [--workers N] [--query-threads N] [--hash]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
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
    return asyncio.run(_run_step(url, pid, users, questions, seconds, max_answers))


async def _run_step(url: str, pid: int, users: int, questions: list[str], seconds: float,
                    max_answers: int) -> Step:
    """The users as tasks of one event loop, each with its own connection: staff browsers run
    on their own machines, so the load generator must leave the server's cores to the server
    (50 `gradio_client` threads took 0.7–1.6 of the 2 cores, and throttled what they measured)."""
    import httpx

    step, stop = Step(users), asyncio.Event()
    limits = httpx.Limits(max_connections=2 * users, max_keepalive_connections=2 * users)

    async def user(client: httpx.AsyncClient, n: int) -> None:
        i = n * 7  # users start at different questions
        session = f"load-{users}-{n}-{uuid.uuid4().hex[:8]}"  # one browser tab per user
        while not stop.is_set():
            question = questions[i % len(questions)]
            i += 1
            began = time.perf_counter()
            try:
                text = await ask(client, url, question, session)
                ok, what = bool(text.strip()), f"empty answer to {question}"
            except (httpx.HTTPError, AnswerError, ValueError, KeyError) as exc:  # an error of this step, reported
                ok, what = False, f"{type(exc).__name__}: {exc}"[:200]
            took = time.perf_counter() - began
            if ok:
                step.latencies.append(took)
            else:
                step.errors.append(what)
            if len(step.latencies) + len(step.errors) >= max_answers:
                stop.set()

    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT, limits=limits) as client:
        began = time.perf_counter()
        tasks = [asyncio.create_task(user(client, n)) for n in range(users)]
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except TimeoutError:
            stop.set()
        await asyncio.wait(tasks, timeout=CLIENT_TIMEOUT + 10)
        step.seconds = time.perf_counter() - began
    step.rss_mb = rss_mb(pid)
    return step


class AnswerError(Exception):
    """The app answered a request with an error event."""


async def ask(client, url: str, question: str, session: str) -> str:
    """One question through the app's `/ask` API as gradio's HTTP API serves it (a POST that
    queues the event, then its server-sent events until `complete`) in a session of its own, as
    a browser tab keeps one (a request without one makes the server set up a session, each
    time): the chat's last message."""
    posted = await client.post(f"{url}gradio_api/call/ask", json={"data": [question, [], []], "session_hash": session})
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    event = ""
    async with client.stream("GET", f"{url}gradio_api/call/ask/{event_id}") as stream:
        stream.raise_for_status()
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: ") and event in ("complete", "error"):
                if event == "error":
                    raise AnswerError(line[len("data: "):][:200])
                return answer_text(json.loads(line[len("data: "):])[0])
    raise AnswerError("the event stream ended before the answer")


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
    parser.add_argument("--uncached", action="store_true",
                        help="no question vectors kept (query_cache_size 0): every question embedded, as new ones are")
    parser.add_argument("--workers", type=int, help="app_workers: questions the app answers at once (default: the setting's)")
    parser.add_argument("--query-threads", type=int, help="query_threads: cores one question vector may use")
    args = parser.parse_args()
    questions = [item.question for item in load_eval_set(Path(args.questions))]
    with tempfile.TemporaryDirectory() as tmp:
        config = _project(Path(tmp), Path(args.corpus), args.hash, _settings(args))
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


def _settings(args) -> dict:
    """The settings this run sets beside the corpus and index folders."""
    chosen = {"query_cache_size": 0} if args.uncached else {}
    chosen |= {"app_workers": args.workers} if args.workers else {}
    return chosen | ({"query_threads": args.query_threads} if args.query_threads else {})


def _project(folder: Path, corpus: Path, hashed: bool, settings: dict) -> Path:
    import shutil

    from benchmarks.appserver import hash_project

    if hashed:
        return hash_project(folder, corpus, **settings)
    shutil.copytree(corpus, folder / "corpus")
    config = folder / "assistant.toml"
    lines = [f'corpus_dir = "{folder / "corpus"}"', f'index_dir = "{folder / "index"}"',
             f'feedback_dir = "{folder / "feedback"}"'] + [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


if __name__ == "__main__":
    main()
