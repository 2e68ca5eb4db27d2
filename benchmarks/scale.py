"""Scale benchmark: N distinct synthetic plans (benchmarks/synthetic.py), for N = 1, 10, 50.

For each N it prints: the cold build (empty index, no embedding cache), adding one more plan
to that index, the start of an `ask` process (to its first answer, as a user waits for it),
answer latency p50/p95 over questions about the plans, and the peak RSS of that process.
All sizes run in one invocation, so their ratios are measured side by side.

    python benchmarks/scale.py [--sizes 1 10 50] [--questions 60]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import place_names, write_plans  # noqa: E402

from assistant import Assistant, Settings  # noqa: E402
from assistant.evaluate import load_eval_set  # noqa: E402

PROBE = """
import json, resource, statistics, sys, time
began = time.perf_counter()
from assistant import Assistant, Settings
assistant = Assistant(Settings.load())
questions = json.loads(sys.argv[1])
first = assistant.ask(questions[0])
start = time.perf_counter() - began
latencies = []
for q in questions:
    t = time.perf_counter()
    assistant.ask(q)
    latencies.append((time.perf_counter() - t) * 1000)
latencies.sort()
print(json.dumps({"start_s": start, "p50_ms": statistics.median(latencies),
                  "p95_ms": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def corpus_of(folder: Path, count: int) -> Path:
    corpus = folder / "corpus"
    corpus.mkdir(parents=True)
    write_plans(corpus, count)
    return corpus


def questions_for(count: int, limit: int) -> list[str]:
    """Dev questions about the seed, each asked of one of the synthetic plans by its place."""
    names = place_names(count)
    seed = [i.question for i in load_eval_set(ROOT / "evals" / "tacheng_plan_qa.dev.jsonl") if i.answerable]
    return [q.replace("塔城", names[i % count]) for i, q in enumerate(seed[:limit])]


def measure(count: int, limit: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        corpus = corpus_of(folder, count)
        env_settings = {"corpus_dir": corpus, "index_dir": folder / "index"}
        settings = Settings.load(env={}, **env_settings)
        began = time.perf_counter()
        Assistant(settings).ensure()
        build = time.perf_counter() - began

        extra = write_plans(folder / "extra", 1, start=count)[0]
        assistant = Assistant(settings)
        assistant.ensure()
        began = time.perf_counter()
        assistant.add_plans([extra])
        add_one = time.perf_counter() - began
        chunks = assistant.status().chunk_count

        config = folder / "assistant.toml"
        config.write_text(f'corpus_dir = "{corpus}"\nindex_dir = "{folder / "index"}"\n', encoding="utf-8")
        probe = subprocess.run([sys.executable, "-c", PROBE, json.dumps(questions_for(count, limit), ensure_ascii=False)],
                               capture_output=True, text=True, check=True, cwd=ROOT,
                               env={"ASSISTANT_CONFIG": str(config), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
        figures = json.loads(probe.stdout.strip().splitlines()[-1])
    return {"plans": count, "chunks": chunks, "build_s": build, "add_one_s": add_one, **figures}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--questions", type=int, default=60)
    args = parser.parse_args()
    rows = [measure(n, args.questions) for n in args.sizes]
    print("| plans | chunks | cold build | add one plan | ask process start | p50 | p95 | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['plans']} | {r['chunks']} | {r['build_s']:.1f} s | {r['add_one_s']:.1f} s | {r['start_s']:.1f} s | "
              f"{r['p50_ms']:.0f} ms | {r['p95_ms']:.0f} ms | {r['rss_mb']:.0f} MiB |")
    small, large = rows[0], rows[-1]
    print(f"\nstart {large['plans']}/{small['plans']}: {large['start_s'] / small['start_s']:.2f}× · "
          f"p50 {large['plans']}/{small['plans']}: {large['p50_ms'] / small['p50_ms']:.2f}× · "
          f"add one to {large['plans']}: {large['add_one_s']:.1f} s")


if __name__ == "__main__":
    main()
