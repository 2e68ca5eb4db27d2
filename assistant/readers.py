"""readers: one file -> its plain text, one reader per file type (txt, md, pdf, docx).

Every reader returns text laid out the way the parser expects: one paragraph per line,
headings on lines of their own (or run into their paragraph, as real plans print them),
table rows as tab-separated cells. Quotes are later taken from this text, so it is what
"verbatim" means for a PDF or DOCX plan.

PDF text comes from the text layer (pypdfium2, chosen by measured extraction quality on
real plans, see README). Its lines are the printed lines, so the reader removes page
numbers and running headers and footers, then joins the lines of each paragraph again.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from .errors import CorpusError

# A line that starts a new paragraph whatever the line before it: a numbered heading,
# a box or table caption, an annex.
PARAGRAPH_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,2}\s*[.．、](?!\d)|"
    r"[（(]\d{1,2}[）)]|专栏\s*\d|表\s*\d|图\s*\d|附件)")
PAGE_NUMBER = re.compile(r"^[\s\-—–－_·•]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*(?:共\s*)?\d{1,4}\s*页?)?[\s\-—–－_·•]*$")
PARAGRAPH_END = "。！？；：”」）)!?;:"
EDGE_LINES = 2  # page numbers and running headers sit in a page's first or last lines
SHORT_LINE = 0.8  # a line below this share of the usual width ends its paragraph
MIN_TEXT_CHARS_PER_PAGE = 20


def read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise CorpusError(f"文件 {path.name} 不是文本文件（含二进制内容），请放入 UTF-8 文本、PDF 或 Word 文件。")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise CorpusError(f"文件 {path.name} 不是 UTF-8 编码的文本（第 {line} 行），"
                          "请另存为 UTF-8 后再添加。") from exc


def read_markdown(path: Path) -> str:
    # Markdown headings carry the same numbering (一、/（一）) as plain text plans; the
    # leading #'s are replaced by spaces so character offsets stay those of the file.
    return "".join(_unhash(line) for line in read_text(path).splitlines(keepends=True))


def _unhash(line: str) -> str:
    stripped = line.lstrip("#")
    return " " * (len(line) - len(stripped)) + stripped if line.startswith("#") else line


def read_pdf(path: Path) -> str:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise CorpusError(f"PDF 文件 {path.name} 已加密，请先去除密码保护再添加。") from exc
        raise CorpusError(f"PDF 文件 {path.name} 已损坏或不是有效的 PDF（{exc}），请重新导出后再添加。") from exc
    try:
        pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()
    if sum(len(re.sub(r"\s", "", p)) for p in pages) < MIN_TEXT_CHARS_PER_PAGE * max(1, len(pages)):
        raise CorpusError(f"PDF 文件 {path.name} 没有可提取的文字层（可能是扫描件），请先做文字识别（OCR）后再添加。")
    return reflow(strip_page_furniture([p.replace("\r\n", "\n").replace("\r", "\n").split("\n") for p in pages]))


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


def reflow(lines: list[str]) -> str:
    """Printed lines joined back into paragraphs, one per line."""
    widths = [_width(line) for line in lines if line.strip()]
    full = statistics.quantiles(widths, n=10)[7] if len(widths) >= 10 else max(widths, default=0)
    paragraphs: list[str] = []
    current = previous = ""
    for line in lines:
        if not line.strip():
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


def read_docx(path: Path) -> str:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise CorpusError(f"Word 文件 {path.name} 已损坏或不是 .docx 格式（旧版 .doc 请另存为 .docx），请重新导出后再添加。") from exc
    lines = []
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = Paragraph(element, document).text.strip()
            if text:
                lines.append(text)
        elif tag == "tbl":
            for row in Table(element, document).rows:
                cells = [re.sub(r"\s+", " ", c.text).strip() for c in row.cells]
                if any(cells):
                    lines.append("\t".join(cells))
    if not lines:
        raise CorpusError(f"Word 文件 {path.name} 没有文字内容，请检查文件。")
    return "\n".join(lines) + "\n"


READERS: dict[str, Callable[[Path], str]] = {
    ".txt": read_text, ".md": read_markdown, ".pdf": read_pdf, ".docx": read_docx}
