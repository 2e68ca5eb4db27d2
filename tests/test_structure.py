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


def _cues():
    from assistant.structure import AskCues

    from .conftest import ROOT

    return AskCues.load(ROOT / "assistant" / "data" / "ask_cues.toml")


def test_what_kind_of_answer_a_question_asks_and_whether_evidence_states_it():
    cues = _cues()
    assert cues.kind_held("托里县储能电站规模多少兆瓦", "推进托里县 120 万千瓦风电项目") == (True, False)  # another unit
    assert cues.kind_held("重点用能企业有几家", "共梳理出重点用能企业 26 家") == (True, True)
    assert cues.kind_held("柴油货车要在哪年之前全部淘汰", "全面淘汰国三及以下排放标准的各类柴油货车") == (True, False)
    assert cues.kind_held("中水回用项目总投资多少", "新疆天泰纤维有限公司中水回用项目") == (True, False)
    assert cues.kind_held("要开建哪几座水电站", "开工建设吉尔格勒德水利枢纽工程水电站")[0] is False  # 哪几 asks which
    assert cues.kind_held("绿色建筑占比要到多少", "城镇新建建筑中绿色建筑面积占比 100%") == (False, True)
    assert cues.kind_held("燃气储气设施计划什么时间投用", "托里县燃气储气设施项目") == (True, False)
    assert cues.kind_held("节能工作调度会的召开频次是多少", "每季度召开一次节能工作调度会") == (True, True)


def test_the_cue_vocabulary_holds_the_words_of_every_cue_and_alternative():
    words = _cues().vocabulary
    assert {"文号", "发文字号", "完整标题", "印发单位", "哪个部门印发"} <= words  # doc facts, whole cues
    assert {"题目", "规划期"} <= words  # alternatives inside “甲|乙+丙”
    assert "+" not in "".join(words) and "|" not in "".join(words)


def test_a_spoken_total_is_filler_and_a_file_number_is_the_documents_number():
    cues = _cues()
    assert {"一共", "总共"} <= cues.filler  # “一共有多少条” asks what “有多少条” asks
    assert {"有没有", "这份"} <= cues.filler  # “这份规划有没有给X安排任务” asks X's tasks
    assert cues.doc_fields_asked("这份规划的文件编号是多少") == ("number",)


def test_a_name_asked_of_something_in_the_plan_is_no_title_of_the_plan():
    cues = _cues()
    assert cues.doc_fields_asked("这几家重点用能企业都叫什么名字") == ()
    assert cues.doc_fields_asked("这个文件叫什么名字") == ("title",)


def test_extremes_and_units_are_asked_in_the_cue_words():
    cues = _cues()
    assert cues.extreme_asked("哪一年用电量最少") == "lowest"
    assert cues.extreme_asked("哪年投资最大") == "highest"
    assert cues.extreme_asked("各年用电量是多少") == ""
    assert "计量单位" in cues.unit_words


def test_a_person_asked_for_is_answered_only_by_a_named_office_holder():
    cues = _cues()
    asked, held = cues.kind_held("节能工作领导小组的组长是谁", "成立地区节能工作领导小组，统筹协调全地区节能工作。")
    assert asked and not held  # the plan names the group, no person
    assert cues.kind_held("节能工作领导小组的组长是谁", "由行署专员担任组长。") == (True, True)
    assert cues.kind_held("园区循环化改造由谁负责", "发展改革委牵头。")[0] is False  # an office, not a person


def test_a_chapter_named_by_its_title_is_found_without_its_chapter_number():
    from assistant.parse import parse
    from assistant.structure import outline_subject
    from assistant.types import Document, DocumentMeta

    text = ("第一章 发展基础\n一、发展成效\n成效显著。\n第二章 保障措施\n一、加强组织领导\n建立机制。\n"
            "二、强化资金保障\n加大投入。\n")
    parsed = {"x": parse(Document(doc_id="x", path="x.txt", text=text, meta=DocumentMeta(title="某规划")))}
    subject = outline_subject("保障措施一章讲了哪些方面", parsed, _cues())
    assert subject is not None and subject[1].section_path == ("第二章 保障措施",)


