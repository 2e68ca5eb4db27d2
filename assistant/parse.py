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
CHAPTER = re.compile(rf"^第[{_CN_NUM}]+章\s*\S")
CELL_NUMBERS = re.compile(r"(?:^|\s)[\d.%/]+(?=\s|$)")  # “… % 43.3 …”: the cells of a row printed without tabs
TABLE = re.compile(r"^表\s*\d+\s*\S")
FIGURE = re.compile(r"^图\s*\d+\s*\S")
ANNEX = re.compile(r"^附件\s*\d*\s*[:：]?\s*(\S.{0,40})?$")
TOC_LINE = re.compile(r"\.{3,}.*-\s*\d+\s*-\s*$|…{2,}|[.．·]{6,}")  # a contents line: dotted leaders to its page
TERMINAL = set("。！？；：”」）)…!?;:")
TITLE_END = "。：:"  # a run-in heading ends here and its paragraph begins
TITLE_BREAKS = "，,；;！？!?"  # a title never holds these; a sentence does
TWO_CLAUSE_TITLE = 30  # …unless a whole short line is one: “（一）构建资源循环型产业体系，提高资源利用效率。”
FRONT_SECTION = "正文前"
# A plan's own title at the head of a part of the document (“福建省冶金行业“十四五”节能降碳实施方案”,
# perhaps run into its first sentence “…实施方案为贯彻落实…”): when a document holds two or more
# plans, each with its own 一、二、三, each plan is a part of the outline.
PART_TITLE = re.compile(r"^([^，。；：:,]{4,50}?(?:方案|规划|意见|计划|纲要|办法|指引)(?:[（(][^）)]{1,12}[）)])?)(?=为|根据|按照|依据|$)")
PART_LOOKAHEAD = 6  # lines from a part's title to its first heading, 一、
ANNEX_TITLE_LINES = 2  # lines after a bare “附件 1” that may hold the annex's title
# Heading kinds and their depth in the outline. A 专栏 box sits between （一） and 1.: it
# closes at the next 一、/（一） or box, and the numbered items printed inside it belong to it.
LEVELS = {"annex": 0, "chapter": 0.5, "h1": 1, "h2": 2, "box": 2.5, "h3": 3, "h4": 4}
TITLE_LIMITS = {"chapter": 30, "h1": 30, "h2": 40, "box": 40, "h3": 30, "h4": 30, "annex": 40}
PATTERNS = (("chapter", CHAPTER), ("h1", LEVEL1), ("h2", LEVEL2), ("box", BOX), ("h4", LEVEL4), ("h3", LEVEL3))


def heading_title(line: str, kind: str) -> int:
    """How many characters of `line` are the heading: all of a title line (“（一）发展基础”,
    also when it ends with 。), or the part before the first 。/： of a run-in heading
    (“（一）发展基础。正文……”); 0 when the line is a numbered sentence instead."""
    title = _title_length(line, kind)
    return 0 if len(CELL_NUMBERS.findall(line[:title])) >= 2 else title


def _title_length(line: str, kind: str) -> int:
    limit = TITLE_LIMITS[kind]
    body = line.rstrip(TITLE_END)
    closed = body != line  # ends with 。: a comma inside makes it a sentence, not a title
    breaks = TITLE_BREAKS if closed else "；;"
    if len(body) <= limit and not any(ch in body for ch in TITLE_END + breaks):
        return len(body)
    if kind in ("h1", "h2") and closed and len(body) <= TWO_CLAUSE_TITLE and body.count("，") == 1 \
            and not any(ch in body for ch in TITLE_END + "；;！？!?"):
        return len(body)  # a title in two clauses on a line of its own: “（一）构建…体系，提高…效率。”
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
    order: tuple[int, ...] = ()  # the printed columns a row's cells keep, its label first
    group_at: int | None = None  # a category column merged down its rows (类别, 指标分类)
    group: str = ""


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

    lines = list(_lines(text))
    cells = [_raw_cells(text, start) for start, _, _ in lines]
    kinds = [_row_kind(classify_heading(line), row) for (_, _, line), row in zip(lines, cells, strict=True)]
    parts = _part_titles(lines, kinds)
    annex_title = 0  # lines left in which a bare “附件 1” may still get its title
    for i, (start, end, line) in enumerate(lines):
        kind, title = kinds[i]
        lone = kind == "row" and sum(1 for c in cells[i] if c) == 1
        if lone and not (state.table is not None and state.table.header):
            kind, title = classify_heading(line)  # one cell outside a table is the line it reads as, not lost
        if kind == "annex" and (not state.seen_body or _download_link(lines, i)):
            # “附件：…” in the cover letter names the plan that follows; “附件：….rar” is a web page's download link
            kind = "text"
        if i in parts:
            kind, title = "part", parts[i]
        if annex_title and kind == "text" and _is_title_line(line):
            state.path[-1] = (state.path[-1][0], f"{state.path[-1][1]} {collapse(line)}")
            blocks[-1] = Block("heading", state.section_path, blocks[-1].start, end)
            annex_title -= 1
            continue
        annex_title = ANNEX_TITLE_LINES if kind == "annex" and _bare_annex(line) and state.seen_body else 0
        if kind == "part":
            close_paragraph()
            state.table, state.seen_body = None, True
            state.enter(LEVELS["annex"], collapse(line[:title]))
            blocks.append(Block("heading", state.section_path, start, start + title))
            if title < len(line):
                state.para = (start, end)
            continue
        if kind in LEVELS:
            close_paragraph()
            state.table = None
            if kind in ("h1", "chapter") and not state.seen_body:
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
        elif kind == "row" and lone:  # inside a table: a sub-heading row (工业, （一）总体指标)
            state.table.sector = next(c for c in cells[i] if c)
        elif kind == "row" and state.seen_body:
            if state.table is None:  # a table printed without a 表 N caption
                close_paragraph()
                state.table = _Table(caption="")
            blocks.append(_table_row(state, start, end, cells[i]))
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


