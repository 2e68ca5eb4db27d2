"""Eval sets by plan: a folder listing plans split into dev and test, one set per plan, one
command over a split's plans indexed together."""

import json
import subprocess
import sys

import pytest

from assistant.errors import EvalSetError
from assistant.evaluate import _judge, metrics
from assistant.plan_evals import by_plan, load_split, split_items, split_settings
from assistant.settings import Settings
from assistant.types import Answer, Document, DocumentMeta, EvalItem, Source

from .conftest import ROOT

NORTH = "甲市节能方案\n一、主要目标\n到2025年，甲市单位地区生产总值能耗下降14%。\n二、保障措施\n（一）加强组织领导。市发展改革委牵头。\n"
SOUTH = "乙省节能方案\n一、主要目标\n到2025年，乙省单位地区生产总值能耗下降13.5%。\n二、保障措施\n（一）加强组织领导。省发展改革委牵头。\n"


def _item(**fields) -> str:
    row = {"id": "q1", "question": "甲市能耗强度降多少？", "type": "fact", "answerable": True,
           "key_facts": ["14%"], "evidence": ["甲市单位地区生产总值能耗下降14%"]}
    return json.dumps(row | fields, ensure_ascii=False)


@pytest.fixture
def plan_folder(tmp_path):
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "north.txt").write_text(NORTH, encoding="utf-8")
    (plans / "south.txt").write_text(SOUTH, encoding="utf-8")
    folder = tmp_path / "evals"
    folder.mkdir()
    (folder / "plans.toml").write_text('plans_dir = "../plans"\n[split]\ndev = ["north.txt"]\ntest = ["south.txt"]\n',
                                       encoding="utf-8")
    (folder / "north.dev.jsonl").write_text(_item() + "\n" + _item(
        id="q2", question="甲市方案里的碳排放强度目标？", type="out_of_scope", answerable=False, key_facts=[],
        evidence=[]) + "\n", encoding="utf-8")
    (folder / "south.test.jsonl").write_text(_item(question="乙省能耗强度降多少？", key_facts=["13.5%"],
                                                   evidence=["乙省单位地区生产总值能耗下降13.5%"]) + "\n",
                                             encoding="utf-8")
    (folder / "cross-x.test.jsonl").write_text(_item(id="x1", key_facts=["13.5%"], plans=["south"],
                                                     evidence=["乙省单位地区生产总值能耗下降13.5%"]) + "\n",
                                               encoding="utf-8")
    return folder


def test_a_split_lists_its_plans_and_sets(plan_folder):
    dev = load_split(plan_folder, "dev")
    assert [p.name for p in dev.plans] == ["north.txt"] and [s.name for s in dev.sets] == ["north.dev.jsonl"]
    test = load_split(plan_folder, "test")
    assert sorted(s.name for s in test.sets) == ["cross-x.test.jsonl", "south.test.jsonl"]
    sets = split_items(test, Settings.load(env={}))
    assert [i.plans for i in sets["south.test.jsonl"]] == [("south",)]  # the plan of the file
    assert [i.plans for i in sets["cross-x.test.jsonl"]] == [("south",)]  # as the item names them


def test_a_split_with_its_own_folder_finds_its_plans_there(plan_folder):
    shipped = plan_folder / "last"
    shipped.mkdir()
    (shipped / "east.txt").write_text(NORTH.replace("甲市", "丙市"), encoding="utf-8")
    listing = plan_folder / "plans.toml"
    listing.write_text(listing.read_text(encoding="utf-8").replace("[split]", '[split_dirs]\nlast = "last"\n[split]')
                       + 'last = ["east.txt"]\n', encoding="utf-8")
    (plan_folder / "east.last.jsonl").write_text(_item(question="丙市能耗强度降多少？") + "\n", encoding="utf-8")
    last = load_split(plan_folder, "last", plans_dir=plan_folder / "elsewhere")  # --plans is for the other splits
    assert last.plans == ((shipped / "east.txt").resolve(),)
    assert [p.name for p in load_split(plan_folder, "dev").plans] == ["north.txt"]


def test_split_errors_say_what_is_missing(plan_folder, tmp_path):
    with pytest.raises(EvalSetError, match="没有 “final” 组"):
        load_split(plan_folder, "final")
    with pytest.raises(EvalSetError, match="--plans"):
        load_split(plan_folder, "dev", plans_dir=tmp_path / "nowhere")
    (plan_folder / "west.dev.jsonl").write_text(_item() + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match="west.dev.jsonl 对应的规划不在清单"):
        load_split(plan_folder, "dev")
    (plan_folder / "west.dev.jsonl").unlink()
    (plan_folder / "cross-y.dev.jsonl").write_text(_item() + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match="缺少 plans 字段"):
        split_items(load_split(plan_folder, "dev"), Settings.load(env={}))


def test_split_corpus_holds_exactly_the_split_plans(plan_folder, tmp_path):
    settings = Settings.load(env={}, plan_eval_dir=tmp_path / "work")
    dev = split_settings(settings, load_split(plan_folder, "dev"))
    assert sorted(p.name for p in dev.corpus_dir.iterdir()) == ["north.txt"]
    (dev.corpus_dir / "old.txt").write_text(SOUTH, encoding="utf-8")  # a plan dropped from the split
    again = split_settings(settings, load_split(plan_folder, "dev"))
    assert sorted(p.name for p in again.corpus_dir.iterdir()) == ["north.txt"]
    assert again.index_dir == tmp_path / "work" / "dev" / "index"


