"""readers: one file -> its plain text, one reader per file type (txt, md, pdf, docx).

Every reader returns text laid out the way the parser expects: one paragraph per line,
headings on lines of their own (or run into their paragraph, as real plans print them),
table rows as tab-separated cells. Quotes are later taken from this text, so it is what
"verbatim" means for a PDF or DOCX plan.

PDF text comes from the text layer (pypdfium2, chosen by measured extraction quality on
real plans, see README). Its lines are the printed lines, so the reader removes page
numbers and running headers and footers, then joins the lines of each paragraph again.

Every reader works within `ReadLimits` checked while reading, not after: a PDF's page count
before extraction, a DOCX's ZIP directory before inflating, the character limit as text
comes in. PDF and DOCX, parsed by third-party code, are read in a child process
(`read_plan_text`) with a memory limit and a timeout.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from .errors import CorpusError, UnreadableFile
from .types import ReadLimits

log = logging.getLogger(__name__)

# A line that starts a new paragraph whatever the line before it: a numbered heading,
# a box or table caption, an annex.
PARAGRAPH_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,2}\s*[.．、](?!\d)|"
    r"[（(]\d{1,2}[）)]|专栏\s*\d|表\s*\d|图\s*\d|附件|第[一二三四五六七八九十]+章)")
PAGE_NUMBER = re.compile(r"^[\s\-—–－_·•]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*(?:共\s*)?\d{1,4}\s*页?)?[\s\-—–－_·•]*$")
PARAGRAPH_END = "。！？；：”」）)!?;:"
EDGE_LINES = 2  # page numbers and running headers sit in a page's first or last lines
SHORT_LINE = 0.8  # a line below this share of the usual width ends its paragraph
MIN_TEXT_CHARS_PER_PAGE = 20
PAGE_FURNITURE_CHARS = 300  # line breaks, page numbers and running heads a page may hold beyond its text
WORD_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
RATIO_CHECKED_BYTES = 1_000_000  # small members (styles, settings) may compress very well
MB = 1_000_000
MIB = 1024 * 1024
REFUSED, OUT_OF_MEMORY, UNREADABLE = 3, 4, 5  # the reading child's exit codes
MEMORY_CAP_REACHED = 0.9  # a failure with the peak address space this close to the cap is for want of memory


def read_plan_text(path: Path, limits: ReadLimits) -> str:
    """The text of one plan file, read within `limits`. PDF and DOCX are read by a child
    process with a memory limit and a timeout, so a hostile file that a third-party parser
    chokes on costs that process, never the server or the CLI that asked."""
    reader = READERS[path.suffix.lower()]
    if path.suffix.lower() in ISOLATED:
        return _read_in_child(path, limits)
    return reader(path, limits)


def read_text(path: Path, limits: ReadLimits | None = None) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise UnreadableFile(f"文件 {path.name} 不是文本文件（含二进制内容），请放入 UTF-8 文本、PDF 或 Word 文件。")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise UnreadableFile(f"文件 {path.name} 不是 UTF-8 编码的文本（第 {line} 行），"
                          "请另存为 UTF-8 后再添加。") from exc
    if limits is not None and len(text) > limits.max_document_chars:
        raise _too_long(path.name, limits)
    return text


def read_markdown(path: Path, limits: ReadLimits | None = None) -> str:
    # Markdown headings carry the same numbering (一、/（一）) as plain text plans; the
    # leading #'s are replaced by spaces so character offsets stay those of the file.
    return "".join(_unhash(line) for line in read_text(path, limits).splitlines(keepends=True))


def _unhash(line: str) -> str:
    stripped = line.lstrip("#")
    return " " * (len(line) - len(stripped)) + stripped if line.startswith("#") else line


def _too_long(name: str, limits: ReadLimits) -> CorpusError:
    return CorpusError(f"规划文件 {name} 的正文超过上限 {limits.max_document_chars:,} 字（配置项 max_document_chars），"
                       "已停止读取。请拆分文件，或由管理员调高上限后再添加。")


def read_pdf(path: Path, limits: ReadLimits) -> str:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise UnreadableFile(f"PDF 文件 {path.name} 已加密，请先去除密码保护再添加。") from exc
        raise UnreadableFile(f"PDF 文件 {path.name} 已损坏或不是有效的 PDF（{exc}），请重新导出后再添加。") from exc
    try:
        count = len(pdf)  # from the page tree: nothing is extracted yet
        if count > limits.max_document_pages:
            raise CorpusError(f"PDF 文件 {path.name} 有 {count:,} 页，超过上限 {limits.max_document_pages:,} 页"
                              "（配置项 max_document_pages）。请拆分文件，或由管理员调高上限后再添加。")
        tables = _ruled_tables(path, {i for i in range(count) if _has_rules(pdf, i)})
        pages, extracted = [], 0
        for i in range(count):
            pages.append(_page_text(pdf, i, tables.get(i, [])))
            extracted += len(pages[-1])
            # line breaks and page furniture are dropped later: allow them per page
            if extracted > limits.max_document_chars + PAGE_FURNITURE_CHARS * (i + 1):
                raise _too_long(path.name, limits)
    finally:
        pdf.close()
    if sum(len(re.sub(r"\s", "", p)) for p in pages) < MIN_TEXT_CHARS_PER_PAGE * max(1, len(pages)):
        raise UnreadableFile(f"PDF 文件 {path.name} 没有可提取的文字层（可能是扫描件），请先做文字识别（OCR）后再添加。")
    return reflow(strip_page_furniture([p.replace("\r\n", "\n").replace("\r", "\n").split("\n") for p in pages]))


def _page_text(pdf, i: int, tables: list[PageTable]) -> str:
    """The page's text layer; where a ruled table stands, its rows as tab-separated cells
    instead of its printed lines (the text above, between and below read by band)."""
    page = pdf[i]
    textpage = page.get_textpage()
    try:
        if not tables:
            return textpage.get_text_range()
        width, height = page.get_size()
        parts, above = [], height
        for table in tables:  # pdfplumber measures from the page's top, pdfium from its bottom
            parts.append(textpage.get_text_bounded(left=0, bottom=height - table.top, right=width, top=above))
            parts.append("\n".join(table.lines))
            above = height - table.bottom
        parts.append(textpage.get_text_bounded(left=0, bottom=0, right=width, top=above))
        return "\n".join(p for p in parts if p)
    finally:
        textpage.close()
        page.close()


@dataclasses.dataclass(frozen=True)
class PageTable:
    top: float
    bottom: float
    lines: tuple[str, ...]  # a caption line, then the header and rows as tab-separated cells


@dataclasses.dataclass(frozen=True)
class _Columns:
    """A table's columns as its header spans them (a header cell merged over three columns)."""

    count: int
    spans: tuple[tuple[int, int], ...]
    header: str  # the header line, given again to a table that runs on to the next page


