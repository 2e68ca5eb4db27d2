"""The failure classes of questions worded by users, each on questions that are in no eval
set (checked by the last test): other words, department wording, outlines, tables,
document facts, premises that do not exist, standalone questions after a follow-up, the
plan's asks over its review of the past, and restatements of one indicator."""

import json

import pytest

from .conftest import ROOT

QUESTIONS = {
    "other_words": ["麻烦问下呀，大宗固废综合利用率到时候得弄到多少", "大宗固废综和利用率得到多少",
                    "大宗固废综合利用律到时候要多少"],
    "other_verb": ["配电系统里要推广应用的节能技术设备有哪些"],
    "department": ["地区交通运输局口子上要考核什么指标", "住建局牵头落实哪些目标",
                   "发展改革委负责的能源结构目标是啥呀"],
    "department_plan_words": ["交通局这边在十四五节能规划里要我们落实哪些量化目标"],  # the plan's own name names nothing  # 发展…目标 is no heading of 发展目标 here
    "outline": ["发展现状部分写了哪几方面", "第五章下面分成哪几块", "重点工程包括哪些"],
    "outline_subsections": ["主要任务这一章分了多少个小节"],
    "outline_whole": ["这份规划全文由哪几部分组成", "规划正文包括哪几章", "整份规划分了几大块，每块叫什么名字"],
    "outline_count_and_item": ["主要任务一共有几项，第三项是什么"],
    "outline_chapter_named": ["保障措施那一章提到的五个方面都是什么"],
    "outline_with_box": ["工业节能那一节下设哪几项任务"],
    "outline_of_sector_section": ["循环经济促进节能这一节下设哪些任务"],
    "box_numeral": ["专栏四里锅炉改造累计节能量是多少"],
    "compare_two_headings": ["照明灯具改造跟锅炉节能改造两项里哪一项的节能量更大"],
    "synonym_share": ["2020年时新能源占能源消费总量比重为多少"],
    "outline_worded": ["保障措施一共分了几个方面，分别是啥", "总体要求那三个部分是什么", "强化监督考核这部分的重点工作都有哪些"],
    "not_outline": ["哪些园区要建设循环化改造示范试点", "新能源项目建设的推进路径共有几条呀"],
    "table": ["2015至2017年石油消费分别是多少", "表1中2018年各能源品种的数字", "能源品种消费情况表中2016年那一栏的数"],
    "table_extreme": ["煤炭消耗量在哪一年最高", "表1里哪年石油用得最少"],
    "table_pointing": ["表1倒数第一列也就是2019年的那些数", "表1的计量单位是什么", "表2各项指标用的啥单位"],
    "table_number_then_year": ["表2 25年公共机构人均综合能耗累计下降率定的多少"],
    "table_synonym": ["单位GDP能耗累计降幅同规上工业增加值能耗累计降幅各定了多少"],
    "compared_part": ["大宗固废综合利用率到2025年要达到多少，跟自治区的要求一样吗"],
    "table_row_of_table": ["表中“煤炭”一行的数值是多少？", "表里石油那一行是多少"],
    "table_group": ["表2中公共机构这一组指标各定了多少"],
    "table_caption": ["2017年各种能源品种消费了多少"],
    "table_kind": ["公共建筑能效提升改造面积每平方米奖励多少元"],
    "doc_fact": ["这份规划的发文字号是什么", "这个规划是哪家单位发的", "规划印发给了哪些单位", "这份规划是经过谁同意后印发的",
                 "规划是哪个单位印发的，发文字号又是什么"],
    "premise": ["表1里2022年的消费数据", "表2里2030年的目标值是多少"],
    "item_premise": ["保障措施里第九条讲的是什么", "重点工程的第二项下面有哪些内容", "保障措施第（八）条要求做什么工作"],
    "part_premise": ["保障措施里“健全节能法规标准”这一节都写了哪些", "主要任务里“加强交通运输节能减排”这一节讲了哪几方面"],
    "past": ["十四五期间要淘汰哪些落后产能", "十三五那几年规模以上工业增加值能耗累计降幅多大"],
    "target_year": ["到2030年公共机构人均综合能耗要在2025年基础上再降几个百分点"],
    "place": ["额敏县分到的公共建筑能效提升改造面积目标是多少", "托里县十四五的能耗强度降幅目标定了多少"],
    "year": ["天然气在2020年的能源消费里占多少"],
    "items": ["塔城的“两群三带”产业布局具体指什么"],
    "box_trap": ["专栏9燃气项目里额敏县的天然气管网哪一年建成"],
    "box_list": ["专栏1里的新能源基础设施项目包括哪些"],
    "pairing": ["交通运输局要落实哪些指标"],
    "tasks_worded": ["住建局这边要干哪些事", "交通运输局要干哪些节能的活", "农业农村局有啥节能活儿"],
    "plan_end_year": ["到2025年在推广国六排放标准车辆方面要做什么"],
    "plan_end_amount": ["到2025年国六排放标准营运车辆要推广多少辆"],
    "lexical_only_word": ["区域能评有什么要求呀"],
    "lead_sentence": ["公共机构开展绿色办公行动有哪些做法"],
    "year_asked": ["十四五是给哪两件大事打基础的关键期，年份分别是多少"],
    "outline_chapter_listed": ["重点工程这章安排了几个工程，列一下名称"],
    "box_amount_missing": ["专栏4照明灯具改造要投入多少资金"],
    "about_words": ["规划里和能源统计有关的要求有哪些"],
    "field": ["审计局在这份规划里要做哪些工作", "跟我们审计局有关的任务有啥", "审计局这边涉及哪些审计方面的工作"],
}


