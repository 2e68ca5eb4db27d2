import json
import subprocess
import sys

import pytest

from assistant.errors import EvalSetError
from assistant.evaluate import load_eval_set, metrics, run_eval
from assistant.report import compare, report_data, write_report

from .conftest import ROOT

GOLD = ROOT / "evals" / "tacheng_plan_qa.jsonl"

# The CI gate: set from measured results (see the closing note), never below these floors.
GATE = {"key_fact_recall": 0.90, "hit@5": 0.95, "abstention_accuracy": 0.90,
        "citation_validity": 1.0, "number_faithfulness": 1.0}


def test_gold_set_loads_and_covers_every_type():
    items = load_eval_set(GOLD)
    assert len(items) >= 120
    assert {i.type for i in items} == {"fact", "list", "section", "compare", "department", "out_of_scope", "trap"}
    assert len({i.id for i in items}) == len(items)


@pytest.mark.parametrize("line,reason", [
    ('{"id": "a", "question": "问", "type": "fact"', "不是合法的 JSON"),
    ('{"id": "a", "question": "问", "type": "guess", "key_facts": ["1"]}', "type “guess” 无效"),
    ('{"id": "a", "type": "fact", "key_facts": ["1"]}', "缺少字段 question"),
    ('{"id": "a", "question": "问", "type": "fact"}', "至少需要一个 key_facts"),
    ('{"id": "a", "question": "问", "type": "out_of_scope", "answerable": false, "key_facts": ["1"]}', "不应有 key_facts"),
])
def test_malformed_items_are_rejected_with_line_and_reason(tmp_path, line, reason):
    path = tmp_path / "set.jsonl"
    good = '{"id": "ok", "question": "大宗固废综合利用率目标", "type": "fact", "key_facts": ["40%"]}'
    path.write_text(good + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=f"第 2 行.*{reason}"):
        load_eval_set(path)


def test_csv_format(tmp_path):
    path = tmp_path / "set.csv"
    path.write_text("id,question,type,answerable,key_facts,evidence\n"
                    "c1,大宗固废综合利用率目标,fact,true,40%,地区大宗固废综合利用率达到 40% 以上\n"
                    "c2,PM2.5目标,out_of_scope,false,,\n", encoding="utf-8-sig")
    items = load_eval_set(path)
    assert [i.id for i in items] == ["c1", "c2"] and items[0].key_facts == ("40%",)
    assert items[1].answerable is False


@pytest.mark.slow
def test_gold_set_passes_the_gate_and_writes_reports(real_assistant, tmp_path):
    results = run_eval(real_assistant, load_eval_set(GOLD))
    summary = metrics(results)
    overall = summary["overall"]
    print("\n" + json.dumps(overall, ensure_ascii=False))
    for name, floor in GATE.items():
        assert overall[name] >= floor, (name, overall[name])
    data = report_data(results, summary, GOLD.name, real_assistant.mode)
    paths = write_report(data, tmp_path / "report")
    assert "<img" in paths["html"].read_text(encoding="utf-8")
    assert "| overall |" in paths["md"].read_text(encoding="utf-8")
    older = json.loads(paths["json"].read_text(encoding="utf-8"))
    older["items"][0]["passed"] = not older["items"][0]["passed"]
    assert older["items"][0]["id"] in compare(older, data)


@pytest.mark.slow
def test_eval_cli_prints_metrics_and_writes_three_files(real_assistant, tmp_path):
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(GOLD.read_text(encoding="utf-8").splitlines()[:5]) + "\n", encoding="utf-8")
    config = tmp_path / "assistant.toml"
    config.write_text(f'index_dir = "{real_assistant.settings.index_dir}"\n', encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "assistant", "--config", str(config), "eval", str(small),
                          "--report", str(tmp_path / "out")], capture_output=True, text=True, check=True)
    assert "| overall |" in out.stdout
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"report.json", "report.md", "report.html"}


def test_llm_outcomes_count_fallbacks_by_reason():
    from assistant.evaluate import llm_outcomes
    from assistant.report import llm_summary
    from assistant.types import Answer, EvalItem, EvalResult

    def result(**answer) -> EvalResult:
        item = EvalItem(id="x", question="问", type="fact", answerable=True, key_facts=("40%",))
        return EvalResult(item=item, answer=Answer(question="问", text="答", found=True, **answer), latency_ms=1.0,
                          gold_rank=1, facts_found=(), facts_missing=(), citations_valid=True, numbers_faithful=True)

    results = [result(mode="llm"), result(mode="llm", dropped=("unsupported",)),
               result(fallback_reason="number"), result(fallback_reason="number"),
               result(fallback_reason="timeout"), result()]  # the last never went to a model
    outcomes = llm_outcomes(results)
    assert outcomes == {"asked": 5, "llm": 1, "trimmed": 1, "fallback": 3, "fallback_rate": 0.6,
                        "fallback_reasons": {"number": 2, "timeout": 1}, "dropped_reasons": {"unsupported": 1}}
    line = llm_summary(outcomes)
    assert "回退为原文摘录 3（数字与原文不符 2、超时 1）" in line and "删去的句子：原文中找不到依据 1" in line
    assert llm_summary(llm_outcomes([result()])) == ""  # extractive mode: nothing to say
