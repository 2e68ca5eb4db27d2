"""Quantities however written (digits, Chinese numerals, quantity words), compared by value."""

from decimal import Decimal

import pytest

from assistant.numbers import QUANTITY_WORDS, quantities, unsupported_quantities

QUOTE = "到 2025 年，地区大宗固废综合利用率达到 40% 以上。"


def readings(text: str) -> list[tuple[str, ...]]:
    return [tuple(f"{v}{u}" for v, u in q.readings) for q in quantities(text)]


@pytest.mark.parametrize("text,expected", [
    ("百分之四十", [("40%",)]),
    ("四成", [("40%",)]),
    ("一半", [("50%",)]),
    ("翻一番", [("2倍", "100%")]),
    ("两倍", [("2倍",)]),
    ("十三点五", [("13.5",)]),
    ("百分之十三点五", [("13.5%",)]),
    ("千分之五", [("0.5%",)]),
    ("五分之二", [("40%",)]),
    ("40.0%", [("40%",)]),
    ("４０％", [("40%",)]),  # full-width
    ("4 万吨", [("40000", "4")]),  # a table whose header says 万吨 writes 4
    ("四十万千瓦", [("400000", "40")]),
    ("三十四点五四亿千瓦时", [("3454000000", "34.54")]),
    ("六大行业", [("6",)]),  # a lone numeral before a word
    ("地、县、乡三级", [("3",)]),
    ("二〇二五年", [("2025",)]),
    ("下降两个百分点", [("2个百分点",)]),
    ("到2025年达到百分之四十以上[1]", [("2025",), ("40%",)]),  # the marker is no number
])
def test_quantities(text, expected):
    assert readings(text) == expected


@pytest.mark.parametrize("text", [
    "一是加强统一部署，千方百计，十分重要", "“十四五”期间", "两者衔接", "第一", "进一步", "一批项目"])
def test_numerals_inside_words_are_not_quantities(text):
    assert quantities(text) == []


@pytest.mark.parametrize("answer,ok", [
    ("到2025年，大宗固废综合利用率要达到百分之四十以上[1]。", True),
    ("到二〇二五年，利用率达到四成以上[1]。", True),
    ("利用率达到 40.0%[1]。", True),
    ("利用率达到 40[1]。", True),  # a bare number agrees with 40%
    ("利用率达到百分之五十以上[1]。", False),
    ("利用率达到一半以上[1]。", False),
    ("利用率达到五成[1]。", False),
    ("利用率提高 40 个百分点[1]。", False),  # points are not per cent
    ("利用率翻一番[1]。", False),
    ("到2026年达到40%[1]。", False),
])
def test_unsupported_quantities(answer, ok):
    assert (unsupported_quantities(answer, [QUOTE]) == []) is ok


@pytest.mark.parametrize("answer,quote,ok", [
    ("加强地、县、乡三级台账建设[1]", "加强地、县两级农作物秸秆资源台账建设", False),
    ("分布在六大行业[1]", "等七大行业", False),
    ("形成了“三群两带”产业布局[1]", "形成了“两群三带”产业布局结构。", False),  # swapped
    ("全面淘汰国四及以下排放标准的柴油货车[1]", "全面淘汰国三及以下排放标准的各类柴油货车。", False),
    ("多能互补等七条推进路径[1]", "多能互补等7条新能源项目建设推进路径", True),
    ("石油加工业有五家[1]", "石油、煤炭及其他燃料加工业（5 家）", True),
    ("建设1至2个近零能耗建筑[1]", "建设一至两个近零能耗建筑", True),  # 一 counts as evidence
    ("围绕这四个方面展开[1]", "园区高可靠能源保障、多产业高效能源利用四大方面", True),
    ("二〇一七年石油消费量为九十六万吨标准煤[1]", "能源类型 2015 2016 2017 2018 2019 石油 83.6 141.3 96 96 76.1", True),
    ("打造千万千瓦级新能源发电基地[1]", "着力打造百万千瓦级新能源发电基地。", False),
    ("比例超过四分之三[1]", "比例达到73%", False),
])
def test_numerals_in_context(answer, quote, ok):
    assert (unsupported_quantities(answer, [quote]) == []) is ok


def test_quantity_words_in_quotes_count_too():
    assert unsupported_quantities("产值是原来的两倍[1]", ["工业产值翻一番。"]) == []
    assert unsupported_quantities("产值增长 100%[1]", ["工业产值翻一番。"]) == []
    assert unsupported_quantities("超过一半[1]", ["占比达到 50%。"]) == []
    [wrong] = unsupported_quantities("产值是原来的三倍[1]", ["工业产值翻一番。"])
    assert wrong.text == "三倍" and wrong.readings == ((Decimal(3), "倍"),)


def test_the_quantity_words_are_a_data_file():
    text = QUANTITY_WORDS.read_text(encoding="utf-8")
    assert QUANTITY_WORDS.parent.name == "data" and "version" in text and '"四成"' in text