@pytest.fixture(scope="module")
def ask(real_assistant):
    return real_assistant.ask


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS["other_words"])
def test_everyday_words_typos_and_filler_still_find_the_answer(ask, question):
    answer = ask(question)
    assert answer.found and "40%" in answer.text


@pytest.mark.slow
def test_a_sentence_holding_the_rarest_words_comes_before_one_holding_only_the_verb(ask):
    devices = ask(QUESTIONS["other_verb"][0])  # 推广应用 is printed beside other devices too
    assert devices.found and devices.sources[0].quote.startswith("配电系统：")


@pytest.mark.slow
@pytest.mark.parametrize("question,sector_value", zip(QUESTIONS["department"], ["60%", "100万平方米", "35%左右"], strict=True))
def test_department_questions_worded_freely_get_the_sector_list(ask, question, sector_value):
    answer = ask(question)
    assert answer.found and answer.intent == "sector_targets"
    assert sector_value in answer.text


@pytest.mark.slow
def test_outline_of_any_heading_lists_its_children_in_order(ask):
    answer = ask(QUESTIONS["outline"][0])
    assert answer.intent == "outline" and answer.found
    lines = answer.text.splitlines()[1:]
    # each item is its heading, then the first sentence under it (issue 29)
    assert lines[0].startswith("· 1. 节能工作机制达到新高度 “十三五”时期") and lines[1].startswith("· 2.产业结构和能源结构获得新发展")
    assert len(lines) == 5 and "五项" in answer.text.splitlines()[0]
    chapter = ask(QUESTIONS["outline"][1])
    assert chapter.intent == "outline" and "（一）加强组织领导" in chapter.text and "（五）加强兵地融合" in chapter.text
    works = ask(QUESTIONS["outline"][2])
    assert works.intent == "outline" and sum("工程" in line[:20] for line in works.text.splitlines()[1:]) >= 10
    for a in (answer, chapter, works):
        assert all(s.section for s in a.sources)


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS["outline_whole"])
def test_the_outline_of_the_plan_itself_is_its_chapters_in_order(ask, question):
    answer = ask(question)
    assert answer.intent == "outline" and answer.found
    items = [line.split("[")[0] for line in answer.text.splitlines()[1:]]
    assert items == ["· 一、发展基础", "· 二、总体要求", "· 三、主要任务", "· 四、重点工程", "· 五、保障措施"]
    assert "节能规划" in answer.sources[0].quote  # the title line of its 正文, quoted


@pytest.mark.slow
def test_a_count_asked_with_an_ordinal_gets_the_whole_list(ask):
    answer = ask(QUESTIONS["outline_count_and_item"][0])  # 几项 and 第三项: the list answers both
    assert answer.intent == "outline" and "三、主要任务" in answer.sources[0].quote
    assert "（三）加强建筑领域节能减排" in answer.text and "加快推进结构调整" in answer.text


