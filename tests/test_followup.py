import pytest

from assistant.understand import SectorMap, rewrite_follow_up

from .conftest import ROOT

SECTORS = SectorMap.load(ROOT / "assistant" / "data" / "departments.toml")


@pytest.mark.parametrize("previous,follow_up,expected", [
    ("交通领域有哪些目标？", "那建筑呢？", "建筑领域有哪些目标？"),
    ("交通领域有哪些目标？", "公共机构呢", "公共机构领域有哪些目标？"),
    ("交通局要完成哪些指标", "那住建局呢？", "住建局要完成哪些指标"),
    ("工业领域有哪些目标", "还有农业农村呢", "农业农村领域有哪些目标"),
    ("大宗固废综合利用率到2025年要达到多少？", "这个指标是哪年的？", "大宗固废综合利用率指标是哪年的？"),
    ("交通领域有哪些目标？", "这个领域的目标是哪年的？", "交通领域的目标是哪年的？"),
])
def test_follow_up_patterns(previous, follow_up, expected):
    assert rewrite_follow_up(follow_up, [(previous, "…")], SECTORS) == expected


@pytest.mark.parametrize("question", ["数据中心PUE有什么要求", "大宗固废综合利用率要达到多少？"])
def test_standalone_questions_are_not_rewritten(question):
    assert rewrite_follow_up(question, [("交通领域有哪些目标？", "…")], SECTORS) is None
    assert rewrite_follow_up(question, [], SECTORS) is None


def test_facade_answers_the_follow_up_and_shows_the_rewrite(real_assistant):
    answer = real_assistant.ask("那建筑呢？", history=[("交通领域有哪些目标？", "…")])
    assert answer.rewritten_question == "建筑领域有哪些目标？"
    assert answer.found and "城镇新建建筑中绿色建筑面积占比" in answer.text
    assert answer.to_json()["rewritten_question"] == "建筑领域有哪些目标？"
