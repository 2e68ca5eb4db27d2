"""parse: a Document -> blocks (headings, paragraphs, table rows) with section paths.

Plans are delivered as PDF-extracted text: headings numbered 一、/（一）/1./专栏 N,
captions 表 N / 图 N, tab-separated tables, and sentences cut in two by page breaks.
Every block is a character span of the original text, so quotes stay verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import collapse, squash
from .types import Block, Document, ParsedDocument

_CN_NUM = "一二三四五六七八九十"
LEVEL1 = re.compile(rf"^[{_CN_NUM}]+、\S")
LEVEL2 = re.compile(rf"^[（(]([{_CN_NUM}]+)[）)]\s*(\S.*)$")
LEVEL3 = re.compile(r"^(\d{1,2})\s*[.．、]\s*(\S.*)$")
BOX = re.compile(r"^专栏\s*\d+")
TABLE = re.compile(r"^表\s*\d+\s*\S")
FIGURE = re.compile(r"^图\s*\d+\s*\S")
TOC_LINE = re.compile(r"\.{3,}.*-\s*\d+\s*-\s*$|…{2,}")
TERMINAL = set("。！？；：”」）)…!?;:")
FRONT_SECTION = "正文前"


def _is_title_like(line: str, limit: int) -> bool:
    return len(line) <= limit and "。" not in line and "；" not in line


def classify(line: str) -> str:
    """The kind of one stripped, non-blank line."""
    if squash(line) == "目录" or TOC_LINE.search(line):
        return "toc"
    if LEVEL1.match(line) and _is_title_like(line, 30):
        return "h1"
    if LEVEL2.match(line) and _is_title_like(line, 40):
        return "h2"
    if BOX.match(line) and _is_title_like(line, 40):
        return "box"
    if LEVEL3.match(line) and _is_title_like(line, 30):
        return "h3"
    if TABLE.match(line) and _is_title_like(line, 80):
        return "table"
    if FIGURE.match(line) and _is_title_like(line, 80):
        return "figure"
    if "\t" in line:
        return "row"
    return "text"


def heading_label(line: str, kind: str) -> str:
    """A heading as shown in section paths: （一）发展现状, 1.指导思想, 专栏 2 …"""
    line = collapse(line)
    if kind == "h2":
        m = LEVEL2.match(line)
        return f"（{m.group(1)}）{m.group(2).strip()}"
    if kind == "h3":
        m = LEVEL3.match(line)
        return f"{m.group(1)}.{m.group(2).strip()}"
    return line


@dataclass
class _Table:
    caption: str
    header: tuple[str, ...] = ()
    sector: str = ""


@dataclass
class _State:
    path: list[str] = field(default_factory=list)
    seen_body: bool = False
    table: _Table | None = None
    para: tuple[int, int] | None = None  # open paragraph span


def parse(document: Document) -> ParsedDocument:
    text = document.text
    blocks: list[Block] = []
    state = _State()

    def close_paragraph() -> None:
        if state.para:
            kind = "paragraph" if state.seen_body else "front"
            path = tuple(state.path) if state.seen_body else (FRONT_SECTION,)
            blocks.append(Block(kind, path, *state.para))
            state.para = None

    for start, end, line in _lines(text):
        kind = classify(line)
        if kind in {"h1", "h2", "h3", "box"}:
            close_paragraph()
            state.table = None
            if kind == "h1" and not state.seen_body:
                state.seen_body = True
            if not state.seen_body:
                state.para = (start, end)
                close_paragraph()
                continue
            depth = {"h1": 0, "h2": 1, "h3": 2, "box": 2}[kind]
            label = heading_label(line, kind)
            state.path = state.path[:depth] + [label]
            blocks.append(Block("heading", tuple(state.path), start, end))
        elif kind == "toc":
            close_paragraph()
            blocks.append(Block("toc", (), start, end))
        elif kind == "figure":
            close_paragraph()
            state.table = None
            blocks.append(Block("figure", tuple(state.path), start, end))
        elif kind == "table":
            close_paragraph()
            state.table = _Table(caption=collapse(line))
            blocks.append(Block("table_caption", tuple(state.path), start, end))
        elif state.table is not None and kind == "row":
            blocks.append(_table_row(state, start, end, line))
        elif state.table is not None and _is_table_subheading(line):
            state.table.sector = collapse(line)
        else:
            state.table = None
            if state.para and _continues(text, state.para):
                state.para = (state.para[0], end)
            else:
                close_paragraph()
                state.para = (start, end)
    close_paragraph()
    return ParsedDocument(document=document, blocks=tuple(blocks))


def _table_row(state: _State, start: int, end: int, line: str) -> Block:
    table = state.table
    cells = tuple(c.strip() for c in line.split("\t"))
    if not table.header:
        table.header = cells
        return Block("table_header", tuple(state.path) + (table.caption,), start, end,
                      context=table.caption, cells=cells)
    parts = [table.caption, table.sector, " ".join(table.header)]
    return Block("table_row", tuple(state.path) + (table.caption,), start, end,
                 context=" ".join(p for p in parts if p), sector=table.sector, cells=cells)


def _is_table_subheading(line: str) -> bool:
    return len(line) <= 8 and not any(ch in TERMINAL or ch in "，、" for ch in line)


def _continues(text: str, para: tuple[int, int]) -> bool:
    """An open paragraph whose last character ends no sentence was cut by a page break."""
    last = text[para[0]:para[1]].rstrip()[-1:]
    return bool(last) and last not in TERMINAL


def _lines(text: str):
    """(start, end, stripped line) for every non-blank line; offsets exclude the padding."""
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            lead = len(body) - len(body.lstrip())
            start = pos + lead
            yield start, start + len(stripped), stripped
        pos += len(raw)