@pytest.mark.slow
def test_a_chapter_pointed_at_by_name_asks_its_outline(ask):
    answer = ask(QUESTIONS["outline_chapter_named"][0])  # “那一章…都是什么”
    assert answer.intent == "outline" and "（一）加强组织领导" in answer.text


@pytest.mark.slow
def test_a_section_written_as_paragraphs_with_a_box_set_in_lists_its_paragraphs_and_the_box(ask):
    answer = ask(QUESTIONS["outline_with_box"][0])
    assert answer.intent == "outline" and answer.text.startswith("“(二) 加强工业领域节能减排”")
    assert "推动重点行业低碳转型" in answer.text and "专栏 2 工业领域节能减排重点措施" in answer.text


@pytest.mark.slow
def test_an_outline_asked_of_a_sector_is_that_of_its_closest_section(ask):
    answer = ask(QUESTIONS["outline_of_sector_section"][0])  # 循环经济: 三(八) and 四(四); 那节 is the task
    assert answer.intent == "outline" and "深化循环经济助力节能" in answer.sources[0].quote
    assert "加强大宗固废综合利用" in answer.text


@pytest.mark.slow
def test_a_share_asked_in_a_synonym_finds_the_sentence_of_its_year(ask):
    answer = ask(QUESTIONS["synonym_share"][0])  # 比重 is 比例 (assistant/data/synonyms.txt): the 2020 sentence, not the 2025 target
    assert answer.found and "6.7%" in answer.text


@pytest.mark.slow
def test_two_headings_compared_are_each_answered_not_the_outline_of_one(ask):
    answer = ask(QUESTIONS["compare_two_headings"][0])
    assert answer.found and "1万吨标准煤" in answer.text and "2万吨标准煤" in answer.text


@pytest.mark.slow
def test_a_box_numbered_in_chinese_is_found_by_its_number(ask):
    answer = ask(QUESTIONS["box_numeral"][0])  # 专栏四 is 专栏4
    assert answer.found and "2万吨标准煤" in answer.text and "专栏4" in answer.sources[0].quote


@pytest.mark.slow
def test_an_outline_asked_in_other_words_lists_the_headings_not_their_paragraphs(ask):
    measures = ask(QUESTIONS["outline_worded"][0])  # “分别是啥” asks names, not amounts
    assert measures.intent == "outline"
    first, second = measures.text.splitlines()[1:3]  # the headings in order, each with its opening sentence
    assert first.startswith("· （一）加强组织领导 ") and second.startswith("· （二）强化监督考核")
    general = ask(QUESTIONS["outline_worded"][1])  # “那三个部分”
    assert general.intent == "outline" and "指导思想" in general.text and "发展目标" in general.text
    review = ask(QUESTIONS["outline_worded"][2])  # “这部分的重点工作”: the heading’s contents
    assert review.intent == "outline" and "强化监督考核" in review.text.splitlines()[0]


@pytest.mark.slow
def test_a_list_question_about_a_headings_subject_is_no_outline(ask):
    parks = ask(QUESTIONS["not_outline"][0])  # 哪 … 试点: no “哪几点”
    assert parks.intent != "outline" and "乌苏工业园区" in parks.text
    # a heading that holds only some of the asked words (2.智慧能源项目) is no outline asked for
    paths = ask(QUESTIONS["not_outline"][1])
    assert paths.intent != "outline" and paths.found and "7条" in paths.text


@pytest.mark.slow
def test_a_question_naming_a_year_is_answered_by_that_years_sentence(ask):
    gas = ask(QUESTIONS["year"][0])
    assert gas.found and "9.1%" in gas.text and "2020" in gas.sources[0].quote


@pytest.mark.slow
def test_a_sentence_that_announces_a_list_is_quoted_with_its_items(ask):
    layout = ask(QUESTIONS["items"][0])
    assert layout.found and "一是“乌-沙-托-和”产业集群" in layout.text and "二是“塔—额—裕”产业集群" in layout.text
    assert "巴克图口岸经济带" in layout.text  # the last item runs on past the chunk the first ones are in


