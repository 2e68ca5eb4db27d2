"""Mistyped characters put right by sound or look (HomophoneCorrector) against the plans' words."""

import pytest

from assistant.grams import PrintedGrams, text_grams
from assistant.segment import Segmenter
from assistant.understand import HomophoneCorrector

PLAN_WORDS = {"能源": 40, "回收": 12, "财政": 6, "考核": 9, "指标": 30, "利用率": 8, "能力": 5,
              "实时": 3, "施工": 4, "处理": 10, "一次": 1}


@pytest.fixture(scope="module")
def corrector():
    return HomophoneCorrector(PLAN_WORDS, Segmenter())


@pytest.mark.parametrize("typed,meant", [
    ("能原消费总量是多少", "能源消费总量是多少"),
    ("再生资源回受利用率", "再生资源回收利用率"),
    ("材政局有什么任务", "财政局有什么任务"),
    ("要考合哪些指表", "要考核哪些指标"),
    ("固废综合利用律要到多少", "固废综合利用率要到多少"),
])
def test_a_character_of_the_same_sound_that_makes_a_plan_word_replaces_the_typo(corrector, typed, meant):
    assert corrector.correct(typed) == meant


@pytest.mark.parametrize("question", [
    "考核时工作不力的部门怎么处理",  # 时 is right: 施工 would read worse
    "工业节能里规模以上工业能耗要降多少",  # 里 points, it names nothing: never 能力
    "园区能源管理系统要实时对接",  # 实时 is a word: nothing to put right
    "专栏9里的清洁取暖项目是哪个",
    "塔城地区的能耗强度",
])
def test_words_that_are_right_are_left_alone(corrector, question):
    assert corrector.correct(question) == question


def test_only_words_the_plans_print_are_made(corrector):
    assert corrector.correct("一刺性要求") == "一次性要求"  # 一次 is in the plans' words
    assert corrector.correct("森林复盖率") == "森林复盖率"  # 覆盖 is not: nothing to make


def test_a_word_made_longer_by_one_sound_alike_wins_over_the_shorter_word_it_stands_in():
    corrector = HomophoneCorrector({"天然气": 8, "燃气": 5}, Segmenter())
    assert corrector.correct("天燃气消费量") == "天然气消费量"
    assert corrector.correct("燃气项目") == "燃气项目"


@pytest.mark.parametrize("typed,meant", [
    ("表1里19年那列", "表1里2019年那列"),
    ("16到18年天然气", "2016到2018年天然气"),
    ("15年、20年能耗强度", "2015年、2020年能耗强度"),
    ("15、17两年石油", "2015、2017两年石油"),  # two years named, then counted
    ("近10年能耗", "近10年能耗"),  # the plans print no 2010: a duration stays
    ("2019年", "2019年"),
    ("3.15年", "3.15年"),
])
def test_a_year_written_short_is_written_out_when_the_plans_print_it(typed, meant):
    from assistant.understand import expand_short_years

    assert expand_short_years(typed, frozenset({"2015", "2016", "2017", "2018", "2019", "2020", "2025"})) == meant


def _printed(text: str):
    """How often `text` (one to three characters) occurs in the given plan text."""
    return PrintedGrams(text_grams(text))


PLAN_TEXT = "实施锅炉改造。组织开展节能主题宣传活动。落实市场主体责任。"


def test_of_two_sound_alikes_the_one_the_plans_print_beside_the_neighbours_wins():
    words = {"主体": 20, "主题": 3, "宣传": 6}
    corrector = HomophoneCorrector(words, Segmenter(), printed=_printed(PLAN_TEXT))
    assert corrector.correct("组织哪些节能主提宣传活动") == "组织哪些节能主题宣传活动"


def test_a_fuzzy_sound_puts_a_typo_right_only_where_the_plans_print_the_result():
    from assistant.understand import FuzzySounds

    words = {"改造": 12, "工行": 3, "锅炉": 5}
    corrector = HomophoneCorrector(words, Segmenter(), printed=_printed(PLAN_TEXT), fuzzy=FuzzySounds.load())
    assert corrector.correct("锅炉改照能省多少煤") == "锅炉改造能省多少煤"  # zhao read as zao
    assert corrector.correct("工信局管什么") == "工信局管什么"  # 工行局 is printed nowhere


def test_fuzzy_sounds_read_a_syllable_as_the_spelling_it_is_confused_with():
    from assistant.understand import FuzzySounds

    fuzzy = FuzzySounds.load()
    assert fuzzy.key("zhao") == fuzzy.key("zao")
    assert fuzzy.key("xing") == fuzzy.key("xin")
    assert fuzzy.key("zhang") == fuzzy.key("zan")
    assert fuzzy.key("ti") == "ti"


def test_a_typo_that_is_a_word_but_no_plans_is_put_right_where_the_plans_print_the_right_one():
    text = "明确新能源项目建设推进路径。坚决遏制高耗能项目盲目发展。"
    corrector = HomophoneCorrector({"路径": 3, "遏制": 4}, Segmenter(), printed=_printed(text))
    assert corrector.correct("项目建设推进路经有几条") == "项目建设推进路径有几条"  # 路经 is a word, no plan's
    assert corrector.correct("坚决扼制哪些项目") == "坚决遏制哪些项目"
    assert corrector.correct("路经哪些县") == "路经哪些县"  # nothing the plans print around it


