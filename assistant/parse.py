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
LEVEL3 = re.compile(r"^(\d{1,2})\s*[.．、](?!\d)\s*(\S.*)$")
LEVEL4 = re.compile(r"^[（(](\d{1,2})[）)]\s*(\S.*)$")
BOX = re.compile(r"^专栏\s*\d+")
TABLE = re.compile(r"^表\s*\d+\s*\S")
FIGURE = re.compile(r"^图\s*\d+\s*\S")
ANNEX = re.compile(r"^附件\s*\d*\s*[:：]?\s*(\S.{0,40})?$")
TOC_LINE = re.compile(r"\.{3,}.*-\s*\d+\s*-\s*$|…{2,}")
TERMINAL = set("。！？；：”」）)…!?;:")
TITLE_END = "。：:"  # a run-in heading ends here and its paragraph begins
TITLE_BREAKS = "，,；;！？!?"  # a title never holds these; a sentence does
FRONT_SECTION = "正文前"
# Heading kinds and their depth in the outline. A 专栏 box sits between （一） and 1.: it
# closes at the next 一、/（一） or box, and the numbered items printed inside it belong to it.
LEVELS = {"annex": 0, "h1": 1, "h2": 2, "box": 2.5, "h3": 3, "h4": 4}
TITLE_LIMITS = {"h1": 30, "h2": 40, "box": 40, "h3": 30, "h4": 30, "annex": 40}
PATTERNS = (("h1", LEVEL1), ("h2", LEVEL2), ("box", BOX), ("h4", LEVEL4), ("h3", LEVEL3))


def heading_title(line: str, kind: str) -> int:
    """How many characters of `line` are the heading: all of a title line (“（一）发展基础”,
    also when it ends with 。), or the part before the first 。/： of a run-in heading
    (“（一）发展基础。正文……”); 0 when the line is a numbered sentence instead."""
    limit = TITLE_LIMITS[kind]
    body = line.rstrip(TITLE_END)
    closed = body != line  # ends with 。: a comma inside makes it a sentence, not a title
    breaks = TITLE_BREAKS if closed else "；;"
    if len(body) <= limit and not any(ch in body for ch in TITLE_END + breaks):
        return len(body)
    cut = min((i for i in (line.find(ch) for ch in TITLE_END) if i > 0), default=-1)
    if 0 < cut <= limit and not any(ch in line[:cut] for ch in TITLE_BREAKS):
        return cut
    return 0


def classify(line: str) -> str:
    """The kind of one stripped, non-blank line."""
    kind, _ = classify_heading(line)
    return kind


def classify_heading(line: str) -> tuple[str, int]:
    """(kind, length of the heading title in the line; 0 when it is no heading)."""
    if squash(line) == "目录" or TOC_LINE.search(line):
        return "toc", 0
    for kind, pattern in PATTERNS:
        if pattern.match(line) and (title := heading_title(line, kind)):
            return kind, title
    if TABLE.match(line) and len(line) <= 80 and "。" not in line:
        return "table", 0
    if FIGURE.match(line) and len(line) <= 80 and "。" not in line:
        return "figure", 0
    if ANNEX.match(line):
        return "annex", len(line)
    if "\t" in line:
        return "row", 0
    return "text", 0


def heading_label(line: str, kind: str) -> str:
    """A heading as shown in section paths: （一）发展现状, 1.指导思想, (1)锅炉, 专栏 2 …"""
    line = collapse(line)
    if kind == "h2":
        m = LEVEL2.match(line)
        return f"（{m.group(1)}）{m.group(2).strip()}"
    if kind == "h3":
        m = LEVEL3.match(line)
        return f"{m.group(1)}.{m.group(2).strip()}"
    if kind == "h4":
        m = LEVEL4.match(line)
        return f"（{m.group(1)}）{m.group(2).strip()}"
    return line


@dataclass
class _Table:
    caption: str
    header: tuple[str, ...] = ()
    sector: str = ""


@dataclass
class _State:
    path: list[tuple[float, str]] = field(default_factory=list)  # (level, label) outline stack
    seen_body: bool = False
    table: _Table | None = None
    para: tuple[int, int] | None = None  # open paragraph span

    @property
    def section_path(self) -> tuple[str, ...]:
        return tuple(label for _, label in self.path)

    def enter(self, level: float, label: str) -> None:
        """A heading closes every open heading of its level or deeper, then opens."""
        while self.path and self.path[-1][0] >= level:
            self.path.pop()
        self.path.append((level, label))


def parse(document: Document) -> ParsedDocument:
    text = document.text
    blocks: list[Block] = []
    state = _State()

    def close_paragraph() -> None:
        if state.para:
            kind = "paragraph" if state.seen_body else "front"
            path = state.section_path if state.seen_body else (FRONT_SECTION,)
            blocks.append(Block(kind, path, *state.para))
            state.para = None

    for start, end, line in _lines(text):
        kind, title = classify_heading(line)
        if kind == "annex" and not state.seen_body:
            kind = "text"  # “附件：…” in the cover letter names the plan that follows
        if kind in LEVELS:
            close_paragraph()
            state.table = None
            if kind == "h1" and not state.seen_body:
                state.seen_body = True
            if not state.seen_body:
                state.para = (start, end)
                close_paragraph()
                continue
            state.enter(LEVELS[kind], heading_label(line[:title], kind))
            blocks.append(Block("heading", state.section_path, start, start + title))
            if title < len(line.rstrip(TITLE_END)):  # run-in: the heading's paragraph goes on
                state.para = (start, end)
        elif kind == "toc":
            close_paragraph()
            blocks.append(Block("toc", (), start, end))
        elif kind == "figure":
            close_paragraph()
            state.table = None
            blocks.append(Block("figure", state.section_path, start, end))
        elif kind == "table":
            close_paragraph()
            state.table = _Table(caption=collapse(line))
            blocks.append(Block("table_caption", state.section_path, start, end))
        elif kind == "row" and state.seen_body:
            if state.table is None:  # a table printed without a 表 N caption
                close_paragraph()
                state.table = _Table(caption="")
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
    path = state.section_path + ((table.caption,) if table.caption else ())
    if not table.header:
        table.header = cells
        return Block("table_header", path, start, end, context=table.caption, cells=cells)
    parts = [table.caption, table.sector, " ".join(table.header)]
    return Block("table_row", path, start, end,
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