@pytest.mark.slow
def test_a_box_answers_what_it_lists_but_not_a_time_or_a_word_it_lacks(ask):
    assert ask(QUESTIONS["box_list"][0]).found  # 包括 asks, it is no word the plan must hold
    when = ask(QUESTIONS["box_trap"][0])
    assert not when.found  # 专栏9 gives no year for it


@pytest.mark.slow
def test_table_cells_across_a_row_and_down_a_column(ask):
    oil = ask(QUESTIONS["table"][0])
    assert oil.intent == "table" and "2015：83.6" in oil.text and "2016：141.3" in oil.text and "2017：96" in oil.text
    assert any(s.quote.startswith("能源类型") for s in oil.sources)  # the header is cited
    column = ask(QUESTIONS["table"][1])
    assert column.intent == "table"
    for value in ("429.8", "96", "73.3", "47.7/10.9", "60.47"):
        assert value in column.text
    by_title = ask(QUESTIONS["table"][2])  # named by its title, not 表1
    assert by_title.found and by_title.intent == "table"
    for value in ("453.9", "141.3", "74.1", "29.1/7.6", "34.54"):
        assert value in by_title.text


@pytest.mark.slow
def test_the_extreme_of_a_row_is_its_cells_with_the_highest_or_lowest_named(ask):
    coal = ask(QUESTIONS["table_extreme"][0])
    assert coal.found and coal.intent == "table"
    assert "2016：453.9" in coal.text and "其中最高：2019：497.3" in coal.text
    oil = ask(QUESTIONS["table_extreme"][1])
    assert oil.found and "其中最低：2019：76.1" in oil.text


@pytest.mark.slow
def test_words_that_only_point_at_a_column_are_no_missing_row_and_a_unit_is_asked_of_the_title(ask):
    column = ask(QUESTIONS["table_pointing"][0])  # 倒数第一列 names no row the table lacks
    assert column.found and column.intent == "table" and "61.9" in column.text and "没有问题所问" not in column.text
    unit = ask(QUESTIONS["table_pointing"][1])
    assert unit.found and any("万吨标准煤，亿千瓦时" in s.quote for s in unit.sources)
    units = ask(QUESTIONS["table_pointing"][2])  # a unit column: each row's unit, quoted
    assert units.found and "公共建筑能效提升改造面积：万平方米" in units.text


@pytest.mark.slow
def test_a_table_number_followed_by_a_year_is_that_table(ask):
    answer = ask(QUESTIONS["table_number_then_year"][0])  # 表2 25年 is no 表225
    assert answer.found and answer.intent == "table" and "6%" in answer.text


@pytest.mark.slow
def test_a_row_is_named_by_a_synonym_when_the_typed_words_already_name_much_of_it(ask):
    answer = ask(QUESTIONS["table_synonym"][0])  # GDP is 地区生产总值, 规上 is 规模以上
    assert answer.found and answer.intent == "table" and "13.5%" in answer.text and "16%" in answer.text


def test_a_synonym_does_not_make_a_row_of_a_question_sharing_little_with_it():
    from assistant.structure import _row_named

    def canonical(text):
        return text.replace("GDP", "地区生产总值")

    assert _row_named("单位gdp能耗累计降幅".replace("gdp", "GDP"), "单位地区生产总值能耗累计降幅", canonical)
    assert not _row_named("单位GDP二氧化碳排放下降", "单位地区生产总值能耗累计降幅", canonical)
    # a short label: the words as typed hold one pair in three (电力), synonyms the rest
    assert _row_named("电力调入调出在表1里", "电力输入/出", lambda t: t.replace("调入", "输入").replace("调出", "输出"))
    assert not _row_named("电力调入调出在表1里", "电力输入/出")


@pytest.mark.slow
def test_each_row_of_a_table_named_by_its_title_without_the_word_table(ask):
    answer = ask(QUESTIONS["table_caption"][0])  # 能源品种…消费: the title of 表1, less 塔城地区
    assert answer.found and answer.intent == "table"
    assert "468.8" in answer.text and "38.2/11.2" in answer.text and "453.9" not in answer.text


