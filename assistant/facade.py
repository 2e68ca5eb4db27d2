"""The one path to an answer: the CLI, the app, the eval runner and the benchmarks all use
`Assistant`. Heavy things (index, model, jieba) load on first use."""

from __future__ import annotations

import dataclasses
import threading
import unicodedata
from functools import cached_property

from .abstain import AbstentionModel
from .answer import (
    NO_SUCH_PART,
    REFERENCE,
    Composer,
    compose_named_department,
    compose_targets,
    department_matches,
    find_scope,
    plan_label,
)
from .errors import InvalidQuestion, PlanNotFound
from .index import Index, Manifest, Progress, build_index, ensure_index, read_manifest
from .load import load_corpus
from .parse import parse
from .retrieve import HybridRetriever
from .segment import Segmenter, make_segmenter
from .settings import Settings
from .structure import AskCues, answer_doc_fact, answer_outline, answer_table, outline_subject, table_lookup
from .targets import TargetCues, extract_targets, responsibilities, select
from .types import Answer, Document, Hit, ParsedDocument, Responsibility, Target
from .understand import (
    SectorMap,
    TypoCorrector,
    analyze,
    asks_assignment,
    find_named_department,
    plans_named,
    rewrite_follow_up,
    split_parts,
)

# Lists from the targets registry and a 专栏/表's items must stay complete: a model that
# summarises might drop one, so these answers stay extractive in LLM mode too.
COMPLETE_LIST_INTENTS = ("sector_targets", "section", "department_unknown", "sector_tasks", "outline",
                         "doc_fact", "department_named", "table")
SECTION_DEPTH = 2  # （一）-level sections: where a plan lays out one sector's tasks
NOT_FOUND_PREFIX = "规划中未找到"


def _no_progress(fraction: float, message: str) -> None:
    pass


