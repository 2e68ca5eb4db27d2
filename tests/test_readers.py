"""Readers for real plans: the shared PDFs as published, and PDF/DOCX files made here."""

import json
import random
import re
import tomllib
from pathlib import Path

import pytest

from assistant import Settings
from assistant.chunk import chunk
from assistant.errors import CorpusError
from assistant.frontmatter import front_matter
from assistant.load import read_document
from assistant.parse import parse
from assistant.readers import reflow, strip_page_furniture
from assistant.text import is_verbatim, squash

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT.parent / "shared" / "plans"
FIXTURES = ROOT / "tests" / "fixtures" / "plans"
SHARED = {"fujian": "fujian_14th_fyp_energy_saving_emission_reduction.pdf",
          "anhui": "anhui_14th_fyp_energy_saving_emission_reduction.pdf"}

needs_plans = pytest.mark.skipif(not PLANS.is_dir(), reason="shared/plans is not beside the checkout")


def shared_plan(name):
    return parse(read_document(PLANS / SHARED[name]))


def gold_headings(name):
    return json.loads((FIXTURES / f"{name}.headings.json").read_text(encoding="utf-8"))


@needs_plans
@pytest.mark.parametrize("name", SHARED)
def test_shared_pdf_headings_match_the_hand_made_outline(name):
    parsed = shared_plan(name)
    got = [squash(parsed.document.text[b.start:b.end]) for b in parsed.headings()]
    gold = [h["text"] for h in gold_headings(name)]
    recall = sum(1 for h in gold if h in got) / len(gold)
    precision = sum(1 for h in got if h in gold) / len(got)
    assert recall >= 0.95 and precision >= 0.95, (recall, precision)
    depth = {h["text"]: h["level"] for h in gold_headings(name)}
    for block in parsed.headings():  # the outline depth is the printed numbering's
        assert len(block.section_path) == depth[squash(parsed.document.text[block.start:block.end])]


@needs_plans
@pytest.mark.parametrize("name", SHARED)
def test_shared_pdf_chunks_are_verbatim_with_the_right_section(name):
    parsed = shared_plan(name)
    text = parsed.document.text
    flat = squash(text)
    positions = [i for i, ch in enumerate(text) if not ch.isspace()]
    marks, at = [], 0  # where each hand-listed heading stands in the text
    for heading in gold_headings(name):
        at = flat.index(heading["text"], at)
        marks.append((positions[at], heading))
        at += len(heading["text"])
    chunks = chunk(parsed, 220)
    assert all(is_verbatim(c.text, text) for c in chunks)
    for c in random.Random(7).sample(chunks, 20):
        stack = []
        for start, heading in marks:
            if start > c.start:
                break
            stack = [h for h in stack if h["level"] < heading["level"]] + [heading]
        assert [squash(label) for label in c.section_path] == [squash(h["text"]) for h in stack], c.text[:40]


@needs_plans
def test_shared_pdf_identity_from_its_first_page():
    meta = read_document(PLANS / SHARED["anhui"]).meta
    assert meta.title == "安徽省“十四五”节能减排实施方案"
    assert meta.region == "安徽省"
    assert meta.number == ""  # the 国发〔2021〕33号 it cites is another document's


@needs_plans
def test_shared_pdf_paragraphs_are_joined_across_lines_and_pages():
    text = read_document(PLANS / SHARED["anhui"]).text
    assert "溶剂型胶粘剂使用量降低 20%" in text  # printed across a page break
    assert "（一）重点行业绿色升级工程。聚焦石化、化工、钢铁、电力" in text


def test_seed_front_matter_without_a_metadata_file():
    text = (ROOT / "corpus" / "000_8a2f0d3686d36b01.txt").read_text(encoding="utf-8")
    meta = front_matter(text)
    assert meta["number"] == "塔地发改基础〔2023〕17号"
    assert meta["title"].startswith("塔城地区“十四五”节能规划")
    assert meta["date"] == "2023-02"
    assert meta["region"] == "塔城地区"
    assert "发展和改革委员会" in meta["issuer"]


