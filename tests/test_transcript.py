"""A conversation exported as Markdown and as Word (assistant/transcript.py)."""

from __future__ import annotations

from assistant import transcript
from assistant.types import Exchange

ANSWERED = {"answer": "到2025年，大宗固废综合利用率达到40%以上[1]。", "state": "answered", "found": True,
            "sources": [{"doc": "d1", "title": "塔城地区“十四五”节能规划", "section": "三、主要任务 › （八）深化循环经济助力节能",
                         "quote": "到2025年，大宗固废综合利用率达到40%以上。", "score": 0.9, "start": 10, "end": 30}]}
NOT_FOUND = {"answer": "规划中未找到关于PM2.5浓度的目标。", "state": "not_found", "found": False, "sources": []}


def exchanges():
    return [Exchange.from_json("大宗固废综合利用率到2025年要达到多少？", ANSWERED),
            Exchange.from_json("规划对PM2.5浓度有什么目标？", NOT_FOUND)]


def test_markdown_keeps_each_answer_with_its_quotes_sections_and_plan_titles():
    text = transcript.to_markdown(exchanges(), "2026-12-07 10:00")
    assert text.startswith("# 规划问答记录") and "共 2 问" in text
    assert "## 1. 大宗固废综合利用率到2025年要达到多少？" in text and "*已回答*" in text
    assert "[1] 《塔城地区“十四五”节能规划》 三、主要任务 › （八）深化循环经济助力节能" in text
    assert "> 到2025年，大宗固废综合利用率达到40%以上。" in text
    assert "## 2. 规划对PM2.5浓度有什么目标？" in text and "*规划中未找到*" in text


def test_word_holds_the_same_record(tmp_path):
    from docx import Document

    path = transcript.write_docx(exchanges(), tmp_path / "记录.docx", "2026-12-07 10:00")
    paragraphs = [p.text for p in Document(str(path)).paragraphs]
    assert paragraphs[0] == "规划问答记录"
    assert "1. 大宗固废综合利用率到2025年要达到多少？" in paragraphs
    assert "到2025年，大宗固废综合利用率达到40%以上[1]。" in paragraphs
    assert "[1] 《塔城地区“十四五”节能规划》 三、主要任务 › （八）深化循环经济助力节能" in paragraphs
    assert "到2025年，大宗固废综合利用率达到40%以上。" in paragraphs and "规划中未找到" in paragraphs