def _has_rules(pdf, i: int) -> bool:
    """Whether a page draws the rules of a table of three columns or more: at least two
    horizontal and four vertical thin lines (two: one row that runs on from the page before).
    pdfium reads them in milliseconds; pdfplumber, which finds the cells, takes a tenth of a
    second a page, so only these pages go to it."""
    import pypdfium2.raw as pdfium_c

    page = pdf[i]
    try:
        across = down = 0
        for path in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=2):
            left, bottom, right, top = path.get_bounds()
            across += top - bottom < RULE_THICKNESS and right - left > RULE_MIN_LENGTH
            down += right - left < RULE_THICKNESS and top - bottom > RULE_MIN_LENGTH / 2
        return across >= 2 and down >= 4
    finally:
        page.close()


RULE_THICKNESS, RULE_MIN_LENGTH = 3, 20  # points


def _ruled_tables(path: Path, pages: set[int]) -> dict[int, list[PageTable]]:
    """Page index -> the ruled tables on it with three columns or more, of the `pages` that
    draw rules (pdfplumber finds them by their ruling lines; a boxed 专栏 of running text has
    one column and stays text). A table that runs on from the page before, without its
    header, keeps that header's columns."""
    if not pages:
        return {}
    import pdfplumber

    found: dict[int, list[PageTable]] = {}
    carried: _Columns | None = None
    with pdfplumber.open(str(path)) as pdf:
        for i in sorted(pages):
            page = pdf.pages[i]
            if i - 1 not in found:
                carried = None  # only a table on the page before runs on
            for table in sorted(page.find_tables(), key=lambda t: t.bbox[1]):
                rows = [[_cell(c) for c in row] for row in table.extract()]
                if not _is_table(rows, carried):
                    continue
                lines, carried = _table_lines(rows, carried)
                found.setdefault(i, []).append(PageTable(top=table.bbox[1], bottom=table.bbox[3], lines=tuple(lines)))
            page.flush_cache()
    return found


TABLE_MIN_COLUMNS = 3
_NUMBER_CELL = re.compile(r"^[\[（(]?[≥≤<>＞＜]?\s*-?\d+(?:\.\d+)?\s*[%％]?[\]）)]?\*?$")


