"""Frozen dataclasses that carry data between the stages of the flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class ReadLimits:
    """What reading one plan file may cost; each is a Settings field of the same name, which
    the refusal names so an administrator knows what to raise."""

    max_document_bytes: int
    max_document_chars: int
    max_document_pages: int  # a PDF's page count, read from its catalogue before extraction
    max_unzipped_bytes: int  # a DOCX: all members inflated, as its ZIP directory declares them
    max_zip_members: int
    max_zip_ratio: float  # inflated / compressed size of any member over 1 MB
    read_memory_mb: int  # address space of the process that reads one PDF or DOCX
    read_timeout_seconds: float


@dataclass(frozen=True)
class DocumentMeta:
    title: str
    issuer: str = ""
    number: str = ""
    date: str = ""
    region: str = ""


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
    table_header: bool = False  # a table's header line, cited for the columns (years, units) of its rows

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
class Exchange:
    """One question of a conversation and its answer, as a transcript keeps them."""

    question: str
    answer: str
    state: str  # answered | related | not_found
    sources: tuple[Source, ...] = ()

    @classmethod
    def from_json(cls, question: str, data: dict) -> Exchange:
        """From an answer in the JSON of the CLI contract (Answer.to_json())."""
        sources = tuple(Source(doc=s.get("doc", ""), title=s.get("title", ""), section=s.get("section", ""),
                               quote=s.get("quote", ""), score=float(s.get("score", 0.0)),
                               start=int(s.get("start", -1)), end=int(s.get("end", -1)))
                        for s in data.get("sources", []))
        return cls(question=question, answer=data.get("answer", ""), state=data.get("state", "answered"),
                   sources=sources)


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
    departments: tuple[str, ...] = ()  # named by the plan's own responsibility note
    note_start: int = -1  # that note's span, cited beside the target
    note_end: int = -1
    plan: str = ""  # the plan's title, for lists that span several plans
    # the deadline its paragraph opens with (“到 2025 年，…。完成…”) when its own quote states none: not a
    # year the target states (answers never say it), only the matrix's year for it, as a plan's horizon is
    opened_year: str = ""

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(self.section_path)


@dataclass(frozen=True)
class IndicatorCell:
    """One plan's target for one indicator (its canonical name in the cue file's vocabulary),
    as the plan states it: nothing here is computed beyond what the quote says."""

    indicator: str
    doc_id: str
    plan: str
    value: str  # as printed, with its unit: 13.5%, 15.5%以上 …
    number: float | None
    unit: str
    direction: str  # 下降 / 提高, else the comparator (达到, 控制在 …); "" for a table's bare value
    baseline_year: str
    target_year: str
    binding: str  # 约束性 / 预期性 when the quote says so, else ""
    quote: str
    section: str
    start: int
    end: int


@dataclass(frozen=True)
class IndicatorMatrix:
    """Indicator × plan: every cell, the indicators that have one, and the plans compared
    (doc id, title) in their order, including plans that state none."""

    indicators: tuple[str, ...]
    plans: tuple[tuple[str, str], ...]
    cells: tuple[IndicatorCell, ...]

    def of(self, indicator: str, doc_id: str) -> list[IndicatorCell]:
        return [c for c in self.cells if c.indicator == indicator and c.doc_id == doc_id]


@dataclass(frozen=True)
class IndicatorCheck:
    """A plan's target beside its superior plan's for the same indicator, year and unit:
    `meets` when the local target is at least as ambitious (a larger cut, a higher rate, a
    lower cap)."""

    indicator: str
    local: IndicatorCell
    superior: IndicatorCell
    meets: bool


@dataclass(frozen=True)
class Responsibility:
    """A plan's own note of who does a task (“（省发展改革委牵头，省能源局等按职责分工负责）”):
    the note's span, and the task text before it that it covers."""

    doc_id: str
    section_path: tuple[str, ...]
    start: int
    end: int
    task_start: int
    leads: tuple[str, ...]
    partners: tuple[str, ...] = ()

    @property
    def departments(self) -> tuple[str, ...]:
        return self.leads + self.partners


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
    target_year: str = ""  # the year an amount is asked for (到2030年…再降多少), of `years`
    unknown_department: str = ""
    field: str = ""  # an unmapped department's field (统计局 → 统计) when what it must do is asked
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
    state: str = ""  # answered | related | not_found (derived from found when empty)
    confidence: float | None = None  # calibrated P(the evidence answers); None: a structural answer
    features: object = field(default=None, compare=False, repr=False)  # what the decision weighed

    @property
    def answer_state(self) -> str:
        return self.state or ("answered" if self.found else "not_found")

    @property
    def answer_confidence(self) -> float:
        return self.confidence if self.confidence is not None else (1.0 if self.found else 0.0)
    # LLM mode: why the model's reply was not shown (number, unsupported, uncited,
    # bad_marker, no_marker, empty, timeout, connection, status, service), or "" when it was;
    # and, when some of its sentences were dropped and the rest shown, why each was dropped
    fallback_reason: str = ""
    dropped: tuple[str, ...] = ()

    def to_json(self) -> dict:
        data = {
            "answer": self.text,
            "found": self.found,
            "state": self.answer_state,
            "confidence": round(self.answer_confidence, 3),
            "sources": [s.to_json() for s in self.sources],
            "intent": self.intent,
            "mode": self.mode,
        }
        if self.rewritten_question:
            data["rewritten_question"] = self.rewritten_question
        if self.note:
            data["note"] = self.note
        if self.fallback_reason:
            data["fallback_reason"] = self.fallback_reason
        if self.dropped:
            data["dropped_sentences"] = len(self.dropped)
        if self.error:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class PlanSplit:
    """Real plans of one split (dev or test) and the eval sets written for them."""
    name: str
    plans: tuple[Path, ...]
    also_indexed: tuple[Path, ...]  # indexed beside the plans, asked nothing
    sets: tuple[Path, ...]


@dataclass(frozen=True)
class Proposal:
    """One strategy's answer to a question (see choose.py: one fitted model picks among them)."""

    strategy: str  # department, outline, table, targets, doc_fact, section, passages … (choose.STRATEGIES)
    answer: Answer


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    type: str
    answerable: bool
    key_facts: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    section: str = ""
    paraphrase_of: str = ""  # in a paraphrase set: the id of the test question it rewords
    plans: tuple[str, ...] = ()  # the plans (document ids) whose text holds the gold evidence; () any


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
    source_right: bool | None = None  # a cited source holds a gold span of the right plan; None: no evidence

    @property
    def confident_wrong(self) -> bool:
        """Shown as answered with confidence >= 0.8, yet the plan does not say so or a key fact is missing."""
        return (self.answer.found and self.answer.answer_confidence >= 0.8
                and (not self.item.answerable or bool(self.facts_missing)))

    @property
    def abstained_correctly(self) -> bool:
        return self.answer.found == self.item.answerable

    @property
    def passed(self) -> bool:
        return (self.abstained_correctly and not self.facts_missing and not self.answer.error
                and self.citations_valid and self.numbers_faithful)
