from pathlib import Path

from assistant.chunk import chunk
from assistant.load import load_corpus
from assistant.parse import classify, heading_label, parse
from assistant.text import collapse, is_verbatim
from assistant.types import Document, DocumentMeta

ROOT = Path(__file__).resolve().parent.parent


def plan():
    return parse(load_corpus(ROOT / "corpus")[0])


def test_heading_tree_has_every_chapter_section_and_box():
    paths = [" › ".join(b.section_path) for b in plan().headings()]
    assert "三、主要任务 › （八）深化循环经济助力节能" in paths
    assert "四、重点工程 › （十）绿色数据中心示范工程 › 专栏 12 绿色数据中心示范工程" in paths
    assert "二、总体要求 › （一）指导思想和基本原则 › 1.指导思想" in paths
    assert "一、发展基础 › （一）发展现状" in paths  # written “(一) 发展现状” in the text
    assert sum(1 for p in paths if p.split(" › ")[-1].startswith("专栏")) == 12
    # numbered items printed inside a 专栏 belong to it (the box closes at the next （一）)
    assert "四、重点工程 › （二）通用设备节能改造工程 › 专栏4 通用设备节能改造工程 › 1.锅炉节能改造" in paths
    assert "五、保障措施 › （五）加强兵地融合，共促节能减排工作" in paths
    assert [p for p in paths if " › " not in p] == ["一、发展基础", "二、总体要求", "三、主要任务", "四、重点工程", "五、保障措施"]


def test_table_of_contents_is_not_a_paragraph():
    parsed = plan()
    toc = [b for b in parsed.blocks if b.kind == "toc"]
    assert len(toc) >= 30
    text = parsed.document.text
    assert not any("....." in text[b.start:b.end] for b in parsed.blocks if b.kind == "paragraph")


def test_page_breaks_are_rejoined():
    parsed = plan()
    paragraphs = [collapse(parsed.document.text[b.start:b.end]) for b in parsed.blocks if b.kind == "paragraph"]
    assert any("2019年度比例 为 35.4%" in p for p in paragraphs)
    assert any("“两高 一低”企业底数" in p for p in paragraphs)
    assert any("力争全部完成循环化改 造。" in p for p in paragraphs)


def test_table_rows_keep_header_unit_and_sector():
    rows = [b for b in plan().blocks if b.kind == "table_row"]
    transit = next(b for b in rows if b.cells[0] == "中心城区公共交通占机动化出行比例")
    assert transit.cells == ("中心城区公共交通占机动化出行比例", "%", "60")
    assert transit.sector == "交通"
    assert "2025 年目标值" in transit.context and "表 2" in transit.context
    assert transit.section_path[-1].startswith("表 2")
    sectors = {b.cells[0]: b.sector for b in rows}
    assert sectors["规模以上工业增加值能耗累计降幅"] == "工业"
    assert sectors["公共建筑能效提升改造面积"] == "建筑业"
    assert sectors["公共机构人均综合能耗累计下降率"] == "公共机构"
    assert sectors["单位地区生产总值能耗累计降幅"] == ""
    assert sectors["煤炭"] == ""  # 表 1


def test_chunks_are_verbatim_and_keep_sections():
    parsed = plan()
    chunks = chunk(parsed, 220)
    assert all(is_verbatim(c.text, parsed.document.text) for c in chunks)
    assert all(collapse(parsed.document.text[c.start:c.end]) == c.text for c in chunks)
    row = next(c for c in chunks if c.text.startswith("中心城区公共交通占机动化出行比例 %"))
    assert row.kind == "table_row" and "交通" in row.context
    assert not any(c.kind == "toc" for c in chunks)


def test_classify_and_labels_on_other_wording():
    assert classify("六、组织实施") == "h1"
    assert heading_label("(三) 完善财税金融政策", "h2") == "（三）完善财税金融政策"
    assert classify("1.锅炉节能改造。采用燃烧优化、燃料替代等技术。") == "h3"  # run into its paragraph
    assert classify("1.到2025年，锅炉全部改造。") == "text"  # a numbered sentence
    assert classify("0.69 万吨、8.3 万吨") == "text"
    assert classify("（二）强化监督考核。") == "h2"
    assert classify("(2) 电机改造") == "h4"
    assert classify("专栏 3 重点项目") == "box"
    assert classify("表 4 重点项目清单") == "table"


def test_another_plan_parses_the_same_way():
    text = "目 录\n一、总则.....\t- 1 -\n\n一、总则\n\n（一）目标\n\n到 2025 年，森林覆盖率达到\n\n\n25%。\n"
    parsed = parse(Document("x", "x.txt", text, DocumentMeta(title="某规划")))
    paragraph = next(b for b in parsed.blocks if b.kind == "paragraph")
    assert paragraph.section_path == ("一、总则", "（一）目标")
    assert collapse(text[paragraph.start:paragraph.end]) == "到 2025 年，森林覆盖率达到 25%。"


def test_support_files_are_not_plans(tmp_path):
    from assistant import Settings

    settings = Settings.load(env={})
    documents = load_corpus(ROOT / "corpus", settings.support_files)
    assert [d.doc_id for d in documents] == ["000_8a2f0d3686d36b01"]
    assert documents[0].meta.title == "塔城地区“十四五”节能规划（2021-2025年）"
    assert documents[0].meta.number == "塔地发改基础〔2023〕17号"


def _parsed(text: str):
    return parse(Document(doc_id="x", path="x.txt", text=text, meta=DocumentMeta(title="x")))