class Assistant:
    def __init__(self, settings: Settings, progress: Progress = _no_progress):
        self.settings = settings
        self._progress = progress
        self._lock = threading.RLock()

    # ---- the index ---------------------------------------------------------------------
    @cached_property
    def index(self) -> Index:
        with self._lock:
            return Index(self.settings, ensure_index(self.settings, self._progress))

    def rebuild(self, progress: Progress = _no_progress) -> Manifest:
        """Build anew and switch to the new index; the old one serves until the switch."""
        manifest = build_index(self.settings, progress)
        with self._lock:
            for name in ("index", "retriever", "composer", "documents", "parsed", "registry"):
                self.__dict__.pop(name, None)
        return manifest

    def ensure(self, progress: Progress | None = None) -> Manifest:
        """Build the index if it is missing or stale (with progress), then load it."""
        with self._lock:
            if "index" not in self.__dict__:
                manifest = ensure_index(self.settings, progress or self._progress)
                self.__dict__["index"] = Index(self.settings, manifest)
            return self.index.manifest

    @property
    def mode(self) -> str:
        return f"llm（{self.settings.llm_model}，校验失败时回退为原文摘录）" if self.settings.llm_enabled else "extractive"

    def status(self) -> Manifest | None:
        return read_manifest(self.settings)

    # ---- the corpus ---------------------------------------------------------------------
    @cached_property
    def documents(self) -> dict[str, Document]:
        return {d.doc_id: d for d in load_corpus(self.settings.corpus_dir, self.settings.support_files)}

    @cached_property
    def parsed(self) -> dict[str, ParsedDocument]:
        return {doc_id: parse(d) for doc_id, d in self.documents.items()}

    @cached_property
    def segmenter(self) -> Segmenter:
        return make_segmenter(self.settings)

    @cached_property
    def sectors(self) -> SectorMap:
        return SectorMap.load(self.settings.corpus_dir / self.settings.departments_file, self.segmenter)

    # ---- asking -------------------------------------------------------------------------
    @cached_property
    def retriever(self) -> HybridRetriever:
        s = self.settings
        return HybridRetriever(index=self.index, segmenter=self.segmenter,
                               embeddings=self.index.embeddings, k=s.top_k, candidates=s.candidates,
                               rrf_k=s.rrf_k, dense_weight=s.dense_weight,
                               lexical_weight=s.lexical_weight, context_words=self.title_words)

    @cached_property
    def title_words(self) -> frozenset[str]:
        """Words of the plans' own titles (十四五, 节能, 规划, 塔城): they say which plan, not
        which passage, so lexical search leaves them out when a question has other words."""
        words = {w for d in self.documents.values() for w in self.segmenter.query_tokens(d.meta.title)}
        return frozenset(words)

    @cached_property
    def composer(self) -> Composer:
        return Composer(self.documents, self.parsed, self.index, self.segmenter,
                        self.settings.answer_max_sentences, self.settings.min_coverage, self.target_cues,
                        self.abstention)

    @cached_property
    def abstention(self) -> AbstentionModel | None:
        """The fitted abstention model; None (the coverage rule) when no weights file exists."""
        path = self.settings.abstention_model
        return AbstentionModel.load(path) if path.exists() else None

    def search(self, question: str) -> list[Hit]:
        return self.retriever.search(self.validate(question))

    def ask(self, question: str, history: list[tuple[str, str]] | None = None,
            docs: list[str] | None = None) -> Answer:
        """Answer a question; `history` holds earlier (question, answer) pairs, and a
        follow-up (“那建筑呢？”) is rewritten from it and the rewrite shown on the answer.
        `docs` restricts the answer to those plans; without it, a question that names a plan
        (its region, title, 文号 or issuer) is answered from that plan only."""
        original = self.validate(question)
        history = history or []
        rewritten = (self.llm.rewrite_follow_up(original, history) if self.llm and history else None) \
            or rewrite_follow_up(original, history, self.sectors)
        answer = self._answer(rewritten or original, self._plans(docs, rewritten or original))
        if rewritten:
            answer = dataclasses.replace(answer, question=original, rewritten_question=rewritten)
        if self.llm and answer.intent not in COMPLETE_LIST_INTENTS:
            answer = self.llm.answer(answer)
        return answer

    @cached_property
    def llm(self):
        """The optional LLM answer mode: None unless a model server is configured."""
        if not self.settings.llm_enabled:
            return None
        from .embed import uncached
        from .llm import LLMAnswerer
        from .support import SupportChecker

        return LLMAnswerer(self.settings, lambda: SupportChecker(self.segmenter, uncached(self.index.embeddings)))

    def _plans(self, docs: list[str] | None, question: str) -> frozenset[str] | None:
        """The plans an answer may quote: those asked for, else those the question names,
        else all (None)."""
        if docs:
            unknown = [d for d in docs if d not in self.documents]
            if unknown:
                known = "、".join(f"{d}（{doc.meta.title}）" for d, doc in self.documents.items())
                raise PlanNotFound(f"没有编号为“{'、'.join(unknown)}”的规划。可选：{known}")
            return frozenset(docs)
        return frozenset(plans_named(question, self.documents)) or None

    def _answer(self, question: str, plans: frozenset[str] | None = None) -> Answer:
        asked = self.typos.correct(self.segmenter.without(question, self.ask_cues.filler))  # “麻烦问下…呀”
        answer = dataclasses.replace(self._answer_within(asked, plans), question=question)
        if plans and not answer.found and len(self.documents) > 1 and answer.text.startswith(NOT_FOUND_PREFIX):
            titles = "、".join(f"《{plan_label(self.documents[d], 2)[1:-1]}》" for d in sorted(plans))
            answer = dataclasses.replace(answer, text=answer.text.replace(NOT_FOUND_PREFIX, f"{titles}中未找到", 1))
        return answer

    def _answer_within(self, question: str, plans: frozenset[str] | None) -> Answer:
        def within(items, doc_of):
            return [x for x in items if plans is None or doc_of(x) in plans]

        query = analyze(question, self.segmenter, self.sectors, self.index.is_specific)
        named = find_named_department(question, self.named_departments)
        if named and asks_assignment(question):
            return self._named_department(query, named, plans)
        parsed = {d: p for d, p in self.parsed.items() if plans is None or d in plans}
        if self.ask_cues.asks_outline(question) and (subject := outline_subject(question, parsed, self.ask_cues)):
            return answer_outline(query, *subject, parsed, len(self.documents), detail=self.composer.asks_amount(query))
        if query.intent == "sector_tasks" and not REFERENCE.search(question):  # 专栏 2 的措施: that box
            return self._sector_tasks(query, plans)
        if query.intent in ("sector_targets", "department_unknown"):
            chosen = within(select(self.registry, self.sectors, query.sector, query.department), lambda t: t.doc_id)
            return compose_targets(query, chosen, self.sectors, self.documents, self.registry)
        if field := self.ask_cues.doc_field(question):
            return answer_doc_fact(query, field, parsed)
        if cells := table_lookup(question, parsed, self.ask_cues):
            answer = answer_table(query, cells, parsed, len(self.documents))
            if answer.found and not REFERENCE.search(question):  # the text may say more (涨了 44%)
                return self.composer.with_text(answer, query, self.retriever.search(query.search, docs=plans))
            if answer.found or answer.sources:  # no such row: the text may still say
                return answer
        scope = find_scope(question, parsed)
        if scope is None and (subject := outline_subject(question, parsed, self.ask_cues)):
            return answer_outline(query, *subject, parsed, len(self.documents), detail=self.composer.asks_amount(query))
        if scope is None:
            parts = split_parts(query.search, self.segmenter)
            if len(parts) > 1:
                return self.composer.compose_parts(query, [
                    (dataclasses.replace(query, search_text=p), self.retriever.search(p, docs=plans))
                    for p in parts])
            return self.composer.compose(query, self.retriever.search(query.search, docs=plans))
        kind, heading, doc_id = scope
        if heading is None:
            return Answer(question=question, text=NO_SUCH_PART.format(kind=kind), found=False,
                          intent=query.intent)
        inside = self._chunks_under(doc_id, heading.section_path)
        inside.sort(key=lambda c: -self.composer.chunk_coverage(query.search, c))
        hits = [Hit(chunk=c, score=1.0, rank=i) for i, c in enumerate(inside, start=1)]
        return self.composer.compose(dataclasses.replace(query, intent="section"), hits,
                                     scope=heading, scope_doc=doc_id)

    def _sector_tasks(self, query, plans: frozenset[str] | None = None) -> Answer:
        """The sections the plan devotes to the asked sector (by the headings named for it in
        the local mapping), each quoted from its heading down."""
        words = [w for name in self.sectors.sectors_asked(query)
                 for w in self.sectors.sectors.get(name, {}).get("headings", [])]
        sections = []
        for doc_id, parsed in self.parsed.items():
            if plans is not None and doc_id not in plans:
                continue
            for block in parsed.blocks:
                if block.kind == "heading" and len(block.section_path) == SECTION_DEPTH and any(
                        w in block.section_path[-1] for w in words):
                    sections.append((block, doc_id, self._chunks_under(doc_id, block.section_path)))
        return self.composer.compose_sections(query, sections)

    def _named_department(self, query, department: str, plans: frozenset[str] | None = None) -> Answer:
        """A department the plans' own responsibility notes name: their targets and tasks."""
        def wanted(item) -> bool:
            return (plans is None or item.doc_id in plans) and any(
                department_matches(department, d) for d in item.departments)

        notes = [n for n in self.responsibilities if wanted(n)]
        targets = [t for t in self.registry if wanted(t)]
        return compose_named_department(query, department, targets, notes, self.documents)

    @cached_property
    def responsibilities(self) -> list[Responsibility]:
        return [n for p in self.parsed.values() for n in responsibilities(p, self.target_cues)]

    @cached_property
    def named_departments(self) -> list[str]:
        """Every department a plan's responsibility notes name, as written."""
        return list(dict.fromkeys(d for n in self.responsibilities for d in n.departments))

    def _chunks_under(self, doc_id: str, section_path: tuple[str, ...]) -> list:
        return [c for c in self.index.chunks
                if c.doc_id == doc_id and c.section_path[:len(section_path)] == section_path]

    # ---- the targets registry -------------------------------------------------------------
    @cached_property
    def typos(self) -> TypoCorrector:
        return TypoCorrector(d.text for d in self.documents.values())

    @cached_property
    def ask_cues(self) -> AskCues:
        return AskCues.load(self.settings.corpus_dir / self.settings.ask_cues)

    @cached_property
    def target_cues(self) -> TargetCues:
        return TargetCues.load(self.settings.corpus_dir / self.settings.target_cues)

    @cached_property
    def registry(self) -> list[Target]:
        return [t for p in self.parsed.values() for t in extract_targets(p, self.sectors, self.target_cues)]

    def targets(self, sector: str | None = None, department: str | None = None) -> list[Target]:
        return select(self.registry, self.sectors, sector or "", department or "")

    def warm_up(self) -> None:
        """Load everything a first question would (index, model, jieba)."""
        self.ask("节能目标")

    def validate(self, question: str) -> str:
        if question is None or not str(question).strip():
            raise InvalidQuestion("问题为空，请输入要查询的内容，例如“大宗固废综合利用率要达到多少？”。")
        question = str(question).strip()
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise InvalidQuestion(f"问题过长（{len(question)} 字），请精简到 {limit} 字以内。")
        if any(unicodedata.category(ch) == "Cc" for ch in question):
            raise InvalidQuestion("问题中含有控制字符，请删除后重新输入。")
        return question