@pytest.mark.slow
def test_a_part_setting_the_answer_beside_something_the_plan_does_not_state_is_named_as_missing(ask):
    answer = ask(QUESTIONS["compared_part"][0])  # the figure, then the comparison the plan cannot answer
    assert answer.found and "40%" in answer.text
    assert "问题中“跟自治区的要求一样吗”这一部分，规划中未找到相关内容。" in answer.text
    # a part whose words were put right (能原 → 能源) is not named in words the user never wrote
    typo = ask("大宗固废综合利用率到2025年要达到多少，跟自治区的能原要求一样吗")
    assert "40%" in typo.text and "能源要求" not in typo.text
    assert typo.text.splitlines()[-1] == "问题的其余部分，规划中未找到相关内容。"


@pytest.mark.slow
def test_a_short_row_label_in_a_question_that_says_it_asks_of_a_table_asks_the_rows_values(ask):
    coal = ask(QUESTIONS["table_row_of_table"][0])  # 煤炭 alone is a topic; 表中…一行 makes it the row
    assert coal.found and coal.intent == "table"
    assert all(v in coal.text for v in ("489.6", "453.9", "468.8", "429.8", "497.3"))
    oil = ask(QUESTIONS["table_row_of_table"][1])
    assert oil.found and oil.intent == "table" and "2016：141.3" in oil.text and "2019：76.1" in oil.text


@pytest.mark.slow
def test_a_group_label_of_a_named_table_asks_the_rows_under_it(ask):
    group = ask(QUESTIONS["table_group"][0])  # 公共机构 is a label the rows are printed under, no row
    assert group.found and group.intent == "table" and "5%" in group.text and "6%" in group.text
    assert "13.5" not in group.text


@pytest.mark.slow
def test_the_words_of_the_plans_title_name_no_subject_of_a_department_question(ask):
    answer = ask(QUESTIONS["department_plan_words"][0])
    assert answer.found and answer.intent == "sector_targets" and "60%" in answer.text


@pytest.mark.slow
def test_sub_sections_asked_for_are_the_chapters_outline(ask):
    answer = ask(QUESTIONS["outline_subsections"][0])
    assert answer.found and answer.intent == "outline" and "加快推进结构调整" in answer.text


@pytest.mark.slow
def test_the_year_an_amount_is_asked_for_must_be_stated_not_just_a_year_compared_with(ask):
    answer = ask(QUESTIONS["target_year"][0])  # the plan sets 2025 values only
    assert not answer.found


def test_the_year_after_dao_is_the_target_year_and_a_span_has_none():
    from assistant.understand import _TARGET_YEAR, _target_year

    assert _TARGET_YEAR.search("到2030年比2025年再降多少").group(1) == "2030"
    assert _TARGET_YEAR.search("2020年到2025年降了多少") is None
    assert _target_year("2030年能耗较2025年再降多少", ("2030", "2025")) == "2030"
    assert _target_year("2030年的时候在2025年基础上再降几个点", ("2030", "2025")) == "2030"
    assert _target_year("2015年和2020年的能耗强度", ("2015", "2020")) == ""


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS["place"])
def test_a_target_of_the_whole_region_does_not_answer_for_one_county(ask, question):
    assert not ask(question).found  # the plan sets these for 全地区 only


@pytest.mark.slow
def test_a_table_does_not_answer_a_kind_of_answer_its_cells_do_not_state(ask):
    money = ask(QUESTIONS["table_kind"][0])  # a row in 万平方米 states no sum of money
    assert not money.found and money.intent != "table"


@pytest.mark.slow
def test_document_facts_come_from_the_front_matter(ask):
    assert "塔地发改基础〔2023〕17号" in ask(QUESTIONS["doc_fact"][0]).text
    assert "发展和改革委员会" in ask(QUESTIONS["doc_fact"][1]).text
    assert "各工业园区管委会" in ask(QUESTIONS["doc_fact"][2]).text
    assert "已经行署同意" in ask(QUESTIONS["doc_fact"][3]).text
    both = ask(QUESTIONS["doc_fact"][4]).text  # two facts asked at once: both
    assert "塔地发改基础〔2023〕17号" in both and "发展和改革委员会" in both


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS["premise"])
def test_a_year_the_table_lacks_is_said_to_be_missing(ask, question):
    answer = ask(question)
    assert not answer.found and "没有问题所问的年份" in answer.text
    assert "489.6" not in answer.text and "13.5" not in answer.text  # no cells shown as if they answered


