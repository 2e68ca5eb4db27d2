"""Short versions of the soak benchmarks (benchmarks/soak.py has the full ones and prints their
figures): a rebuild loop under concurrent asks loses no answer, and the app's memory levels off.

Both use the hash embedder (same index code, cheap vectors) so they fit a 2-core machine."""

from __future__ import annotations

import pytest

from benchmarks.appserver import hash_project
from benchmarks.soak import memory_soak, rebuild_loop

pytestmark = pytest.mark.slow

REBUILD_SECONDS = 15
CLI_WORKERS = 3
APP_CLIENTS = 10
SOAK_WARMUP = 100
SOAK_QUESTIONS = 400
LEVEL_MB = 3.0  # growth allowed over the second half (before the fix: ~23 MB per 1,000 questions, 4.6 MB per 200)


def test_rebuild_loop_under_concurrent_asks_loses_no_answer(tmp_path):
    loop = rebuild_loop(hash_project(tmp_path), REBUILD_SECONDS, CLI_WORKERS, APP_CLIENTS)
    print(f"\nrebuild loop: {loop.rebuilds} rebuilds in {loop.seconds:.0f} s; {loop.cli_answers} CLI answers, "
          f"{loop.app_answers} app answers (slowest {loop.slowest:.1f} s); {len(loop.failures)} failed")
    assert not loop.failures, loop.failures[:5]
    # the load happened: rebuilds ran, and every CLI process and app client got answers through
    # them (how many depends on how busy the two cores are, not on correctness)
    assert loop.rebuilds >= 3 and loop.cli_answers >= 3 * CLI_WORKERS and loop.app_answers >= 2 * APP_CLIENTS
    assert len(loop.builds_left) <= 2 + CLI_WORKERS and not [b for b in loop.builds_left if b.startswith(".staging-")]


def test_app_memory_levels_off_over_hundreds_of_questions(tmp_path):
    figures = memory_soak(hash_project(tmp_path), SOAK_WARMUP, SOAK_QUESTIONS)
    print(f"\nsoak: RSS after {SOAK_WARMUP} questions {figures['start']:.1f} MiB, after {SOAK_QUESTIONS // 2} more "
          f"{figures['middle']:.1f} MiB, after {SOAK_QUESTIONS} {figures['end']:.1f} MiB; {figures['errors']} errors")
    assert figures["errors"] == 0
    assert figures["end"] - figures["middle"] < LEVEL_MB, figures


def test_the_load_benchmark_asks_through_the_apps_http_api_in_one_session_per_user(tmp_path):
    """benchmarks/load.py's client: every user's questions come back answered (no error event,
    no lost stream), each user in the session of one browser tab."""
    from benchmarks.appserver import app_process
    from benchmarks.load import run_step

    questions = ["数据中心PUE有什么要求", "到2025年单位GDP能耗下降多少", "公共机构节能有哪些任务"]
    with app_process(hash_project(tmp_path)) as (server, url):
        step = run_step(url, server.pid, 3, questions, seconds=4, max_answers=30)
    assert not step.errors, step.errors[:3]
    assert len(step.latencies) >= 3 and step.rss_mb > 0