def _cjk_pdf(path: Path, pages: list[list[str]], header: str = "", numbers: bool = True, **canvas_args) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4, **canvas_args)
    for n, lines in enumerate(pages, start=1):
        if header:
            c.setFont("STSong-Light", 9)
            c.drawString(72, 800, header)
        c.setFont("STSong-Light", 12)
        for i, line in enumerate(lines):
            c.drawString(72 + (24 if line.startswith(" ") else 0), 760 - 20 * i, line.strip())
        if numbers:
            c.drawString(280, 40, f"— {n} —")
        c.showPage()
    c.save()
    return path


FULL = "全市加快推进节能降碳，推动能源消费结构持续优化，建立健全"  # a full printed line


def test_pdf_page_numbers_and_running_header_are_removed(tmp_path):
    pages = [["某市“十四五”节能规划", "一、总体要求", "（一）发展目标。到 2025 年，全市单位地区生产总值能耗比 2020",
              "年下降 15%。" + FULL[:10], FULL, FULL, "能源管理体系。"],
             [FULL, FULL, "绿色低碳循环发展经济体系，非化石能源消费比重达到 25%，", "煤炭消费比重下降到 50%。",
              "（二）重点任务", FULL, FULL, FULL + "节能"],
             ["降碳。", "二、保障措施", FULL, "各部门按职责分工负责。"]]
    document = read_document(_cjk_pdf(tmp_path / "plan.pdf", pages, header="某市节能规划（征求意见稿）"))
    text = document.text
    assert "—" not in text and "征求意见稿" not in text
    assert "比 2020年下降 15%。" in text or "比 2020 年下降 15%。" in text.replace("2020年", "2020 年")
    assert "绿色低碳循环发展经济体系，非化石能源消费比重达到 25%" in text  # joined across a page
    assert f"{FULL}节能降碳。" in text  # a sentence cut by the page break
    parsed = parse(document)
    assert [b.section_path for b in parsed.headings()] == [
        ("一、总体要求",), ("一、总体要求", "（一）发展目标"), ("一、总体要求", "（二）重点任务"), ("二、保障措施",)]
    assert document.meta.title == "某市“十四五”节能规划" and document.meta.region == "某市"


def test_pdf_without_text_layer_is_refused(tmp_path):
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(tmp_path / "scan.pdf"))
    c.rect(100, 100, 300, 500, fill=1)
    c.showPage()
    c.save()
    with pytest.raises(CorpusError, match="文字层"):
        read_document(tmp_path / "scan.pdf")


def test_encrypted_and_corrupt_pdfs_are_refused(tmp_path):
    encrypted = _cjk_pdf(tmp_path / "locked.pdf", [["一、总体要求", FULL]], encrypt="secret")
    with pytest.raises(CorpusError, match="加密"):
        read_document(encrypted)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + bytes(random.Random(1).randrange(256) for _ in range(2000)))
    with pytest.raises(CorpusError, match="损坏"):
        read_document(broken)


