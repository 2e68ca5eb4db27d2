"""transcript: a conversation's answers -> a document staff can keep (Markdown or Word).

Each exchange is written with the question, the answer as shown, what kind of answer it was
(answered / 未找到 / only related passages), and every source: plan title, section path and
the quote, verbatim. The answers come in the JSON of the CLI contract (`Answer.to_json()`),
which is what a chat session keeps.
"""

from __future__ import annotations

from pathlib import Path

from .types import Exchange

STATE_NAMES = {"answered": "已回答", "related": "未直接回答，列出可能相关的原文", "not_found": "规划中未找到"}
TITLE = "规划问答记录"


def to_markdown(exchanges: list[Exchange], exported_at: str) -> str:
    lines = [f"# {TITLE}", "", f"导出时间：{exported_at} · 共 {len(exchanges)} 问", ""]
    for n, ex in enumerate(exchanges, start=1):
        lines += [f"## {n}. {_one_line(ex.question)}", "", f"*{STATE_NAMES.get(ex.state, ex.state)}*", "",
                  ex.answer.strip(), ""]
        if ex.sources:
            lines += ["**出处**", ""]
            for i, source in enumerate(ex.sources, start=1):
                lines += [f"[{i}] 《{source.title}》 {source.section}", "", *(f"> {q}" for q in source.quote.splitlines()),
                          ""]
    return "\n".join(lines).rstrip() + "\n"


def write_docx(exchanges: list[Exchange], path: Path, exported_at: str) -> Path:
    """The same record as a .docx (python-docx), in a font that has the Chinese characters."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    for style in ("Normal", "Heading 1", "Heading 2", "Quote"):
        fonts = doc.styles[style].element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), "宋体" if style in ("Normal", "Quote") else "黑体")
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(TITLE, level=1)
    doc.add_paragraph(f"导出时间：{exported_at} · 共 {len(exchanges)} 问")
    for n, ex in enumerate(exchanges, start=1):
        doc.add_heading(f"{n}. {_one_line(ex.question)}", level=2)
        doc.add_paragraph().add_run(STATE_NAMES.get(ex.state, ex.state)).italic = True
        for paragraph in ex.answer.strip().splitlines():
            if paragraph.strip():
                doc.add_paragraph(paragraph.strip())
        if ex.sources:
            doc.add_paragraph().add_run("出处").bold = True
            for i, source in enumerate(ex.sources, start=1):
                doc.add_paragraph(f"[{i}] 《{source.title}》 {source.section}")
                doc.add_paragraph(source.quote, style="Quote")
    doc.save(str(path))
    return path


def _one_line(text: str) -> str:
    return " ".join(text.split())