@pytest.mark.slow
def test_an_item_asked_by_its_number_is_that_item_or_said_to_be_missing(ask):
    missing = ask(QUESTIONS["item_premise"][0])  # 保障措施 has fewer items
    assert not missing.found and missing.intent == "outline" and "没有问题所问的那一项" in missing.text
    assert any("强化监督考核" in s.quote for s in missing.sources)  # what it has, each cited
    second = ask(QUESTIONS["item_premise"][1])
    assert second.found and "通用设备节能改造工程" in second.sources[0].quote  # (二): its box's items
    assert "锅炉节能改造" in second.text
    worded = ask(QUESTIONS["item_premise"][2])  # no outline cue: the ordinal alone asks an item
    assert not worded.found and worded.intent == "outline" and "没有问题所问的那一项" in worded.text


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS["tasks_worded"])
def test_what_a_department_must_do_asked_in_everyday_words_is_its_sectors_sections(ask, question):
    answer = ask(question)  # 干哪些事, 的活: what it must do, as 干什么 asks
    assert answer.found and answer.intent == "sector_tasks"


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS["field"])
def test_a_department_the_mapping_lacks_gets_what_the_plan_writes_of_its_field(ask, question):
    answer = ask(question)  # 审计局 is in no mapping; the plan writes of 能源审计
    assert answer.found and answer.intent == "field_mentions" and "“审计”" in answer.text
    assert answer.sources and all("审计" in s.quote for s in answer.sources)


@pytest.mark.slow
def test_a_part_named_in_quotes_that_the_heading_lacks_is_said_to_be_missing(ask):
    missing = ask(QUESTIONS["part_premise"][0])
    assert not missing.found and missing.intent == "outline" and "没有问题所说的“健全节能法规标准”" in missing.text
    assert any("强化监督考核" in s.quote for s in missing.sources)  # what it has, each cited
    there = ask(QUESTIONS["part_premise"][1])  # a part it has is answered
    assert there.found and "没有问题所说的" not in there.text and "智慧交通" in there.text


@pytest.mark.slow
def test_a_standalone_question_after_a_follow_up_is_not_rewritten(real_assistant):
    history = [("交通领域有哪些目标？", "…"), ("那建筑呢？", "…")]
    answer = real_assistant.ask("农业农村局在节能上要干些什么呢？", history)
    assert answer.rewritten_question is None and answer.intent == "sector_tasks"
    follow = real_assistant.ask("那建筑呢？", history[:1])
    assert follow.rewritten_question == "建筑领域有哪些目标？"


@pytest.mark.slow
def test_a_plan_question_prefers_the_plans_asks_over_its_review(ask):
    answer = ask(QUESTIONS["past"][0])
    assert answer.found
    reviews = [s for s in answer.sources if s.section.startswith("一、发展基础")]
    assert len(reviews) < len(answer.sources)


@pytest.mark.slow
def test_a_question_of_the_last_period_is_not_answered_by_the_targets_of_this_one(ask):
    answer = ask(QUESTIONS["past"][1])  # 十三五: not 表 2 “十四五”时期…目标
    assert answer.found and answer.intent != "table" and "2.09%" in answer.text
    assert "“十四五”时期" not in answer.sources[0].section


@pytest.mark.slow
def test_restatements_pair_only_the_same_indicator(ask):
    answer = ask(QUESTIONS["pairing"][0])
    assert "另一处表述（工业领域）" not in answer.text


def test_these_questions_are_in_no_eval_set():
    asked = set()
    for path in (ROOT / "evals").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                asked.add(json.loads(line).get("question", ""))
    mine = {q for qs in QUESTIONS.values() for q in qs}
    assert not mine & asked


@pytest.mark.slow
def test_a_task_asked_by_the_plans_last_year_is_answered_by_the_task_without_the_year(ask):
    answer = ask(QUESTIONS["plan_end_year"][0])  # the plan's tasks are all due by 2025
    assert answer.found and "国六排放标准" in answer.text


@pytest.mark.slow
def test_an_amount_asked_by_the_plans_last_year_still_needs_the_year_stated(ask):
    answer = ask(QUESTIONS["plan_end_amount"][0])  # the plan states no count of vehicles
    assert not answer.found


@pytest.mark.slow
def test_a_word_only_lexical_search_finds_brings_its_passage(ask):
    answer = ask(QUESTIONS["lexical_only_word"][0])
    assert answer.found and "全面推行区域能评" in answer.text


