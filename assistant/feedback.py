"""feedback: 👍/👎 on answers, kept locally as JSONL, and the 👎 ones exported as eval items
for a person to complete (the format of evals/tacheng_plan_qa.dev.jsonl)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

FILE_NAME = "feedback.jsonl"
VOTES = {"up": "up", "down": "down", "👍": "up", "👎": "down", True: "up", False: "down",
         "like": "up", "dislike": "down", "none": "none", None: "none", "": "none"}  # none: a vote taken back
TODO = ("待人工补充：用户认为此回答有误或不完整。请核对 type 与 answerable，"
        "填写 key_facts（答案要点）与 evidence（规划原文片段）；不可回答的题目改为 answerable=false "
        "并保持两者为空。完成后删除本字段。")

TODO_REFUSED = ("待人工补充：助手回答“规划中未找到”或只列出可能相关的原文，用户认为不对。请在规划中查找："
                "写了的，填写 key_facts 与 evidence；确实没写的，改为 answerable=false。完成后删除本字段。")

_lock = threading.Lock()


def feedback_path(feedback_dir: Path | str) -> Path:
    return Path(feedback_dir) / FILE_NAME


def normalize_vote(vote) -> str:
    key = vote.strip().lower() if isinstance(vote, str) else vote
    if key not in VOTES:
        raise ValueError(f"无效的评价“{vote}”，应为 up 或 down。")
    return VOTES[key]


def record(feedback_dir: Path | str, question: str, answer_json: dict, vote) -> dict:
    """Append one vote; returns the stored entry."""
    entry = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "vote": normalize_vote(vote),
        "question": question,
        "answer": answer_json.get("answer", ""),
        "found": answer_json.get("found"),
        "state": answer_json.get("state", "answered"),
        "sources": answer_json.get("sources", []),
    }
    for key in ("intent", "mode", "rewritten_question"):
        if answer_json.get(key):
            entry[key] = answer_json[key]
    path = feedback_path(feedback_dir)
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line)
    return entry


def read(feedback_dir: Path | str) -> list[dict]:
    """Every stored entry, oldest first; a damaged line is skipped, not fatal."""
    path = feedback_path(feedback_dir)
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and entry.get("question"):
            entries.append(entry)
    return entries


def export_downvotes(feedback_dir: Path | str, out_path: Path | str) -> int:
    """Write the 👎 answers as eval items (latest vote per question); returns how many."""
    latest: dict[str, dict] = {}
    for entry in read(feedback_dir):
        # a follow-up ("那建筑呢？") makes a gold question only as the assistant understood it
        question = entry.get("rewritten_question") or entry["question"]
        latest.pop(question, None)  # keep the order of the latest vote
        latest[question] = entry
    down = [e for e in latest.values() if e.get("vote") == "down"]
    lines = []
    for n, entry in enumerate(down, start=1):
        sources = entry.get("sources") or []
        item = {
            "id": f"fb{n:03d}",
            "question": entry.get("rewritten_question") or entry["question"],
            "type": "fact",
            "answerable": True,
            "key_facts": [],
            "evidence": [],
            "section": "",
            "todo": TODO,
            "feedback_time": entry.get("time", ""),
            "feedback_answer": entry.get("answer", ""),
            "feedback_sections": [s.get("section", "") for s in sources],
        }
        if item["question"] != entry["question"]:
            item["feedback_question"] = entry["question"]
        if entry.get("state", "answered") != "answered":  # a refusal the user says is wrong: the plan may say it
            item["feedback_state"] = entry["state"]
            item["todo"] = TODO_REFUSED
        lines.append(json.dumps(item, ensure_ascii=False))
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(down)
