"""structure: the cue words that say a question asks for an outline or a document fact."""

from assistant.structure import cue_in


def test_a_cue_in_parts_matches_its_parts_anywhere():
    assert cue_in("印发|发布+哪个|谁", "这个规划是由谁印发的")
    assert cue_in("印发|发布+哪个|谁", "哪个单位发布的")
    assert not cue_in("印发|发布+哪个|谁", "印发日期是哪天")


def test_an_ordered_cue_wants_its_second_part_close_after_the_first():
    assert cue_in("哪>条|项|类|点", "重点任务分哪四条")
    assert cue_in("哪>条|项|类|点", "包括哪两大类")
    assert not cue_in("哪>条|项|类|点", "哪些园区开展循环化改造试点")  # 哪 and 点 far apart
    assert not cue_in("哪>条|项|类|节", "要对哪些设备开展节能改造")
    assert not cue_in("哪>条|项|类", "条件是哪些")  # the wrong order


def test_a_chained_cue_wants_every_part_in_order():
    cue = "那|这>几|两|三|四>条|项|部分"
    assert cue_in(cue, "基本原则那四条是啥")
    assert cue_in(cue, "总体要求这三个部分是什么")
    assert not cue_in(cue, "超低能耗建筑这块要推进哪些示范")
    assert not cue_in(cue, "这些条件")  # no numeral between