def test_unsupported_oversized_binary_and_gbk_files_are_refused(tmp_path):
    (tmp_path / "plan.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(CorpusError, match="不支持的文件类型"):
        read_document(tmp_path / "plan.xlsx")
    big = tmp_path / "big.txt"
    big.write_text("一、总则\n" + "节能。" * 2000, encoding="utf-8")
    with pytest.raises(CorpusError, match="过大"):
        read_document(big, Settings(max_document_bytes=1000).read_limits())
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(CorpusError, match="二进制"):
        read_document(tmp_path / "bin.txt")
    (tmp_path / "gbk.txt").write_bytes("一、总则\n节能降碳。\n".encode("gbk"))
    with pytest.raises(CorpusError, match="UTF-8"):
        read_document(tmp_path / "gbk.txt")


def test_docx_paragraphs_and_tables_become_lines_and_rows(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("某县“十四五”节能规划")
    d.add_paragraph("一、发展目标")
    d.add_paragraph("（一）主要指标。到 2025 年，全县单位地区生产总值能耗下降 13%。")
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate([("指标", "单位", "2025年目标值"), ("绿色建筑占比", "%", "100"), ("公交车新能源比例", "%", "80")]):
        for col, value in enumerate(row):
            table.cell(r, col).text = value
    d.add_paragraph("二、保障措施")
    d.save(tmp_path / "plan.docx")
    document = read_document(tmp_path / "plan.docx")
    parsed = parse(document)
    rows = [b for b in parsed.blocks if b.kind == "table_row"]
    assert [r.cells for r in rows] == [("绿色建筑占比", "%", "100"), ("公交车新能源比例", "%", "80")]
    assert rows[0].section_path == ("一、发展目标", "（一）主要指标")  # a table with no 表 N caption
    assert "2025年目标值" in rows[0].context
    assert [h.section_path[-1] for h in parsed.headings()] == ["一、发展目标", "（一）主要指标", "二、保障措施"]
    assert document.meta.title == "某县“十四五”节能规划"


def test_broken_docx_is_refused(tmp_path):
    (tmp_path / "bad.docx").write_bytes(b"not a zip")
    with pytest.raises(CorpusError, match="Word"):
        read_document(tmp_path / "bad.docx")


def test_reflow_keeps_headings_and_short_last_lines_apart():
    lines = ["一、总体要求", FULL, "末行。", "（一）目标。" + FULL[:20], FULL, "短句结束。"]
    assert reflow(lines).splitlines() == ["一、总体要求", FULL + "末行。", "（一）目标。" + FULL[:20] + FULL + "短句结束。"]


def test_page_furniture_needs_repetition():
    pages = [["第 1 页", "正文一", "正文二"], ["第 2 页", "正文三", "正文四"], ["- 3 -", "正文五", "抄送：某局"]]
    assert strip_page_furniture(pages) == ["正文一", "正文二", "正文三", "正文四", "正文五", "抄送：某局"]
    assert re.search("正文", "".join(strip_page_furniture(pages)))


BOX = re.compile(r"\s*(?:专栏|表)\s*\d")
HAND_LISTED = tomllib.loads((ROOT / "tests" / "fixtures" / "plan_headings.toml").read_text(encoding="utf-8"))


def _heading_key(text: str) -> str:
    return squash(text).rstrip("。：:")  # a run-in heading is listed with or without its full stop


@needs_plans
@pytest.mark.parametrize("name", sorted(HAND_LISTED))
def test_headings_of_shared_plans_match_the_hand_listed_outline(name):
    """Outlines written by hand (by helper sessions, from the plans' text): recall and precision ≥ 0.95."""
    parsed = parse(read_document(PLANS / f"{name}.pdf"))
    got = [_heading_key(parsed.document.text[b.start:b.end]) for b in parsed.headings()
           if not any(BOX.match(label) for label in b.section_path)]  # the lists leave 专栏 and 表 out
    gold = [_heading_key(h) for h in HAND_LISTED[name]]
    recall = sum(1 for h in gold if h in got) / len(gold)
    precision = sum(1 for h in got if h in gold) / len(got)
    assert recall >= 0.95 and precision >= 0.9, (recall, precision, [h for h in gold if h not in got][:5])


def test_a_heading_the_text_layer_put_after_a_sentence_starts_its_own_paragraph():
    lines = [FULL, "2026 年常住人口为 1100 万人。 三、重点任务", "（一）提高电源供应能力。", FULL, "项目。 （二）加强电网支撑能力。",
             FULL, "全省 1.5 万人。 2.其次"]  # an Arabic-numbered item after a sentence may be running text: kept
    assert reflow(lines).splitlines() == [FULL + "2026 年常住人口为 1100 万人。", "三、重点任务", "（一）提高电源供应能力。",
                                          FULL + "项目。", "（二）加强电网支撑能力。", FULL + "全省 1.5 万人。 2.其次"]


def _ruled_table(c, top: float, rows: list[list[str]], widths: list[float], merged_header: int = 0) -> float:
    """Draw a ruled table from `top` down; the header's first cell spans `merged_header` + 1 columns."""
    x0, height = 60, 22
    xs = [x0 + sum(widths[:i]) for i in range(len(widths) + 1)]
    for r, row in enumerate(rows):
        y = top - height * (r + 1)
        for i, cell in enumerate(row):
            if r == 0 and 0 < i <= merged_header:
                continue
            c.drawString(xs[i] + 3, y + 7, cell)
        c.line(xs[0], y, xs[-1], y)
    c.line(xs[0], top, xs[-1], top)
    bottom = top - height * len(rows)
    for i, x in enumerate(xs):
        if 0 < i <= merged_header:  # the merged header cell has no rule inside it
            c.line(x, bottom, x, top - height)
        else:
            c.line(x, bottom, x, top)
    return bottom


def test_a_ruled_table_is_read_as_rows_and_a_boxed_column_stays_text(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    from assistant.targets import TargetCues, extract_targets
    from assistant.understand import SectorMap

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "plan.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("STSong-Light", 10)
    c.drawString(60, 800, "某市“十四五”生态环境保护规划")
    c.drawString(60, 780, "一、主要目标")
    c.drawString(60, 760, "到 2025 年，全市生态环境质量持续改善。")
    c.drawString(60, 740, "表 1 主要指标")
    widths = [30, 200, 80, 110, 60]
    _ruled_table(c, 730, [["指标", "", "2020年", "2025年", "属性"],
                          ["1", "单位地区生产总值能源消耗降低（%）", "[21.5]", "完成省下达任务", "约束性"],
                          ["2", "非化石能源消费比重（%）", "9.5", "≥14", "预期性"]], widths, merged_header=1)
    c.drawString(60, 600, "二、重点任务")
    c.rect(60, 480, 480, 100)  # a boxed 专栏 of running text: one column, not a table
    c.drawString(66, 560, "专栏 1 重点工程")
    c.drawString(66, 540, "实施燃煤锅炉节能改造工程，推广高效电机。")
    c.showPage()
    c.setFont("STSong-Light", 10)
    _ruled_table(c, 800, [["3", "森林覆盖率（%）", "23.78", "≥25", "约束性"]], widths)  # runs on from page 1
    c.drawString(60, 740, "三、保障措施")
    c.drawString(60, 720, "各部门按职责分工负责。")
    c.showPage()
    c.save()

    document = read_document(path)
    text = document.text
    assert "指标\t2020年\t2025年\t属性" in text  # the merged header cell is one column
    assert "单位地区生产总值能源消耗降低（%）\t[21.5]\t完成省下达任务\t约束性" in text
    assert text.count("指标\t2020年\t2025年\t属性") == 2 and "森林覆盖率（%）\t23.78\t≥25\t约束性" in text
    assert "实施燃煤锅炉节能改造工程，推广高效电机。" in text and "\t实施" not in text

    cues = TargetCues.load(ROOT / "assistant" / "data" / "target_cues.toml")
    sectors = SectorMap.load(ROOT / "assistant" / "data" / "departments.toml")
    found = {(t.indicator, t.value, t.unit, t.comparator, t.year)
             for t in extract_targets(parse(document), sectors, cues) if t.source_kind == "table"}
    assert found == {("单位地区生产总值能源消耗降低（%）", "完成省下达任务", "", "完成", "2025"),
                     ("非化石能源消费比重（%）", "14", "%", "不低于", "2025"),
                     ("森林覆盖率（%）", "25", "%", "不低于", "2025")}  # 2020 is where things stand, not a target
