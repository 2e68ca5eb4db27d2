from assistant.text import contains_fact, find_spans, number_occurs, sentence_spans, unsupported_numbers


def test_number_occurs_respects_boundaries():
    assert number_occurs("5", "累计下降 5%")
    assert not number_occurs("5", "达到 15%")
    assert not number_occurs("5", "到 2025 年")
    assert not number_occurs("1", "控制在 1.6 以下")
    assert number_occurs("1.6", "控制在 1.6 以下")


def test_unsupported_numbers_ignore_markers():
    assert unsupported_numbers("达到 40% 以上[1]", ["地区大宗固废综合利用率达到 40% 以上。"]) == []
    assert unsupported_numbers("达到 60%[1]", ["达到 40% 以上。"]) == ["60"]


def test_contains_fact():
    assert contains_fact("利用率达到 40% 以上", "40%")
    assert not contains_fact("达到 15%", "5%")
    assert not contains_fact("到 2025 年", "5")
    assert contains_fact("累计实现节能量2 万吨标准煤", "2万吨标准煤")


def test_find_span_and_sentences():
    text = "第一句。第二句\n\n跨页。"
    assert find_spans(text, "第二句跨页") == [(4, 11)]
    assert [text[a:b] for a, b in sentence_spans(text, 0, len(text))] == ["第一句。", "第二句\n\n跨页。"]


def test_a_note_after_a_sentences_end_belongs_to_that_sentence():
    text = ("柴油货车排放量下降 12%左右。（责任单位：市生态环境局，配合单位：市交通运输局等）提高物流车辆新能源比例，"
            "到 2025 年超过 50%。（责任单位：市邮政管理局）\n加强监管。（二）完善制度。（详见附件 1）")
    assert [text[a:b] for a, b in sentence_spans(text, 0, len(text))] == [
        "柴油货车排放量下降 12%左右。（责任单位：市生态环境局，配合单位：市交通运输局等）",
        "提高物流车辆新能源比例，到 2025 年超过 50%。（责任单位：市邮政管理局）",
        "加强监管。", "（二）完善制度。（详见附件 1）"]  # a list number is the next item, not a note


def test_a_sentence_printed_twice_is_found_in_both_places():
    text = "到 2025 年，绿色出行达 30%。表中略。到2025年，绿色出行达30%。"
    spans = find_spans(text, "到2025年，绿色出行达30%。")
    assert len(spans) == 2 and spans[0][0] == 0 and text[spans[1][0]:spans[1][1]] == "到2025年，绿色出行达30%。"


def test_a_text_of_another_five_year_period_is_about_another_time():
    from assistant.text import other_period

    assert other_period("十三五期间规上工业能耗累计降幅多大", "表 2 “十四五”时期全地区节能目标")
    assert not other_period("十四五规上工业能耗累计降幅多大", "表 2 “十四五”时期全地区节能目标")
    assert not other_period("规上工业能耗累计降幅多大", "表 2 “十四五”时期全地区节能目标")  # no period asked
    assert not other_period("十三五期间能耗降了多少", "2020 年规模以上工业万元增加值能耗累计下降 2.09%")


def test_a_plans_last_year_is_read_from_its_title():
    from assistant.text import plan_end_year

    assert plan_end_year("塔城地区“十四五”节能规划（2021-2025年）") == "2025"
    assert plan_end_year("某市碳达峰实施方案（2021—2030年）") == "2030"
    assert plan_end_year("某县交通运输发展规划") == ""


def test_time_left_is_the_rest_at_the_speed_so_far():
    from assistant.text import time_left

    assert time_left(3.0, 2, 100) == ""  # too few timed yet
    assert time_left(10.0, 10, 40) == "，预计还需约 30 秒"
    assert time_left(60.0, 10, 40) == "，预计还需约 3 分钟"
    assert time_left(60.0, 40, 40) == ""
