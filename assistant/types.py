"""Frozen dataclasses that carry data between the stages of the flow."""

from __future__ import annotations

from dataclasses import dataclass, field

SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class DocumentMeta:
    title: str
    issuer: str = ""
    number: str = ""
    date: str = ""


@dataclass(frozen=True)
class Document:
    doc_id: str
    path: str
    text: str
    meta: DocumentMeta


@dataclass(frozen=True)
class Block:
    """One structural unit of a parsed document, located by its character span."""

    kind: str  # heading | paragraph | table_row | table_caption | figure | toc | front
    section_path: tuple[str, ...]
    start: int
    end: int
    context: str = ""  # table caption, header, sector: what makes a row readable alone
    sector: str = ""
    cells: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedDocument:
    document: Document
    blocks: tuple[Block, ...]

    def headings(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "heading"]


@dataclass(frozen=True)
class Chunk:
    id: str
    doc_id: str
    section_path: tuple[str, ...]
    text: str  # verbatim span of the document, whitespace collapsed
    start: int
    end: int
    kind: str
    context: str = ""  # indexed with the text, never quoted

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(self.section_path)

    @property
    def search_text(self) -> str:
        return f"{self.context} {self.text}".strip()


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # fused (reciprocal rank fusion)
    rank: int
    lexical_rank: int | None = None
    lexical_score: float | None = None
    dense_rank: int | None = None
    dense_score: float | None = None


@dataclass(frozen=True)
class Source:
    doc: str
    title: str
    section: str
    quote: str
    score: float
    start: int
    end: int
    why: str = ""  # how retrieval ranked it, for readers who ask why it came up

    def to_json(self) -> dict:
        return {
            "doc": self.doc,
            "title": self.title,
            "section": self.section,
            "quote": self.quote,
            "score": round(self.score, 4),
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Target:
    indicator: str
    value: str
    unit: str
    comparator: str
    year: str
    sector: str
    section_path: tuple[str, ...]
    quote: str
    doc_id: str
    start: int
    end: int
    baseline: str = ""
    source_kind: str = "text"  # text | table
    header_quote: str = ""  # a table target's header line, which states the deadline
    header_start: int = -1
    header_end: int = -1

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(self.section_path)


@dataclass(frozen=True)
class Query:
    """What the question analysis understood."""

    text: str
    intent: str  # fact | list | sector_targets | out_of_scope
    terms: tuple[str, ...]
    sector: str = ""
    department: str = ""
    numbers: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    unknown_department: str = ""
    search_text: str = ""  # what retrieval looks for: department words become sector words

    @property
    def search(self) -> str:
        return self.search_text or self.text


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    found: bool
    sources: tuple[Source, ...] = ()
    intent: str = "fact"
    mode: str = "extractive"
    rewritten_question: str | None = None
    note: str = ""
    error: str = ""  # why no answer could be given (an internal check, bad input): shown, logged
    hits: tuple[Hit, ...] = field(default=(), compare=False, repr=False)

    def to_json(self) -> dict:
        data = {
            "answer": self.text,
            "found": self.found,
            "sources": [s.to_json() for s in self.sources],
            "intent": self.intent,
            "mode": self.mode,
        }
        if self.rewritten_question:
            data["rewritten_question"] = self.rewritten_question
        if self.note:
            data["note"] = self.note
        if self.error:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    type: str
    answerable: bool
    key_facts: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    section: str = ""


@dataclass(frozen=True)
class EvalResult:
    item: EvalItem
    answer: Answer
    latency_ms: float
    gold_rank: int | None  # rank of the first hit holding a gold evidence span
    facts_found: tuple[str, ...]
    facts_missing: tuple[str, ...]
    citations_valid: bool
    numbers_faithful: bool

    @property
    def abstained_correctly(self) -> bool:
        return self.answer.found == self.item.answerable

    @property
    def passed(self) -> bool:
        return (self.abstained_correctly and not self.facts_missing and not self.answer.error
                and self.citations_valid and self.numbers_faithful)