def test_a_document_of_several_plans_has_each_plan_as_a_part():
    text = ("甲省工业和信息化厅关于印发冶金、建材行业节能降碳实施方案的通知\n各设区市：现印发给你们。\n"
            "甲省冶金行业节能降碳实施方案为贯彻落实节能要求，制定本方案。\n一、总体要求\n（一）主要目标。到2025年冶金能效提升。\n"
            "二、重点任务\n（一）严格项目建设管理。新建项目达到标杆水平。\n"
            "甲省建材行业节能降碳实施方案\n为贯彻落实节能要求，制定本方案。\n一、总体要求\n（一）主要目标。到2025年建材能效提升。\n"
            "二、重点任务\n（一）推进产业结构优化。严控水泥产能。\n")
    paths = [b.section_path for b in _parsed(text).blocks if b.kind == "heading"]
    assert ("甲省冶金行业节能降碳实施方案", "二、重点任务") in paths
    assert ("甲省建材行业节能降碳实施方案", "二、重点任务", "（一）推进产业结构优化") in paths
    one = "甲省节能规划\n为贯彻落实节能要求，制定本规划。\n一、总体要求\n（一）主要目标。能效提升。\n"
    assert ("一、总体要求",) in [b.section_path for b in _parsed(one).blocks]  # one plan: no parts


def test_an_annex_heading_takes_its_title_from_the_next_line():
    text = ("一、总体要求\n（一）目标。到2025年建成试点。\n附件 1\n深圳市近零碳排放区试点建设指引\n（试行）\n"
            "根据实施方案制定本指引。\n一、定义\n近零碳排放区是指……。\n")
    paths = [b.section_path for b in _parsed(text).blocks if b.kind == "heading"]
    assert ("附件 1 深圳市近零碳排放区试点建设指引 （试行）", "一、定义") in paths


def test_a_short_heading_in_two_clauses_is_a_heading():
    text = "三、重点任务\n（一）构建资源循环型产业体系，提高资源利用效率。\n1.推行重点产品绿色设计。健全产品设计标准。\n"
    paths = [b.section_path for b in _parsed(text).blocks if b.kind == "heading"]
    assert ("三、重点任务", "（一）构建资源循环型产业体系，提高资源利用效率", "1.推行重点产品绿色设计") in paths


def test_a_contents_line_with_dotted_leaders_is_no_paragraph():
    text = "目录\n重点任务.............................. 15 （一）提高电源供应能力.......15\n一、总体要求\n正文。\n"
    assert [b.kind for b in _parsed(text).blocks][:2] == ["toc", "toc"]


def test_a_lone_tab_separated_cell_outside_a_table_is_kept_as_its_own_line():
    from assistant.parse import parse
    from assistant.types import Document, DocumentMeta

    text = "一、总体要求\n到 2025 年，全市能耗强度下降 14%。\t\n二、重点任务\n推进节能改造。\n"
    parsed = parse(Document("d", "d.txt", text, DocumentMeta(title="某市方案")))
    kept = [text[b.start:b.end] for b in parsed.blocks if b.kind == "paragraph"]
    assert any("能耗强度下降 14%" in k for k in kept)  # a stray tab does not drop the sentence


def test_a_tables_unit_column_is_headed_unit_and_a_department_column_is_not():
    from assistant.parse import LABEL_UNIT, unit_column

    assert unit_column(("指标", "单位", "2020年", "2025年")) == 1
    assert unit_column(("指标名称", "计量单位", "目标值")) == 1
    assert unit_column(("重点任务", "目标", "责任单位")) is None  # departments, not units
    assert unit_column(("指标", "2025年", "牵头单位")) is None
    assert LABEL_UNIT.search("森林覆盖率（%）").group(1) == "%"
    assert LABEL_UNIT.search("细颗粒物浓度（微克/立方米）").group(1) == "微克/立方米"
    assert LABEL_UNIT.search("细颗粒物（PM2.5）浓度") is None


def test_a_tables_indicator_column_is_its_label_and_a_category_column_its_sector():
    from assistant.parse import parse
    from assistant.types import Document, DocumentMeta

    text = ("二、主要指标\n表 1 青原市生态环境保护主要指标\n指标类别\t序号\t指标体系\t2020年\t2025年\t指标属性\n"
            "环境质量\t1\t城市空气质量优良天数比率（%）\t85.3\t88\t约束性\n\t2\t森林覆盖率（%）\t40\t41.5\t约束性\n")
    blocks = [b for b in parse(Document("x", "x.txt", text, DocumentMeta(title="青原市规划"))).blocks
              if b.kind in ("table_header", "table_row")]
    assert blocks[0].cells == ("指标体系", "2020年", "2025年", "指标属性")
    assert [(b.cells[0], b.sector) for b in blocks[1:]] == [("城市空气质量优良天数比率（%）", "环境质量"),
                                                           ("森林覆盖率（%）", "环境质量")]


def test_an_annex_line_naming_a_file_to_download_is_no_heading():
    from assistant.parse import parse
    from assistant.types import Document, DocumentMeta

    text = ("一、创建目标\n到 2025 年，绿色建筑占比达到 100%。\n二、保障措施\n加强组织领导。\n"
            "附件：某市绿色建筑创建行动实施方案（2022-2025）某市绿色建筑创\n建行动实施方案（2022-2025）.rar\n"
            "某市住房和城乡建设局\n2022 年 3 月 4 日\n")
    parsed = parse(Document("x", "x.txt", text, DocumentMeta(title="某市绿色建筑创建行动实施方案")))
    assert [b.section_path for b in parsed.headings()] == [("一、创建目标",), ("二、保障措施",)]