@pytest.mark.slow
def test_a_list_asked_of_a_task_named_in_a_paragraphs_lead_sentence_quotes_its_body(ask):
    answer = ask(QUESTIONS["lead_sentence"][0])  # “开展公共机构绿色办公行动。” runs into its body
    assert answer.found and "高效照明光源使用率 100%" in answer.text


@pytest.mark.slow
def test_a_year_asked_with_how_much_words_needs_no_amount_in_the_evidence(ask):
    answer = ask(QUESTIONS["year_asked"][0])  # “年份分别是多少” asks a time (assistant/data/ask_cues.toml), not an amount
    assert answer.found and "2060 年碳中和" in answer.text


@pytest.mark.slow
def test_a_chapter_pointed_at_and_asked_to_list_names_gets_its_outline(ask):
    answer = ask(QUESTIONS["outline_chapter_listed"][0])  # 这章 … 几个 / 列一下 (assistant/data/ask_cues.toml [outline])
    assert answer.intent == "outline" and "绿色数据中心示范工程" in answer.text and "园区绿色低碳发展工程" in answer.text


@pytest.mark.slow
def test_an_amount_asked_of_a_box_that_states_none_is_not_answered_by_its_list(ask):
    answer = ask(QUESTIONS["box_amount_missing"][0])  # 专栏4 states savings, no money
    assert not answer.found and "专栏4" not in answer.text


@pytest.mark.slow
def test_words_saying_what_a_question_is_about_weigh_nothing(ask):
    answer = ask(QUESTIONS["about_words"][0])  # 有关 (assistant/data/ask_cues.toml [filler]) is no word to find
    assert answer.found and "健全能源统计制度" in answer.text


def test_a_place_no_indexed_plan_is_for_or_mentions_is_a_plan_not_indexed(real_assistant):
    from assistant.understand import places_not_indexed

    documents, segmenter = real_assistant.documents, real_assistant.segmenter
    assert places_not_indexed("四川的秸秆综合利用率要到多少？", documents, segmenter) == ["四川省"]
    assert places_not_indexed("成都市的光伏目标是多少", documents, segmenter) == ["成都市"]
    assert places_not_indexed("塔城地区的能耗强度目标？", documents, segmenter) == []  # the plan's own region
    assert places_not_indexed("新疆的规划有哪些目标", documents, segmenter) == []  # the plan mentions it
    assert places_not_indexed("城市公交要怎么节能？", documents, segmenter) == []
    answer = real_assistant.ask("四川的农业农村生态环境规划里秸秆利用率要到多少？")
    assert not answer.found and "没有关于四川省的规划" in answer.text and "塔城地区“十四五”节能规划" in answer.text


def _plans(**titles):
    from assistant.frontmatter import region_of
    from assistant.types import Document, DocumentMeta

    return {d: Document(doc_id=d, path=f"{d}.txt", text=t, meta=DocumentMeta(title=t, region=region_of(t)))
            for d, t in titles.items()}


def test_a_plan_is_named_by_its_region_or_by_the_words_that_set_its_title_apart():
    from assistant.segment import Segmenter
    from assistant.understand import PlanNames

    names = PlanNames(_plans(fj="福建省“十四五”节能减排综合工作实施方案", fjh="福建省冶金、建材、石化化工行业“十四五”节能降碳实施方案",
                             ah="安徽省“十四五”节能减排实施方案", ce="“十四五”循环经济发展规划",
                             soil="“十四五”土壤、地下水和农村生态环境保护规划", gx="广西可再生能源发展“十四五”规划"),
                      Segmenter())
    assert names.named("这个土壤地下水农村规划是哪天印发的") == ("soil",)
    assert names.named("广西的规划里装机目标") == ("gx",)  # the province's short name
    assert names.named("福建冶金建材那个方案里吨钢能耗") == ("fjh",)  # one of the region's two plans
    assert names.named("福建节能减排方案和国家循环经济规划里能耗降幅分别是多少") == ("fj", "ce")
    assert names.named("福建的节能减排方案目标") == ("fj",)  # 节能减排 is Anhui's too, but 福建 chose
    assert names.named("能耗强度要降多少") == ()
    # 生态环境局 names a department: the soil plan's 生态环境保护 title does not make it that plan
    assert names.named("安徽生态环境局那个节能减排方案有哪些保障措施") == ("ah",)
    assert names.named("生态环境保护那个规划的主要任务") == ("soil",)