def _document(doc_id: str, text: str) -> Document:
    return Document(doc_id=doc_id, path=f"{doc_id}.txt", text=text, meta=DocumentMeta(title=doc_id))


def test_the_right_source_is_in_the_plan_asked_about():
    shared = "加强组织领导"  # printed in both plans
    documents = {"north": _document("north", NORTH), "south": _document("south", SOUTH)}
    item = EvalItem(id="q", question="甲市怎么加强组织领导？", type="fact", answerable=True,
                    key_facts=(shared,), evidence=(shared,), plans=("north",))
    start = SOUTH.index(shared)
    wrong = Source(doc="south", title="乙", section="二", quote=shared, score=1.0, start=start, end=start + 6)
    answer = Answer(question=item.question, text=shared, found=True, sources=(wrong,), confidence=0.9)
    assert _judge(item, answer, 1.0, documents).source_right is False
    start = NORTH.index(shared)
    right = Source(doc="north", title="甲", section="二", quote=shared, score=1.0, start=start, end=start + 6)
    answer = Answer(question=item.question, text=shared, found=True, sources=(right,), confidence=0.9)
    assert _judge(item, answer, 1.0, documents).source_right is True


def test_confident_wrong_counts_sure_answers_that_miss():
    documents = {"north": _document("north", NORTH)}
    item = EvalItem(id="q", question="甲市降多少？", type="fact", answerable=True, key_facts=("14%",),
                    evidence=("甲市单位地区生产总值能耗下降14%",), plans=("north",))
    unasked = EvalItem(id="u", question="甲市碳排放强度？", type="out_of_scope", answerable=False, plans=("north",))

    def judged(question, text, found, confidence):
        return _judge(question, Answer(question=question.question, text=text, found=found, confidence=confidence),
                      1.0, documents)

    results = [judged(item, "下降14%", True, 0.95),  # right
               judged(item, "加强组织领导", True, 0.9),  # sure and wrong
               judged(item, "加强组织领导", True, 0.5),  # wrong, but not sure
               judged(unasked, "能耗下降14%", True, 0.85),  # answered what the plan does not say
               judged(unasked, "规划中未找到", False, 0.1)]
    assert [r.confident_wrong for r in results] == [False, True, False, True, False]
    assert metrics(results)["overall"]["confident_wrong"] == 0.4
    assert by_plan(results, metrics)["north"]["questions"] == 5


def test_the_plan_listing_names_real_files():
    """The project's own listing: every plan is a shared PDF, in one split only, and has a set."""
    folder = ROOT / "evals" / "plans"
    dev, test = load_split(folder, "dev"), load_split(folder, "test")
    assert len(dev.plans) >= 14 and len(test.plans) >= 6
    assert not {p.name for p in dev.plans} & {p.name for p in test.plans}
    for split in (dev, test):
        with_sets = {s.name.split(f".{split.name}")[0] for s in split.sets}
        assert {p.stem for p in split.plans} <= with_sets
        for items in split_items(split, Settings.load(env={})).values():
            assert len(items) >= 6


def test_eval_cli_runs_a_split_and_reports_by_plan(plan_folder, tmp_path):
    config = tmp_path / "assistant.toml"
    config.write_text(f'embedding_backend = "hash"\nplan_eval_dir = "{tmp_path / "work"}"\n', encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "assistant", "--config", str(config), "eval", str(plan_folder),
                          "--split", "dev", "--report", str(tmp_path / "out")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "## 各规划" in out.stdout and "| north |" in out.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert set(report["plans"]) == {"north"} and report["metrics"]["overall"]["questions"] == 2
    assert report["items"][0]["plans"] == ["north"]


PLANS = ROOT.parent / "shared" / "plans"
# The CI gate on the held-out test plans (their questions only; rewordings are reported, not gated):
# a little below what was measured (stop 41: key facts .921, right source .930, abstention .909,
# answerable 未找到 .022, confident wrong .059), so that a regression fails the build.
TEST_PLANS_GATE = {"key_fact_recall": 0.90, "right_source": 0.91, "abstention_accuracy": 0.89,
                   "citation_validity": 1.0, "number_faithfulness": 1.0}
TEST_PLANS_CEILING = {"answerable_not_found": 0.04, "confident_wrong": 0.07}


@pytest.mark.slow
@pytest.mark.skipif(not PLANS.is_dir(), reason="shared/plans is not beside the checkout")
def test_the_held_out_test_plans_keep_their_measured_accuracy(tmp_path_factory):
    from assistant import Assistant
    from assistant.evaluate import run_eval

    split = load_split(ROOT / "evals" / "plans", "test", PLANS)
    settings = split_settings(Settings.load(env={}, plan_eval_dir=tmp_path_factory.mktemp("plan-evals")), split)
    assistant = Assistant(settings)
    assistant.ensure()
    items = [i for name, rows in split_items(split, settings).items() if "-paraphrase" not in name for i in rows]
    overall = metrics(run_eval(assistant, items))["overall"]
    assert overall["questions"] >= 200
    for name, floor in TEST_PLANS_GATE.items():
        assert overall[name] >= floor, (name, overall[name])
    for name, ceiling in TEST_PLANS_CEILING.items():
        assert overall[name] <= ceiling, (name, overall[name])
