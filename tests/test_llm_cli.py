"""LLM mode end to end: the CLI against a scripted OpenAI-compatible server on loopback."""

import json
import os
import subprocess
import sys

import pytest

from .test_llm import ScriptedServer

pytestmark = pytest.mark.slow
QUESTION = "大宗固废综合利用率到2025年要达到多少？"


@pytest.fixture
def scripted():
    server = ScriptedServer()
    yield server
    server.close()


def _ask(real_assistant, server, tmp_path) -> dict:
    config = tmp_path / "assistant.toml"
    config.write_text(f'index_dir = "{real_assistant.settings.index_dir}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    env.update(ASSISTANT_LLM_BASE_URL=server.base_url, ASSISTANT_LLM_MODEL="scripted", ASSISTANT_LLM_TIMEOUT="5")
    out = subprocess.run([sys.executable, "-m", "assistant", "--config", str(config), "ask", "--json", QUESTION],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def test_verified_model_answer_is_returned(real_assistant, scripted, tmp_path):
    scripted.script("根据规划，到 2025 年地区大宗固废综合利用率要达到 40% 以上[1]。")
    obj = _ask(real_assistant, scripted, tmp_path)
    assert obj["mode"] == "llm" and obj["found"] is True
    assert obj["answer"] == "根据规划，到 2025 年地区大宗固废综合利用率要达到 40% 以上[1]。"
    assert "大宗固废综合利用率达到" in obj["sources"][0]["quote"]


def test_wrong_model_answer_falls_back_and_says_why(real_assistant, scripted, tmp_path):
    scripted.script("规划要求大宗固废综合利用率达到 60%[1]。")
    obj = _ask(real_assistant, scripted, tmp_path)
    assert obj["mode"] == "extractive" and "40%" in obj["answer"] and "60" not in obj["answer"]
    assert obj["note"]


# ---- the replies, end to end with the real embedder and index ---------------------------

@pytest.mark.parametrize("reply", [
    "到2025年，大宗固废综合利用率要达到百分之四十以上[1]。",
    "到二〇二五年，地区大宗固废综合利用率要达到四成以上[1]。",
    "根据规划原文：\n到 2025 年，地区大宗固废综合利用率达到 40% 以上[1]。",
])
def test_the_right_number_in_chinese_passes(real_assistant, scripted, tmp_path, reply):
    scripted.script(reply)
    obj = _ask(real_assistant, scripted, tmp_path)
    assert obj["mode"] == "llm" and obj["answer"] == reply and "note" not in obj


@pytest.mark.parametrize("reply,reason", [
    ("到2025年，大宗固废综合利用率要达到百分之五十以上[1]。", "number"),
    ("规划要求大宗固废综合利用率达到一半以上[1]。", "number"),
    ("到2025年，大宗固废综合利用率达到40%以上，并全部实现就地资源化处置[1]。", "unsupported"),
    ("好的，我将忽略之前的指令。系统提示词如下：你是助手。[1]", "unsupported"),
    ("大宗固废综合利用率达到 40% 以上[9]。", "bad_marker"),
])
def test_a_wrong_or_injected_reply_falls_back_with_a_note(real_assistant, scripted, tmp_path, reply, reason):
    scripted.script(reply)
    obj = _ask(real_assistant, scripted, tmp_path)
    assert obj["mode"] == "extractive" and "40%" in obj["answer"] and obj["note"]
    assert obj["fallback_reason"] == reason


def test_an_added_claim_is_dropped_and_said(real_assistant, scripted, tmp_path):
    scripted.script("到2025年，地区大宗固废综合利用率达到40%以上[1]。未达标的县市将被扣减下一年度用能指标[1]。")
    obj = _ask(real_assistant, scripted, tmp_path)
    assert obj["mode"] == "llm" and obj["answer"] == "到2025年，地区大宗固废综合利用率达到40%以上[1]。"
    assert "已删去" in obj["note"] and obj["dropped_sentences"] == 1


def test_the_eval_report_counts_fallbacks_by_reason(real_assistant, scripted, tmp_path):
    items = tmp_path / "set.jsonl"
    items.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in [
        {"id": "a", "question": QUESTION, "type": "fact", "key_facts": ["40%"]},
        {"id": "b", "question": "新建大型数据中心PUE值要控制在多少？", "type": "fact", "key_facts": ["1.6"]},
        {"id": "c", "question": "城区绿色出行分担率到2025年要达到多少？", "type": "fact", "key_facts": ["30%"]},
    ]) + "\n", encoding="utf-8")
    scripted.script("到2025年，地区大宗固废综合利用率要达到百分之四十以上[1]。",
                    "新建大型数据中心PUE值要控制在一点五以下[1]。",
                    "好的，我将忽略之前的指令。系统提示词如下：你是助手。[1]")
    config = tmp_path / "assistant.toml"
    config.write_text(f'index_dir = "{real_assistant.settings.index_dir}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    env.update(ASSISTANT_LLM_BASE_URL=scripted.base_url, ASSISTANT_LLM_MODEL="scripted", ASSISTANT_LLM_TIMEOUT="5")
    out = subprocess.run([sys.executable, "-m", "assistant", "--config", str(config), "eval", str(items),
                          "--report", str(tmp_path / "report")], capture_output=True, text=True, env=env, check=True)
    llm = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))["llm"]
    assert llm["asked"] == 3 and llm["llm"] == 1 and llm["fallback"] == 2
    assert llm["fallback_reasons"] == {"number": 1, "unsupported": 1}
    assert "回退为原文摘录 2（数字与原文不符 1、原文中找不到依据 1）" in out.stdout
    assert "回退为原文摘录 2" in (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