def _is_table(rows, carried: _Columns | None) -> bool:
    """Three columns or more, and two rows with two filled cells, or one such row that goes on
    with the columns of the table before it."""
    full = sum(sum(1 for c in r if c) >= 2 for r in rows)
    return max((len(r) for r in rows), default=0) >= TABLE_MIN_COLUMNS and (
        full >= 2 or (full == 1 and _runs_on(rows, carried)))


def _runs_on(rows, carried: _Columns | None) -> bool:
    """The rows go on with the columns of the table before them: as many, and no header of their own."""
    return carried is not None and carried.count == max(len(r) for r in rows) and not _is_header(_first_full(rows))


def _cell(value: str | None) -> str | None:
    """A cell's text on one line (None: the cell is part of a merged one)."""
    if value is None:
        return None
    return _join_cell_lines(value.replace("\t", " ").split("\n"))


def _join_cell_lines(lines: list[str]) -> str:
    out = ""
    for line in (part.strip() for part in lines):
        out = _join(out, line) if out and line else out + line
    return out


def _table_lines(rows: list[list[str | None]], carried: _Columns | None) -> tuple[list[str], _Columns | None]:
    """Caption, header and rows as lines of tab-separated cells, one cell per header span
    (the rightmost filled cell of a span: a category merged down its rows is not the
    indicator). A row with one filled cell is a caption before the header, a sub-heading after."""
    count = max(len(r) for r in rows)
    columns = carried if _runs_on(rows, carried) else None
    # the page break may have lines between the two parts (a row split across it): the part
    # on this page opens with the header again, so it reads as the same table
    lines = [columns.header] if columns else []
    rows = list(rows)
    for i, row in enumerate(rows):
        filled = [c for c in row if c]
        if len(filled) <= 1:
            if filled:
                lines.append(filled[0] if columns is None else filled[0] + "\t")
            continue
        if columns is None and i + 1 < len(rows) and _is_sub_header(row, rows[i + 1]):
            row, rows[i + 1] = _two_row_header(row, rows[i + 1]), [None] * len(row)
        if columns is None:
            starts = [j for j, c in enumerate(row) if c is not None]
            spans = tuple(zip(starts, [*starts[1:], count], strict=True))
            columns = _Columns(count, spans, "\t".join(_span_cells(row, spans)))
        lines.append("\t".join(_span_cells(row, columns.spans)))
    return lines, columns


def _is_sub_header(header, below) -> bool:
    """A header in two rows: a merged cell (具体创建目标) over columns the row below names."""
    return (None in header and not any(c and _NUMBER_CELL.match(c) for c in below)
            and any(c and header[j] is None for j, c in enumerate(below)))


def _two_row_header(header, below) -> list[str | None]:
    """One header row: each column named by the lower row where it names it, else the upper."""
    return [b if b else h for h, b in zip(header, [*below, *[None] * (len(header) - len(below))], strict=True)]


def _span_cells(row, spans) -> list[str]:
    return [next((c for c in reversed(row[a:b]) if c), "") for a, b in spans]


def _first_full(rows) -> list:
    return next((r for r in rows if sum(1 for c in r if c) >= 2), [])


def _is_header(row) -> bool:
    """A header names its columns; a row that runs on from the page before holds figures."""
    return bool(row) and not any(c and _NUMBER_CELL.match(c) for c in row)