def test_a_chained_cue_is_taken_out_of_a_question_only_where_it_matches():
    from assistant.parse import parse
    from assistant.structure import outline_subject
    from assistant.types import Document, DocumentMeta

    cues = _cues()
    assert cues.without_outline_cues("重大工程包括哪几项") == "重大工程"  # 大工程 of “三大工程” stays in 重大工程
    assert cues.without_outline_cues("重点任务有三大工程") == "重点任务有"
    text = "一、主要任务\n推进治理。\n二、重大工程\n（一）源头预防工程\n实施项目。\n（二）农村整治工程\n开展试点。\n"
    parsed = {"x": parse(Document(doc_id="x", path="x.txt", text=text, meta=DocumentMeta(title="某省土壤规划")))}
    subject = outline_subject("土壤规划的重大工程包括哪几项", parsed, cues)
    assert subject is not None and subject[1].section_path == ("二、重大工程",)


def test_of_headings_with_one_title_the_one_in_the_part_the_question_names_is_outlined():
    from assistant.parse import parse
    from assistant.structure import outline_subject
    from assistant.types import Document, DocumentMeta

    parts = "".join(f"某省{trade}行业节能降碳实施方案\n一、总体要求\n坚持节约优先。\n二、重点任务\n（一）严格{trade}项目管理\n"
                    f"控制产能。\n（二）推进{trade}改造\n加快改造。\n" for trade in ("冶金", "建材", "石化化工"))
    notice = Document(doc_id="n", path="n.txt", text=parts, meta=DocumentMeta(title="冶金、建材、石化化工行业节能降碳实施方案"))
    parsed = {"n": parse(notice)}
    subject = outline_subject("石化化工那个方案的重点任务分哪几个方面", parsed, _cues())
    assert subject is not None and subject[1].section_path == ("某省石化化工行业节能降碳实施方案", "二、重点任务")
    # the plan's own 保障措施 and its annex's: the annex only when the question names it more than the plan
    text = ("一、主要任务\n开展试点。\n二、保障措施\n（一）加强组织领导\n建立机制。\n（二）做好资金支持\n加大投入。\n"
            "附件 2 某市近零碳试点创建方案编制大纲\n一、申报主体概况\n主体情况。\n二、保障措施\n说明组织与资金。\n")
    parsed = {"z": parse(Document("z", "z.txt", text, DocumentMeta(title="某市近零碳试点建设方案")))}
    assert outline_subject("近零碳试点方案的保障措施有哪几条", parsed, _cues())[1].section_path == ("二、保障措施",)
    annexed = outline_subject("创建方案编制大纲的保障措施有哪几条", parsed, _cues())[1].section_path
    assert annexed[0].startswith("附件 2") and annexed[-1] == "二、保障措施"
    whole = outline_subject("近零碳方案附件2的编制大纲主要包含哪些部分", parsed, _cues())[1].section_path
    assert whole == ("附件 2 某市近零碳试点创建方案编制大纲",)  # the annex by its number: its outline


def test_a_question_naming_what_several_sibling_headings_share_gets_their_parent():
    from assistant.parse import parse
    from assistant.structure import outline_subject
    from assistant.types import Document, DocumentMeta

    text = ("一、总体要求\n开展试点。\n二、主要任务\n（一）近零碳排放区域试点\n遴选城区。\n（二）近零碳排放园区试点\n"
            "遴选园区。\n（三）近零碳排放社区试点\n遴选社区。\n（四）近零碳排放校园试点\n遴选校园。\n三、保障措施\n加强领导。\n")
    parsed = {"x": parse(Document("x", "x.txt", text, DocumentMeta(title="某市近零碳排放区试点建设实施方案")))}
    assert outline_subject("近零碳排放区试点分成哪几种类型", parsed, _cues())[1].section_path == ("二、主要任务",)
    one = outline_subject("近零碳排放园区试点包括哪些内容", parsed, _cues())[1].section_path  # one named: that one
    assert one == ("二、主要任务", "（二）近零碳排放园区试点")


