"""Benchmark: cold index build, answer latency p50/p95, peak RSS. Prints figures; not a test.

    python benchmarks/bench.py [--questions evals/tacheng_plan_qa.dev.jsonl] [--repeat 1]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant, Settings  # noqa: E402
from assistant.evaluate import load_eval_set  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", default=str(ROOT / "evals" / "tacheng_plan_qa.dev.jsonl"))
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    questions = [item.question for item in load_eval_set(Path(args.questions))]

    with tempfile.TemporaryDirectory() as tmp:
        # cold: empty index folder, no embedding cache, model not yet loaded
        settings = Settings.load(index_dir=Path(tmp) / "index")
        began = time.perf_counter()
        assistant = Assistant(settings)
        manifest = assistant.ensure()
        cold = time.perf_counter() - began

        began = time.perf_counter()
        assistant.warm_up()
        first = time.perf_counter() - began

        latencies = []
        for _ in range(args.repeat):
            for question in questions:
                t = time.perf_counter()
                assistant.ask(question)
                latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cold index build : {cold:.2f} s ({manifest.chunk_count} chunks, model {manifest.model_id})")
    print(f"first answer     : {first * 1000:.0f} ms (loads jieba and the model)")
    print(f"answers          : {len(latencies)} over {len(questions)} questions")
    print(f"latency p50      : {statistics.median(latencies):.1f} ms")
    print(f"latency p95      : {p95:.1f} ms")
    print(f"latency max      : {latencies[-1]:.1f} ms")
    print(f"peak RSS         : {rss_mb:.0f} MiB")


if __name__ == "__main__":
    main()