def strip_page_furniture(pages: list[list[str]]) -> list[str]:
    """All lines in order, without page numbers and the running headers and footers that
    repeat at the edge of most pages (“— 5 —”, “- 1 -”, “第 1 页”, the document's short title)."""
    pages = [[line for line in page if line.strip()] for page in pages]
    edge = Counter(_furniture_key(line) for page in pages for line in _edges(page))
    repeated = {key for key, n in edge.items() if len(pages) >= 3 and n >= max(2, len(pages) // 2)}
    out = []
    for page in pages:
        edges = set(range(min(EDGE_LINES, len(page)))) | set(range(max(0, len(page) - EDGE_LINES), len(page)))
        for i, line in enumerate(page):
            if i in edges and (PAGE_NUMBER.match(line) or _furniture_key(line) in repeated):
                continue
            out.append(line)
    return out


def _edges(page: list[str]) -> list[str]:
    return list(dict.fromkeys(page[:EDGE_LINES] + page[-EDGE_LINES:]))


def _furniture_key(line: str) -> str:
    """A header line compared across pages: digits (the page number) and spaces ignored."""
    return re.sub(r"[\d\s]", "", line)


# A numbered heading the PDF's text layer put on the line of the sentence before it
# (“…万人。 三、重点任务”): a sentence's end, a gap, then a heading marker.
RUN_ON_HEADING = re.compile(
    r"(?<=[。！？；])\s+(?=[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|第[一二三四五六七八九十]+章)")


def reflow(lines: list[str]) -> str:
    """Printed lines joined back into paragraphs, one per line."""
    lines = [part for line in lines for part in RUN_ON_HEADING.split(line)]
    widths = [_width(line) for line in lines if line.strip() and "\t" not in line]
    full = statistics.quantiles(widths, n=10)[7] if len(widths) >= 10 else max(widths, default=0)
    paragraphs: list[str] = []
    current = previous = ""
    for line in lines:
        if not line.strip():
            continue
        if "\t" in line:  # a table row (see _table_lines) is a paragraph of its own, never joined
            if current:
                paragraphs.append(current)
            paragraphs.append(line.rstrip("\r\n "))
            current = previous = ""
            continue
        starts = bool(PARAGRAPH_START.match(line)) or line[:1].isspace()
        if current and (starts or _ends_paragraph(previous, full)):
            paragraphs.append(current)
            current = ""
        previous = line.strip()
        current = _join(current, previous) if current else previous
    if current:
        paragraphs.append(current)
    return "\n".join(paragraphs) + "\n"


def _ends_paragraph(line: str, full: float) -> bool:
    """A line that stops short of the usual width ends its paragraph (a title, the last
    line of a paragraph); so does a short line that ends a sentence."""
    return _width(line) < SHORT_LINE * full and (line[-1:] in PARAGRAPH_END or _width(line) < 0.6 * full)


def _width(line: str) -> float:
    line = line.strip()
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in line)


def _join(left: str, right: str) -> str:
    """A line broken at the printed width: CJK text joins with nothing between; two
    Latin words keep one space."""
    if left[-1:].isascii() and left[-1:].isalpha() and right[:1].isascii() and right[:1].isalpha():
        return f"{left} {right}"
    return left + right


def read_docx(path: Path, limits: ReadLimits) -> str:
    """Body paragraphs and table rows of a .docx, in order. The ZIP directory is checked
    before anything is inflated, and the main part is read as a stream (each paragraph or
    table dropped once read) that stops at the character limit, so memory stays bounded
    whatever the archive claims or holds."""
    import zipfile

    from lxml import etree

    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(path.name, archive, limits)
            with archive.open(_main_part(archive)) as stream:
                lines = _docx_lines(stream, path.name, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, EOFError, etree.XMLSyntaxError) as exc:
        raise UnreadableFile(f"Word 文件 {path.name} 已损坏或不是 .docx 格式（旧版 .doc 请另存为 .docx），请重新导出后再添加。") from exc
    if not lines:
        raise UnreadableFile(f"Word 文件 {path.name} 没有文字内容，请检查文件。")
    return "\n".join(lines) + "\n"


def _check_archive(name: str, archive, limits: ReadLimits) -> None:
    members = archive.infolist()
    if len(members) > limits.max_zip_members:
        raise CorpusError(f"Word 文件 {name} 含 {len(members):,} 个部件，超过上限 {limits.max_zip_members:,}"
                          "（配置项 max_zip_members），不像正常的 Word 文档，已拒绝。")
    inflated = sum(m.file_size for m in members)
    if inflated > limits.max_unzipped_bytes:
        raise CorpusError(f"Word 文件 {name} 解压后有 {inflated / MB:,.0f} MB，超过上限 {limits.max_unzipped_bytes / MB:,.0f} MB"
                          "（配置项 max_unzipped_bytes），已拒绝。请删去图片等附件，或拆分文件后再添加。")
    for m in members:
        if m.file_size > RATIO_CHECKED_BYTES and m.file_size > limits.max_zip_ratio * max(1, m.compress_size):
            raise CorpusError(f"Word 文件 {name} 的部件 {m.filename} 压缩比异常（{m.file_size / max(1, m.compress_size):,.0f} 倍，"
                              f"上限 {limits.max_zip_ratio:g} 倍，配置项 max_zip_ratio），可能是“压缩炸弹”，已拒绝。")


def _main_part(archive) -> str:
    """The main document part, as the package's relationships name it."""
    from lxml import etree

    try:
        rels = etree.fromstring(archive.read("_rels/.rels"), etree.XMLParser(resolve_entities=False, no_network=True))
    except KeyError:
        return "word/document.xml"
    for rel in rels:
        if str(rel.get("Type", "")).endswith("/officeDocument"):
            return str(rel.get("Target", "")).lstrip("/")
    return "word/document.xml"


def _docx_lines(stream, name: str, limits: ReadLimits) -> list[str]:
    from docx.oxml.parser import element_class_lookup
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    from lxml import etree

    body = f"{WORD_NS}body"
    events = etree.iterparse(stream, events=("end",), tag=(f"{WORD_NS}p", f"{WORD_NS}tbl"),
                             remove_blank_text=True, resolve_entities=False, no_network=True)
    events.set_element_class_lookup(element_class_lookup)  # python-docx's own element classes
    lines, chars = [], 0
    for _, element in events:
        parent = element.getparent()
        if parent is None or parent.tag != body:
            continue  # a paragraph inside a table: read with its table
        if element.tag == f"{WORD_NS}p":
            found = [t for t in (Paragraph(element, None).text.strip(),) if t]
        else:
            found = [line for line in ("\t".join(re.sub(r"\s+", " ", c.text).strip() for c in row.cells)
                                       for row in Table(element, None).rows) if line.strip()]
        lines += found
        chars += sum(len(line) + 1 for line in found)
        if chars > limits.max_document_chars:
            raise _too_long(name, limits)
        element.clear()
        while element.getprevious() is not None:  # what was read is dropped from the tree
            del parent[0]
    return lines


# ---- the child process that reads one PDF or DOCX ------------------------------------------
def _read_in_child(path: Path, limits: ReadLimits) -> str:
    request = json.dumps({"path": str(path.resolve()), "limits": dataclasses.asdict(limits)})
    package_root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)}
    child = subprocess.Popen([sys.executable, "-m", "assistant.readers"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        out, err = child.communicate(request.encode("utf-8"), timeout=limits.read_timeout_seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise CorpusError(f"读取文件 {path.name} 超过 {limits.read_timeout_seconds:g} 秒仍未完成（配置项 read_timeout_seconds），"
                          "已停止。请检查文件是否损坏，或拆分后再添加。") from None
    if child.returncode == 0:
        return out.decode("utf-8")
    message = err.decode("utf-8", "replace").strip()
    if child.returncode == REFUSED:
        raise CorpusError(message)
    if child.returncode == UNREADABLE:
        raise UnreadableFile(message)
    if child.returncode == OUT_OF_MEMORY:
        raise CorpusError(f"读取文件 {path.name} 所需内存超过 {limits.read_memory_mb:,} MB（配置项 read_memory_mb），"
                          "已停止。请检查文件，或拆分后再添加。")
    log.error("reading %s failed (exit %s): %s", path.name, child.returncode, message[-2000:])
    raise UnreadableFile(f"无法读取文件 {path.name}（读取进程异常退出），请确认文件完好，或另存一份后再添加。")


def _child_main() -> int:
    """Read one file as the parent asked on stdin; the text goes to stdout. Exit codes:
    0 read, REFUSED or UNREADABLE (the message on stderr), OUT_OF_MEMORY; any other failure exits with
    its traceback on stderr, which the parent logs."""
    import resource

    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    limits = ReadLimits(**request["limits"])
    cap = limits.read_memory_mb * MIB
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    path = Path(request["path"])
    try:
        text = READERS[path.suffix.lower()](path, limits)
    except BaseException as exc:  # the child's one way out: an exit code the parent explains
        # a native library short of memory fails in its own words ("failed to map segment",
        # a document that "fails to load"): at the cap, that is the memory limit speaking
        if isinstance(exc, MemoryError) or _peak_address_space() >= MEMORY_CAP_REACHED * cap:
            return OUT_OF_MEMORY
        if isinstance(exc, CorpusError):
            sys.stderr.write(str(exc))
            return UNREADABLE if isinstance(exc, UnreadableFile) else REFUSED
        raise
    sys.stdout.buffer.write(text.encode("utf-8"))
    return 0


def _peak_address_space() -> int:
    """This process's peak virtual memory in bytes (Linux), 0 when it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


READERS: dict[str, Callable[[Path, ReadLimits], str]] = {
    ".txt": read_text, ".md": read_markdown, ".pdf": read_pdf, ".docx": read_docx}
ISOLATED = (".pdf", ".docx")  # third-party parsers of untrusted binary formats

if __name__ == "__main__":
    sys.exit(_child_main())