def test_an_outline_answer_says_how_many_parts_and_what_each_covers(plan_text):
    from assistant.answer.outline import answer_outline
    from assistant.parse import parse
    from assistant.structure import outline_subject
    from assistant.types import Document, DocumentMeta, Query

    parsed = {"d": parse(Document("d", "d.txt", plan_text, DocumentMeta(title="塔城规划")))}
    question = "发展现状写了哪几个方面"
    doc_id, heading = outline_subject(question, parsed, _cues())
    answer = answer_outline(Query(text=question, intent="list", terms=()), doc_id, heading, parsed, plans_indexed=1)
    lines = answer.text.splitlines()
    assert "下列有五项" in lines[0] and len(lines) == 6
    assert "“十三五”时期，塔城地区将能耗“双控”目标纳入国民经济和社会发展规划" in lines[1]  # the title, then its first sentence
    assert "工业领域。2020 年规模以上工业万元增加值能耗" in lines[3]  # a short lead sentence takes the next one with it


def test_the_other_side_of_a_comparison_is_read_with_the_cue_files_words():
    cues = _cues()
    assert cues.compared_party("大宗固废综合利用率跟自治区的要求一样吗") == "自治区的要求"
    assert cues.compared_party("和全国的目标相比怎么样") == "全国的目标"
    assert cues.compared_party("与省里定的有区别吗") == "省里定的"
    assert cues.compared_party("到2025年要达到多少") == ""
    assert cues.asks_same("跟省里的一致吗") and not cues.asks_same("要达到多少")


def test_the_document_a_plan_follows_is_no_issuer_asked():
    cues = _cues()
    assert "issuer" not in cues.doc_fields_asked("江苏绿建规划是依据哪个文件编制的")
    assert "issuer" in cues.doc_fields_asked("江苏绿建规划是哪个部门编制的")
    assert "issuer" in cues.doc_fields_asked("这个方案由谁印发")


def test_a_question_asking_who_carries_out_a_task_and_the_task_it_names():
    cues = _cues()
    assert cues.asks_responsible("发展绿色金融这项任务由哪些部门负责")
    assert cues.asks_responsible("快递包装绿色转型由谁牵头")
    assert not cues.asks_responsible("农业农村局要做哪些事")  # a department named: what it does, not who
    assert cues.without_responsible_cues("发展绿色金融这项任务由哪些部门负责") == "发展绿色金融这项任务由负责"


def test_the_date_and_issuer_of_a_notice_signed_after_its_plan_are_read_from_the_signature():
    from assistant.parse import parse
    from assistant.structure import field_span
    from assistant.types import Document, DocumentMeta

    text = ("关于印发《某市绿色建筑创建行动实施方案》的通知\n各区人民政府：\n现将方案印发给你们，请认真贯彻落实。\n"
            "一、创建目标\n到 2025 年，绿色建筑占比达到 100%。\n二、保障措施\n加强组织领导。\n"
            "某市住房和城乡建设局 某市发展和改革局\n某市财政局\n2022 年 3 月 4 日\n")
    meta = DocumentMeta(title="某市绿色建筑创建行动实施方案", issuer="某市住房和城乡建设局、某市发展和改革局、某市财政局",
                        date="2022-03-04")
    parsed = parse(Document("x", "x.txt", text, meta))
    date, issuer = field_span(parsed, "date"), field_span(parsed, "issuer")
    assert text[date[0]:date[1]] == "2022 年 3 月 4 日"
    assert text[issuer[0]:issuer[1]] == "某市住房和城乡建设局 某市发展和改革局"
    # a cover that prints the month only: the day signed is the document's date
    covered = "某市绿色建筑创建行动实施方案\n2022 年 3 月\n" + text + "加强督促落实。2022 年 3 月 4 日\n"
    span = field_span(parse(Document("y", "y.txt", covered, meta)), "date")
    assert covered[span[0]:span[1]] == "2022 年 3 月 4 日" and span[0] > covered.index("加强督促落实")
