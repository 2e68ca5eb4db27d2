"""How the plans are laid out around a retrieved passage: the paragraph or table row it was
cut from, a row's header, the items a sentence announces, the opening sentences a 专栏 lists."""

from __future__ import annotations

import bisect
import re
from functools import cached_property

from ..text import collapse, sentence_spans, squash
from ..types import Block, Document, Hit, ParsedDocument, Source
from .quotes import Evidence, overlaps, span_source, with_titles
from .table import row_cells

OVERVIEW_ITEMS = 12
ENUMERATION = re.compile(r"^\s*(?:[一二三四五六七八九十]是|其[一二三四五六七八九十][，,、]|首先|[（(]\d+[）)])")
ENUMERATED_ITEMS = 6  # items quoted after a sentence that announces them
LEAD_MAX = 20  # a paragraph's lead sentence (a task's name run into it) is at most this long


class PlanLayout:
    """The parsed plans' paragraphs, rows and table headers, found by a passage's position."""

    def __init__(self, documents: dict[str, Document], parsed: dict[str, ParsedDocument], segmenter):
        self.documents = documents
        self.parsed = parsed
        self.segmenter = segmenter
        self._paragraphs: dict[str, str] = {}
        self.table_headers = {(doc_id, b.section_path): b for doc_id, p in parsed.items()
                              for b in p.blocks if b.kind == "table_header"}

    def with_items(self, chosen: list[Evidence], leads: bool = False) -> list[Evidence]:
        """A chosen sentence that announces a list (“形成了“两群三带”产业布局结构。”) is
        quoted with the items that follow it in its passage (一是…、二是…、（1）…). With
        `leads` (a list asked), a paragraph's lead sentence (“开展公共机构绿色办公行动。”, a
        task named in a few words before its body) is quoted with the body that follows."""
        taken = list(chosen)
        items: dict[int, list[Evidence]] = {}
        for n, e in enumerate(chosen):
            if ENUMERATION.match(e.quote):
                continue  # an item itself, not the sentence before the items
            text = self.documents[e.hit.chunk.doc_id].text
            block = self.block_at(e.hit.chunk)  # the items run on to the paragraph's end, past the chunk's
            paragraph_end = max(e.hit.chunk.end, block.end if block else 0)
            following = [span for span in with_titles(sentence_spans(text, e.hit.chunk.start, paragraph_end))
                         if span[0] >= e.end]
            lead = leads and block is not None and self._is_lead(text, block, e)
            for start, end in following[:ENUMERATED_ITEMS]:
                if not lead and not ENUMERATION.match(text[start:end]):
                    break
                item = Evidence(e.hit, start, end, collapse(text[start:end]), e.coverage, e.score)
                if not any(overlaps(item, c) for c in taken):
                    taken.append(item)
                    items.setdefault(n, []).append(item)
        # in the order chosen (the best first), each sentence followed by its items
        return [x for n, e in enumerate(chosen) for x in (e, *items.get(n, ()))]

    @staticmethod
    def _is_lead(text: str, block: Block, e: Evidence) -> bool:
        """The sentence opens its paragraph and names a task in a few words (no comma: a
        title run into the paragraph, not a sentence of its body)."""
        if text[block.start:e.start].strip():
            return False
        first = e.quote.strip().split("。")[0]
        return len(first) <= LEAD_MAX and not any(c in first for c in "，,；;：:")

    def overview(self, hits: list[Hit]) -> list[Evidence]:
        """The opening sentence (with its item title) of each paragraph or row of a section,
        in document order: what a 专栏 or 表 lists."""
        out = []
        for hit in sorted(hits, key=lambda h: h.chunk.start):
            text = self.documents[hit.chunk.doc_id].text
            if hit.chunk.kind != "table_row" and not self.starts_paragraph(hit.chunk):
                continue
            start, end = (hit.chunk.start, hit.chunk.end) if hit.chunk.kind == "table_row" else \
                with_titles(sentence_spans(text, hit.chunk.start, hit.chunk.end))[0]
            out.append(Evidence(hit, start, end, collapse(text[start:end]), 0.0, 0.0))
        return out[:OVERVIEW_ITEMS]

    def starts_paragraph(self, chunk) -> bool:
        return (chunk.doc_id, chunk.start) in self._block_starts

    @cached_property
    def _block_starts(self) -> set[tuple[str, int]]:
        return {(doc_id, b.start) for doc_id, p in self.parsed.items() for b in p.blocks}

    @cached_property
    def _paragraph_blocks(self) -> dict[str, tuple[list[int], list[Block]]]:
        """Per plan, its paragraphs and rows by start, for finding a chunk's paragraph by bisection."""
        out = {}
        for doc_id, p in self.parsed.items():
            blocks = sorted((b for b in p.blocks if b.kind in ("paragraph", "front", "table_row")), key=lambda b: b.start)
            out[doc_id] = ([b.start for b in blocks], blocks)
        return out

    def reading(self, e: Evidence) -> str:
        """How a quoted sentence is shown: as it stands; a table row with each value read
        with its column and unit (“规模以上工业增加值能耗累计降幅：16%（2025 年目标值）”, not
        “… % 16”), the row and its header cited beside it."""
        chunk = e.hit.chunk
        header = self.table_headers.get((chunk.doc_id, chunk.section_path)) if chunk.kind == "table_row" else None
        row = self.block_at(chunk) if header is not None else None
        if row is None or not row.cells or not header.cells:
            return e.quote
        cells = row_cells(header.cells, row.cells)
        return f"{row.cells[0]}：{'；'.join(cells)}" if cells else e.quote

    def block_at(self, chunk) -> Block | None:
        """The paragraph or row block a chunk was cut from."""
        starts, blocks = self._paragraph_blocks[chunk.doc_id]
        at = bisect.bisect_right(starts, chunk.start) - 1
        return blocks[at] if at >= 0 and blocks[at].start <= chunk.start < blocks[at].end else None

    def header_of(self, chunk) -> Source | None:
        """A table row's header line: it names the columns (years, units) the row's numbers fill."""
        if chunk.kind != "table_row":
            return None
        block = self.table_headers.get((chunk.doc_id, chunk.section_path))
        return block and span_source(self.documents[chunk.doc_id], chunk.section_path, block.start, block.end, "表头",
                                     table_header=True)

    def paragraph_of(self, chunk) -> str:
        """The whole paragraph (or row) a chunk was cut from, with its context, as compared."""
        if chunk.id not in self._paragraphs:
            text = self.documents[chunk.doc_id].text
            block = self.block_at(chunk)
            span = text[block.start:block.end] if block else chunk.text
            self._paragraphs[chunk.id] = compared(self.segmenter, f"{chunk.context}{span}")
        return self._paragraphs[chunk.id]


def compared(segmenter, text: str) -> str:
    """`text` as question words are looked for in it: no whitespace, synonyms unified, lower case."""
    return segmenter.canonical(squash(text)).lower()