def _part_titles(lines: list, kinds: list) -> dict[int, int]:
    """Line index -> title length of each part's title, when there are two parts or more; a
    title just after an annex heading is that annex's (see ANNEX_TITLE_LINES)."""
    found = {}
    for i, (_, _, line) in enumerate(lines):
        if kinds[i][0] != "text" or not (m := PART_TITLE.match(line)):
            continue
        if any(kinds[j][0] == "annex" and _bare_annex(lines[j][2]) for j in range(max(0, i - ANNEX_TITLE_LINES - 1), i)):
            continue
        ahead = next((j for j in range(i + 1, min(len(lines), i + 1 + PART_LOOKAHEAD)) if kinds[j][0] in LEVELS), None)
        if ahead is not None and kinds[ahead][0] == "h1" and lines[ahead][2].startswith("一、"):
            found[i] = len(m.group(1))
    return found if len(found) >= 2 else {}


_FILE_NAME_END = re.compile(r"\.(?:rar|zip|7z|docx?|pdf|xlsx?|wps|ofd|et)\s*$", re.I)


def _download_link(lines: list, i: int) -> bool:
    """The annex line (or the line its name runs on to) ends in a file's extension: a link to
    download the file, printed by the web page the plan was saved from, not an annex heading."""
    return any(_FILE_NAME_END.search(line) for _, _, line in lines[i:i + 2])


def _bare_annex(line: str) -> bool:
    """“附件 1” or “附件2：” with nothing after: its title is printed on the next line."""
    return bool(re.fullmatch(r"附件\s*\d*\s*[:：]?", line))


def _is_title_line(line: str) -> bool:
    return len(line) <= 40 and not any(ch in line for ch in "。，；：:,;")


def _raw_cells(text: str, start: int) -> tuple[str, ...]:
    """The tab-separated cells of the line at `start`, leading and trailing empty cells kept
    (a row whose first cell is empty keeps its columns)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    raw = text[line_start:line_end if line_end >= 0 else len(text)].rstrip("\r")
    return tuple(c.strip() for c in raw.split("\t")) if "\t" in raw else ()


def _row_kind(kind: tuple[str, int], cells: tuple[str, ...]) -> tuple[str, int]:
    """A line of tab-separated cells is a table row whatever its first cell looks like
    (“1.单位地区生产总值…”, “（一）总体指标”); a contents line stays contents."""
    return ("row", 0) if cells and kind[0] != "toc" else kind


def _table_row(state: _State, start: int, end: int, cells: tuple[str, ...]) -> Block:
    """A header or a row. Its cells start with the row's label (the 指标 column, wherever it
    is printed), without a 序号 column; a category column merged down the rows (类别) becomes
    the rows' sector. The text, and so every quote, stays as printed."""
    table = state.table
    path = state.section_path + ((table.caption,) if table.caption else ())
    if not table.header:
        table.order, table.group_at = _column_plan(cells)
        table.header = tuple(cells[j] for j in table.order)
        return Block("table_header", path, start, end, context=table.caption, cells=table.header)
    if table.group_at is not None and table.group_at < len(cells) and cells[table.group_at]:
        table.group = cells[table.group_at]
    sector = table.sector or table.group
    parts = [table.caption, sector, " ".join(table.header)]
    return Block("table_row", path, start, end, context=" ".join(p for p in parts if p), sector=sector,
                 cells=tuple(cells[j] if j < len(cells) else "" for j in table.order))


LABEL_HEADER = re.compile(r"(主要)?指标(名称|内容|体系|项目)?|(项目|指标)?名称|项目")
GROUP_HEADER = re.compile(r"(指标)?(类别|分类|类型)|领域|一级指标")
NUMBERING_HEADER = re.compile(r"序号|编号")
UNIT_HEADER = re.compile(r"(计量)?单位([（(：:].{0,8})?")  # 单位, 计量单位, 单位（万吨）; not 责任单位
# a row label's unit in its closing brackets: 森林覆盖率（%）, 能源消费总量（万吨标准煤）
LABEL_UNIT = re.compile(r"[（(]\s*(%|％|[\u4e00-\u9fff/·•]{1,8})\s*[）)]\s*$")


def unit_column(header: tuple[str, ...]) -> int | None:
    """The column of a table's header that holds each row's unit (单位), if it has one."""
    return next((j for j, h in enumerate(header) if j and UNIT_HEADER.fullmatch(squash(h))), None)


def _column_plan(header: tuple[str, ...]) -> tuple[tuple[int, ...], int | None]:
    """(the columns rows keep, label first; the category column, if any) from a header:
    the label is the column headed 指标 / 名称 / 项目, else the first after a 序号 column."""
    heads = [squash(h) for h in header]
    numbering = {j for j, h in enumerate(heads) if NUMBERING_HEADER.fullmatch(h)}
    label = next((j for j, h in enumerate(heads) if LABEL_HEADER.fullmatch(h)),
                 next((j for j in range(len(heads)) if j not in numbering), 0))
    group = next((j for j, h in enumerate(heads[:label]) if GROUP_HEADER.fullmatch(h) and j not in numbering), None)
    kept = [label] + [j for j in range(len(heads)) if j not in (label, group) and j not in numbering]
    return tuple(kept), group


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
