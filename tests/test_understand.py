"""understand: how a question in several clauses is split into the parts it asks."""

import pytest

from assistant.segment import Segmenter
from assistant.structure import AskCues
from assistant.understand import split_parts

from .conftest import ROOT

CUES = AskCues.load(ROOT / "assistant" / "data" / "ask_cues.toml")


@pytest.fixture(scope="module")
def segmenter():
    return Segmenter(ROOT / "assistant" / "data" / "userdict.txt", ROOT / "assistant" / "data" / "synonyms.txt")


def test_a_clause_that_asks_nothing_sets_the_scene_of_the_next(segmenter):
    assert split_parts("住建口子上，城镇新建建筑中绿色建筑面积占比要到多少？", segmenter, CUES) == [
        "住建口子上，城镇新建建筑中绿色建筑面积占比要到多少？"]


def test_a_later_part_names_its_alternative_in_the_place_of_the_first(segmenter):
    first, second = split_parts("公共机构人均综合能耗十三五降了多少，十四五要降多少", segmenter, CUES)
    assert "十四五" in second and "十三五" not in second and "能耗" in second  # borrows the subject, not the period


def test_things_joined_by_and_each_get_the_shared_ask(segmenter):
    parts = split_parts("到2025年，再生资源回收利用率和大宗固废综合利用率分别要达到多少", segmenter, CUES)
    assert len(parts) == 2 and all(p.startswith("到2025年，") and p.endswith("要达到多少") for p in parts)


def test_filler_phrases_go_only_as_runs_of_whole_words(segmenter):
    filler = frozenset({"想了解", "麻烦", "问下", "一下"})
    assert segmenter.without("想了解一下，2020年能耗增量是多少", filler) == "2020年能耗增量是多少"
    assert segmenter.without("要了解下面的情况", frozenset({"了解下"})) == "要了解下面的情况"  # 了解|下面: no run


def test_things_compared_each_get_the_ask_that_follows_them(segmenter):
    assert split_parts("锅炉改造和照明改造哪个节能量大", segmenter, CUES) == ["锅炉改造哪个节能量大", "照明改造哪个节能量大"]
    high = split_parts("公共建筑能效提升改造面积和绿色建筑面积占比，2025年目标各是多少", segmenter, CUES)
    assert high == ["公共建筑能效提升改造面积，2025年目标各是多少", "绿色建筑面积占比，2025年目标各是多少"]

    # a trailing clause that names nothing (多出几成) does not undo the split; 谁…多 and vs compare too
    assert split_parts("余热回收和锅炉改造，谁节能多？多出几成？", segmenter, CUES) == [
        "余热回收，谁节能多，多出几成", "锅炉改造，谁节能多，多出几成"]
    assert split_parts("风电vs光伏谁装机多", segmenter, CUES) == ["风电谁装机多", "光伏谁装机多"]


def test_things_joined_by_and_share_what_the_last_adds_after_a_name_of_the_same_kind(segmenter):
    assert split_parts("阿勒泰县和和静县光伏电站装机容量分别多大", segmenter, CUES) == [
        "阿勒泰县光伏电站装机容量分别多大", "和静县光伏电站装机容量分别多大"]  # 和静县 begins with 和
    assert split_parts("沙湾市和乌苏市的天然气管网分别建多长", segmenter, CUES) == [
        "沙湾市的天然气管网分别建多长", "乌苏市的天然气管网分别建多长"]


def test_a_question_mark_mid_question_ends_one_ask(segmenter):
    assert split_parts("城区绿色出行分担率要到多少？公交车应用比例呢？", segmenter, CUES) == [
        "城区绿色出行分担率要到多少？", "公交车应用比例呢？"]
    assert split_parts("城区绿色出行分担率？公共机构人均能耗？", segmenter, CUES) == [
        "城区绿色出行分担率？", "公共机构人均能耗？"]  # each asks by its question mark alone
    assert split_parts("城区绿色出行分担率要到多少？", segmenter, CUES) == ["城区绿色出行分担率要到多少？"]


def test_a_compare_by_which_is_larger_splits_even_with_words_between(segmenter):
    assert split_parts("电机改造和照明改造，哪个规划的累计节能量更大", segmenter, CUES) == [
        "电机改造，哪个规划的累计节能量更大", "照明改造，哪个规划的累计节能量更大"]


def test_an_amount_asked_of_two_things_joined_by_and_is_asked_of_each(segmenter):
    assert split_parts("新建停车场充电桩比例和节水器具普及率要达到多少", segmenter, CUES) == [
        "新建停车场充电桩比例要达到多少", "节水器具普及率要达到多少"]


def test_an_and_inside_a_plans_title_joins_no_two_things(segmenter):
    titles = ("“十四五”土壤、地下水和农村生态环境保护规划",)
    question = "这个土壤地下水和农村规划对农村卫生厕所普及率2025年要求达到多少"
    assert split_parts(question, segmenter, CUES, titles) == [question]
    assert len(split_parts(question, segmenter, CUES)) == 2  # without the titles it reads as two things
    assert split_parts("土壤地下水和农村规划里秸秆利用率和农膜回收率要达到多少", segmenter, CUES, titles) == [
        "土壤地下水和农村规划里秸秆利用率要达到多少", "农膜回收率要达到多少"]