def test_a_typo_of_a_word_questions_are_read_by_is_put_right_though_no_plan_prints_it():
    # 标题 and 文号 are cue words (assistant/data/ask_cues.toml), printed by no plan's passages
    corrector = HomophoneCorrector({"能源": 40}, Segmenter(), cue_words=frozenset({"标题", "文号", "哪个部门"}))
    assert corrector.correct("这份通知的标提怎么写") == "这份通知的标题怎么写"
    assert corrector.correct("规划的文好是多少") == "规划的文号是多少"
    assert HomophoneCorrector({"能源": 40}, Segmenter()).correct("规划的文好是多少") == "规划的文好是多少"


def test_a_sound_alike_counts_only_where_it_makes_a_word_the_run_is_cut_into():
    from assistant.understand import FuzzySounds

    # 能降 is a plan's word only as a piece of 节能降耗; 节能降拍 is still 节能|降|拍
    text = "推进节能降耗。加强节能减排。"
    words = {"节能": 20, "能降": 6, "降耗": 4, "减排": 12}
    corrector = HomophoneCorrector(words, Segmenter(), printed=_printed(text), fuzzy=FuzzySounds.load())
    assert corrector.correct("交通节能减拍要做什么") == "交通节能减排要做什么"


@pytest.mark.slow
def test_a_typo_of_a_synonyms_variant_is_put_right(real_assistant):
    # the index counts 固体废物; 固费 is a typo of its variant 固废 (assistant/data/synonyms.txt)
    answer = real_assistant.ask("要加强综合利用的大宗固费有哪几类")
    assert answer.found and "煤矸石" in answer.text


def test_of_two_typos_competing_for_one_run_the_one_that_reads_best_is_put_right():
    # 大行 → 大型 and 行叶 → 行业 both make a plan word; 五大行业 reads far better than 五大型叶
    corrector = HomophoneCorrector({"大型": 6, "行业": 20, "企业": 30}, Segmenter())
    assert corrector.correct("涉及的五大行叶有哪些") == "涉及的五大行业有哪些"


def test_a_particle_is_a_typo_only_inside_a_long_word_and_by_any_of_its_readings():
    corrector = HomophoneCorrector({"能耗强度": 9, "能耗": 30, "低能耗": 3, "发改委": 1}, Segmenter())
    assert corrector.correct("地区能耗强都降了多少") == "地区能耗强度降了多少"  # 都 read du, picked for 度
    assert corrector.correct("全地区的能耗是多少") == "全地区的能耗是多少"  # 的 ties words: never 低能耗
    assert corrector.correct("发该委要做什么") == "发改委要做什么"  # 该 into a three-character word


def test_a_departments_name_from_the_mapping_is_a_word_a_typo_can_mean(real_assistant):
    assert real_assistant.live.spell("工信局和发该委各管什么") == "工信局和发改委各管什么"


def test_a_character_picked_by_its_look_is_put_right_only_where_the_plans_print_the_result():
    from assistant.understand import CharShapes

    text = "大力发展循环经济。推进园区循环化改造。加强环境治理。"
    words = {"循环": 4, "经济": 6, "环境": 3, "治理": 2}
    corrector = HomophoneCorrector(words, Segmenter(), printed=_printed(text), shapes=CharShapes())
    assert corrector.correct("循坏化改造有哪些要求") == "循环化改造有哪些要求"  # 坏 looks like 环, sounds unlike it
    assert corrector.correct("哪些项目坏了") == "哪些项目坏了"  # 坏 stands in no run the plans print as 环
    assert not CharShapes().alike("境", frozenset("环"))  # of one build, not mistaken for each other


def test_an_abbreviation_of_a_term_the_plans_print_is_written_out_where_it_stands_alone():
    from assistant.understand import Abbreviations

    text = "推进公共建筑节能改造。公共建筑能效提升。更新老旧农业机械。推广节能农业机械。办公建筑带头节能。"
    words = {"公共": 2, "建筑": 3, "农业": 2, "机械": 2, "办公": 1, "节能": 3, "改造": 1}
    abbreviations = Abbreviations.of_plans([text], words, Segmenter())
    assert abbreviations.expand("公建执行啥标准") == "公共建筑执行啥标准"
    assert abbreviations.expand("农机方面要做什么") == "农业机械方面要做什么"
    assert abbreviations.expand("办公建筑要做什么") == "办公建筑要做什么"  # the 公建 of 办公建筑 is no abbreviation
    assert abbreviations.expand("节改有哪些") == "节改有哪些"  # 节能改造 is printed once only


def test_the_characters_printed_beside_a_neighbour_are_found_in_one_lookup_as_one_by_one():
    from assistant.grams import CountTable, codes

    printed = PrintedGrams(text_grams(PLAN_TEXT + "节约能源，开发新能源"))
    characters = "能源改造主题体约新责任开"
    expected = [bool(printed("节" + c) or printed(c + "源")) for c in characters]
    assert list(printed.beside("节", "源", codes(characters))) == expected == [
        True, False, False, False, False, False, False, True, False, False, False, False]
    assert list(printed.beside("", "", codes(characters))) == [False] * len(characters)
    empty = PrintedGrams(CountTable.of(codes("")))
    assert list(empty.beside("节", "源", codes("能约"))) == [False, False]


def test_the_shipped_sound_table_is_pypinyins_reading_of_every_character():
    """data/sounds.json spares an `ask` importing pypinyin; after a pypinyin upgrade this fails
    until the table is written again: python -c "from assistant.understand import write_sound_table; write_sound_table()"."""
    import json

    from assistant.understand import SOUNDS, _pypinyin_readings, _readings, sound_table

    assert json.loads(SOUNDS.read_text(encoding="utf-8")) == sound_table()
    for ch in "都行能源𠀀":  # 𠀀 lies outside the table: read by pypinyin
        assert _readings(ch) == _pypinyin_readings(ch)
    assert _readings("都")[:2] == ("dou", "du")
