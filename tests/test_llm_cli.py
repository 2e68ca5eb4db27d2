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
