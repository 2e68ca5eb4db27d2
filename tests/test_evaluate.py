import html
import json
import subprocess
import sys

import pytest

from assistant.errors import EvalSetError
from assistant.evaluate import load_eval_set, metrics, run_eval
from assistant.report import compare, report_data, write_report

from .conftest import ROOT

GOLD = ROOT / "evals" / "tacheng_plan_qa.dev.jsonl"
TEST = ROOT / "evals" / "tacheng_plan_qa.test.jsonl"

# The CI gate, per split: set from measured results (see the closing note and README) a little
# below them, so that a regression fails the build. The test split was written by someone who
# never saw the code and is never tuned on; the dev split is where tuning happens.
GATES = {
    GOLD: {"key_fact_recall": 0.92, "hit@5": 0.95, "abstention_accuracy": 0.93,  # measured .948 / .981 / .939 (stop 21)
           "citation_validity": 1.0, "number_faithfulness": 1.0},
    TEST: {"key_fact_recall": 0.92, "hit@5": 0.95, "abstention_accuracy": 0.93,  # measured .957 / .976 / 1.000 (stop 21)
           "answerable_not_found": 0.03, "citation_validity": 1.0, "number_faithfulness": 1.0},  # measured .000
}
CEILINGS = {"answerable_not_found"}  # shares that must stay below their gate


def test_gold_set_loads_and_covers_every_type():
    items = load_eval_set(GOLD)
    assert len(items) >= 120
    kinds = {"fact", "list", "section", "table", "doc_fact", "compare", "department", "out_of_scope", "trap"}
    assert {i.type for i in items} == kinds
    assert len({i.id for i in items}) == len(items)
    test = load_eval_set(TEST)
    assert len(test) >= 150 and {i.type for i in test} == kinds
    # written apart: the same wording may come up by chance (one question does), no more
    assert len({i.question for i in test} & {i.question for i in items}) <= 2


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
@pytest.mark.parametrize("split", [TEST, GOLD], ids=["test", "dev"])
def test_split_passes_its_gate(real_assistant, split):
    overall = metrics(run_eval(real_assistant, load_eval_set(split)))["overall"]
    print(f"\n{split.name}: " + json.dumps(overall, ensure_ascii=False))
    for name, gate in GATES[split].items():
        assert overall[name] <= gate if name in CEILINGS else overall[name] >= gate, (name, overall[name])


@pytest.mark.slow
def test_gold_set_writes_reports(real_assistant, tmp_path):
    results = run_eval(real_assistant, load_eval_set(GOLD)[:40])
    summary = metrics(results)
    data = report_data(results, summary, GOLD.name, real_assistant.mode)
    paths = write_report(data, tmp_path / "report")
    assert "<img" in paths["html"].read_text(encoding="utf-8")
    assert "| 总体 |" in paths["md"].read_text(encoding="utf-8")
    for path in (paths["md"], paths["html"]):  # keys stay English in the JSON report only
        assert not _english_labels(path.read_text(encoding="utf-8"), data), path.name
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
    assert "| 总体 |" in out.stdout
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"report.json", "report.md", "report.html"}


NAMES = {"PUE", "GDP", "LLM", "CSV", "PDF", "JSON", "HTML", "Markdown", "BM25"}


def _english_labels(report: str, data: dict) -> set[str]:
    """English words a reader sees in a report, other than names and than the items' own text
    (questions, answers and quotes may hold PUE, kWh …)."""
    import re

    report = re.sub(r"<style.*?</style>|<(?!br>)[^>]+>", " ", report, flags=re.S)
    own = [data["eval_set"], data["run_at"]]
    for item in data["items"]:
        own += [item["id"], item["question"], *item["key_facts"], *item["answer"].splitlines()]
        own += [f"{s['section']}：{s['quote']}" for s in item["sources"]]
    report = report.replace("<br>", "\n")
    for text in sorted(own, key=len, reverse=True):
        report = report.replace(html.escape(text), " ").replace(text, " ")
    return set(re.findall(r"[A-Za-z][A-Za-z_@]+", report)) - NAMES


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


@pytest.mark.slow
def test_eval_cli_puts_splits_side_by_side_with_paraphrase_agreement(real_assistant, tmp_path):
    test_lines = TEST.read_text(encoding="utf-8").splitlines()[:3]
    ids = {json.loads(line)["id"] for line in test_lines}
    rewordings = [line for line in (ROOT / "evals" / "tacheng_plan_qa.paraphrase.jsonl").read_text(
        encoding="utf-8").splitlines() if json.loads(line)["paraphrase_of"] in ids]
    (tmp_path / "t.jsonl").write_text("\n".join(test_lines) + "\n", encoding="utf-8")
    (tmp_path / "p.jsonl").write_text("\n".join(rewordings) + "\n", encoding="utf-8")
    config = tmp_path / "assistant.toml"
    config.write_text(f'index_dir = "{real_assistant.settings.index_dir}"\n', encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "assistant", "--config", str(config), "eval", str(tmp_path / "t.jsonl"),
                          str(tmp_path / "p.jsonl"), "--report", str(tmp_path / "out")],
                         capture_output=True, text=True, check=True)
    assert "各评测集对照" in out.stdout and "改写一致率" in out.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert set(report["splits"]) == {"t.jsonl", "p.jsonl"} and "overall" in report["metrics"]
    assert report["paraphrase"]["questions"] == 3 and len(rewordings) == 6
    assert "state_related" in report["metrics"]["overall"]


PLANS = ROOT.parent / "shared" / "plans"


@pytest.mark.skipif(not PLANS.is_dir(), reason="shared/plans is not beside the checkout")
def test_a_draft_eval_set_for_an_added_plan_is_valid_and_answered(tmp_path):
    import shutil

    from assistant import Assistant, Settings
    from assistant.drafts import draft_items, write_draft
    from assistant.text import contains_fact, is_verbatim

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    shutil.copy(PLANS / "fujian_14th_fyp_energy_saving_emission_reduction.pdf", corpus)
    assistant = Assistant(Settings.load(env={}, corpus_dir=corpus, index_dir=tmp_path / "index",
                                        embedding_backend="hash"))
    doc = "fujian_14th_fyp_energy_saving_emission_reduction"
    items = draft_items(assistant, doc)
    assert {i["type"] for i in items} >= {"fact", "department", "section"} and all(i["generated"] for i in items)
    text = assistant.documents[doc].text
    assert all(is_verbatim(e, text) for i in items for e in i["evidence"])
    facts = [i for i in items if i["type"] == "fact"]  # each item's evidence holds its key fact, asked with the plan's verb
    assert all(contains_fact(" ".join(i["evidence"]), i["key_facts"][0]) for i in facts)
    assert any(i["question"].endswith("要下降多少？") for i in facts)
    loaded = load_eval_set(write_draft(items, tmp_path / "draft.jsonl"))  # the eval format
    summary = metrics(run_eval(assistant, loaded, docs=[doc]))["overall"]
    assert summary["citation_validity"] == 1.0 and summary["key_fact_recall"] >= 0.6, summary


def test_a_folder_or_an_overlong_name_given_as_an_eval_set_is_refused_plainly(tmp_path):
    from assistant.errors import EvalSetError
    from assistant.evaluate import load_eval_set

    (tmp_path / "x.jsonl").mkdir()
    with pytest.raises(EvalSetError, match="文件夹"):
        load_eval_set(tmp_path / "x.jsonl")
    with pytest.raises(EvalSetError, match="无法打开|找不到"):
        load_eval_set(tmp_path / ("评" * 120 + ".jsonl"))