def test_a_word_many_titles_print_names_no_plan():
    from assistant.segment import Segmenter
    from assistant.understand import PlanNames

    names = PlanNames(_plans(hb="湖北省人民政府关于加快建立健全绿色低碳循环发展经济体系的实施意见",
                             ce="“十四五”循环经济发展规划", ah="安徽省“十四五”节能减排实施方案",
                             fj="福建省“十四五”节能减排综合工作实施方案", sz="深圳市近零碳排放区试点建设实施方案",
                             gx="广西可再生能源发展“十四五”规划", nx="宁夏回族自治区应对气候变化“十四五”规划",
                             js="江苏省“十四五”绿色建筑高质量发展规划", gy="“十四五”工业绿色发展规划"),
                      Segmenter())
    # 实施 is in four titles of nine: the question's 组织实施 does not tip it to the 实施意见
    assert names.named("循环经济规划里建筑垃圾资源化利用示范工程由哪个部门组织实施") == ("ce",)
    # the 意见 shares more words (循环, 经济, 体系), but the question names a 规划
    assert names.named("循环经济规划打算选多少个城市开展废旧物资循环利用体系建设") == ("ce",)
    assert names.named("湖北循环经济体系那个意见里的目标") == ("hb",)


def test_a_question_naming_two_plans_is_answered_plan_by_plan():
    from assistant.answer import compose_across_plans
    from assistant.types import Answer, Source

    cited = Source(doc="a", title="甲", section="一", quote="甲市能耗下降14%", score=1.0, start=0, end=9)
    answers = [("甲市节能方案", Answer(question="q", text="规划原文如下：\n· 甲市能耗下降14%[1]", found=True,
                                      sources=(cited,), confidence=0.9)),
               ("乙省节能方案", Answer(question="q", text="《乙省节能方案》中未找到与该问题直接相关的内容。", found=False))]
    answer = compose_across_plans("甲市和乙省能耗分别降多少", answers)
    assert answer.found and answer.answer_state == "answered" and answer.confidence == 0.9
    assert answer.text.splitlines() == ["《甲市节能方案》：", "规划原文如下：", "· 甲市能耗下降14%[1]",
                                        "《乙省节能方案》：", "《乙省节能方案》中未找到与该问题直接相关的内容。"]


def test_a_part_that_no_plan_states_is_said_once_after_all_plans():
    from assistant.answer import compose_across_plans
    from assistant.types import Answer, Source

    missing = "问题中“跟国家的要求一样吗”这一部分，规划中未找到相关内容。"
    answers = [(title, Answer(question="q", text=f"规划原文如下：\n· {quote}[1]\n{missing}", found=True,
                              sources=(Source(doc=title, title=title, section="一", quote=quote, score=1.0, start=0,
                                              end=len(quote)),), confidence=0.9))
               for title, quote in (("甲市节能方案", "甲市能耗下降14%"), ("乙省节能方案", "乙省能耗下降13%"))]
    lines = compose_across_plans("甲市和乙省能耗分别降多少，跟国家的要求一样吗", answers).text.splitlines()
    assert lines == ["《甲市节能方案》：", "规划原文如下：", "· 甲市能耗下降14%[1]", "《乙省节能方案》：", "规划原文如下：",
                     "· 乙省能耗下降13%[2]", "问题中“跟国家的要求一样吗”这一部分，以上规划中均未找到相关内容。"]


@pytest.mark.parametrize("question,small_talk", [
    ("你好", True), ("您好！", True), ("在吗？", True), ("你能做什么", True), ("hello", True), ("谢谢你好", True),
    ("你好，数据中心PUE有什么要求", False), ("能耗强度", False), ("规划是谁发的", False), ("  ", False),
])
def test_a_greeting_or_a_question_about_the_assistant_is_small_talk(question, small_talk):
    from assistant.settings import DATA_DIR
    from assistant.structure import AskCues

    assert AskCues.load(DATA_DIR / "ask_cues.toml").is_small_talk(question) is small_talk
