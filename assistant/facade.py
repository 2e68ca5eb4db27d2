"""The one path to an answer: the CLI, the app, the eval runner and the benchmarks all use
`Assistant`. Heavy things (index, model, jieba) load on first use.

Everything an answer is made from (chunks, both indexes, the plan texts, the support files,
the composer) comes from one index build and is held together in a `Live` object; a rebuild
prepares the next one and swaps it in whole, so a question answered during a rebuild uses
one build throughout, never parts of two."""

from __future__ import annotations

import collections
import dataclasses
import logging
import threading
import unicodedata
from collections.abc import Callable
from functools import cache, cached_property
from pathlib import Path

from .abstain import AbstentionModel
from .answer import (
    NO_SUCH_PART,
    Composer,
    answer_doc_fact,
    answer_outline,
    answer_table,
    asks_amount,
    compose_across_plans,
    compose_mentions,
    compose_named_department,
    compose_parts,
    compose_sections,
    compose_targets,
    compose_task_departments,
    confirmed,
    department_matches,
    plan_label,
    targets_by_doc,
    with_text,
)
from .choose import ChooserModel, ProposalFeatures, choose, describe, relative, weighs
from .errors import InternalCheckError, InvalidQuestion, PlanNotFound
from .grams import PrintedGrams
from .index import (
    MANIFEST,
    SUPPORT,
    Index,
    Manifest,
    Progress,
    build_index,
    build_staged,
    open_index,
    read_manifest,
)
from .indicators import check, indicator_matrix
from .retrieve import HybridRetriever
from .segment import Segmenter, bigrams
from .settings import Settings
from .structure import (
    REFERENCE,
    AskCues,
    Lookup,
    closest_heading,
    find_scope,
    named_heading,
    outline_subject,
    table_lookup,
)
from .targets import TargetCues, responsibilities, select
from .text import contains_fact, sentence_spans, squash
from .types import (
    Answer,
    Block,
    Document,
    Hit,
    IndicatorCheck,
    IndicatorMatrix,
    ParsedDocument,
    Proposal,
    Query,
    Responsibility,
    Target,
)
from .understand import (
    Abbreviations,
    CharShapes,
    FuzzySounds,
    HomophoneCorrector,
    PlanNames,
    SectorMap,
    analyze,
    arabic_references,
    asks_assignment,
    expand_short_years,
    find_named_department,
    part_query,
    places_not_indexed,
    plan_names,
    rewrite_follow_up,
    split_parts,
    stated_numbers,
    title_words,
)

log = logging.getLogger(__name__)

HELP_PLANS = 6  # plans named in the help answer
HELP_EXAMPLES = 4
HELP_TEXT = ("您好！我是规划问答助手：根据已索引的规划原文回答问题，每个回答都附原文出处（章节与原文摘录）；"
             "规划里没有写的，我会说明未找到，不作推测。\n\n"
             "可以问目标与指标（某项指标到2025年要达到多少）、任务与部门（某部门要做什么、某项任务由哪个部门负责）、章节与提纲（某章讲了什么、"
             "有几条）、表格中的数值、文件信息（文号、印发单位），也可以对比几份规划。例如：\n{examples}\n\n"
             "已索引的规划：{plans}。\n“指标”页按领域、部门列出目标，并可对比同一指标在各规划中的目标；"
             "“原文”页可查看规划全文。")

# Lists from the targets registry and a 专栏/表's items must stay complete: a model that
# summarises might drop one, so these answers stay extractive in LLM mode too.
COMPLETE_LIST_INTENTS = ("sector_targets", "section", "department_unknown", "sector_tasks", "outline", "field_mentions",
                         "doc_fact", "department_named", "table")
CHECK_FAILED = ("抱歉，这个问题暂时无法作答：回答在内部校验中未通过（{reason}），为避免给出没有原文依据的内容，"
                "助手不作回答。问题已记录，请换个问法再试。")
NOTICES_KEPT = 20
NOT_FOUND_PREFIX = "规划中未找到"


def _no_progress(fraction: float, message: str) -> None:
    pass


class Live:
    """One index build and everything derived from it."""

    def __init__(self, index: Index, settings: Settings):
        self.index = index
        self.settings = settings

    @property
    def manifest(self) -> Manifest:
        return self.index.manifest

    @property
    def documents(self) -> dict[str, Document]:
        return self.index.documents

    @property
    def segmenter(self) -> Segmenter:
        return self.index.segmenter

    @property
    def sectors(self) -> SectorMap:
        return self.index.sectors

    @property
    def parsed(self) -> dict[str, ParsedDocument]:
        return self.index.parsed

    @cached_property
    def retriever(self) -> HybridRetriever:
        s = self.settings
        return HybridRetriever(index=self.index, segmenter=self.segmenter,
                               embeddings=self.index.embeddings, k=s.top_k, candidates=s.candidates,
                               rrf_k=s.rrf_k, dense_weight=s.dense_weight,
                               lexical_weight=s.lexical_weight, context_words=self.title_words)

    @cached_property
    def composer(self) -> Composer:
        return Composer(self.documents, self.parsed, self.index, self.segmenter,
                        self.settings.answer_max_sentences, self.settings.min_coverage, self.target_cues,
                        self.abstention, self.ask_cues,
                        self.ask_cues.vocabulary, self.sectors.department_names())

    @cached_property
    def lookup(self) -> Lookup:
        """The plans' numbered parts, headings and table rows, indexed for questions."""
        return Lookup(self.parsed)

    @cached_property
    def abstention(self) -> AbstentionModel | None:
        """The fitted abstention model; None (the coverage rule) when no weights file exists,
        or when it was fitted on another dense model's similarities than this index's."""
        path = self.settings.abstention_model
        if not path.exists():
            return None
        model = AbstentionModel.load(path)
        if model.embedder and model.embedder != self.manifest.model_id:
            log.info("abstention model fitted for %s, index uses %s: the coverage rule decides",
                     model.embedder, self.manifest.model_id)
            return None
        return model

    @cached_property
    def chooser(self) -> ChooserModel | None:
        """The fitted chooser among the strategies' proposals; None (the fixed order) without a weights file."""
        path = self.settings.chooser_model
        return ChooserModel.load(path) if path.exists() else None

    @cached_property
    def title_words(self) -> frozenset[str]:
        """Lexical search leaves these out when a question has other words (see title_words)."""
        return title_words(self.documents, self.segmenter)

    @cached_property
    def printed_titles(self) -> tuple[str, ...]:
        """The plans' titles as printed, without spaces (“土壤、地下水和农村生态环境保护规划”)."""
        return tuple(squash(d.meta.title) for d in self.documents.values())

    @cached_property
    def target_cues(self) -> TargetCues:
        return TargetCues.load(self.index.path / SUPPORT / self.settings.target_cues)

    @cached_property
    def ask_cues(self) -> AskCues:
        return AskCues.load(self.index.path / SUPPORT / self.settings.ask_cues)

    @cached_property
    def homophones(self) -> HomophoneCorrector:
        grams, counts = self.index.grams, self.index.word_counts
        # the index counts a synonym's canonical word; 固费 is a typo of the variant 固废 too; the
        # words questions are read by (文号) and the departments of the local mapping (发该委) count as known
        variants = {v: counts[c.lower()] for v, c in self.segmenter.variants() if c.lower() in counts}
        return HomophoneCorrector({**variants, **counts}, self.segmenter,
                                  printed=PrintedGrams(grams), fuzzy=FuzzySounds.load(),
                                  cue_words=self.ask_cues.vocabulary | self.sectors.department_names(),
                                  shapes=CharShapes())

    @cached_property
    def years_printed(self) -> frozenset[str]:
        """The years (2015, 2025 …) the plans print, as the index's words hold them."""
        return frozenset(w for w in self.index.word_counts if len(w) == 4 and w.startswith("20") and w.isdigit())

    def spell(self, question: str) -> str:
        """The question with characters mistyped by their sound (an input method's wrong
        pick) or, in no word of their own, by their look (循坏 for 循环) put right. Never any
        character into any printed phrase: a corrector that did answered out-of-scope words as
        plan words, and more so with more plans."""
        return self.abbreviations.expand(self.homophones.correct(question))

    @cached_property
    def abbreviations(self) -> Abbreviations:
        """As the build kept them (reading every plan's text again took a first answer 0.2 s per
        100,000 characters), else worked out now for an older build."""
        if (kept := self.index.abbreviations) is not None:
            return Abbreviations(kept, self.segmenter)
        return Abbreviations.of_plans((d.text for d in self.documents.values()), self.index.word_counts, self.segmenter)

    @cached_property
    def registry(self) -> list[Target]:
        return self.index.registry

    @cached_property
    def registry_by_doc(self) -> dict[str, list[Target]]:
        return targets_by_doc(self.registry)

    def registry_of(self, plans: frozenset[str] | None) -> list[Target]:
        """The registry of some plans (all when None), in registry order, read by plan."""
        if plans is None:
            return self.registry
        return [t for d in self.documents if d in plans for t in self.registry_by_doc.get(d, [])]

    @cached_property
    def responsibilities(self) -> list[Responsibility]:
        return [n for p in self.parsed.values() for n in responsibilities(p, self.target_cues)]

    @cached_property
    def named_departments(self) -> list[str]:
        """Every department a plan's responsibility notes name, as written."""
        return self.departments_named_by(None)

    def departments_named_by(self, plans: frozenset[str] | None) -> list[str]:
        """The departments the responsibility notes of the plans in `plans` (all when None) name."""
        return list(dict.fromkeys(d for n in self.responsibilities if plans is None or n.doc_id in plans
                                  for d in n.departments))

    @cached_property
    def _flat_texts(self) -> dict[str, str]:
        return {d: squash(doc.text) for d, doc in self.documents.items()}

    def printed(self, term: str, plans: frozenset[str] | None) -> int:
        """How often the plans in `plans` (all when None) print `term`, spaces aside."""
        return sum(text.count(term) for d, text in self._flat_texts.items() if plans is None or d in plans)

    @cached_property
    def plan_names(self) -> PlanNames:
        return PlanNames(self.documents, self.segmenter)

    def plan_words(self, plans: frozenset[str] | None) -> frozenset[str]:
        """The question tokens of the names by which a question chooses these plans (安徽省,
        塔城地区, a 文号): once the plans are chosen, these words ask nothing more."""
        if not plans:
            return frozenset()
        return frozenset(t for d in plans for name in plan_names(self.documents[d].meta)
                         for t in self.segmenter.query_tokens(name))

    def load(self) -> Live:
        """Read everything a first question needs, so a swapped-in build answers at once."""
        _ = self.composer, self.retriever, self.registry, self.index.idf, self.segmenter.tokens("节能"), \
            self.homophones, self.lookup
        return self


class Assistant:
    def __init__(self, settings: Settings, progress: Progress = _no_progress,
                 notify: Callable[[str], None] | None = None):
        self.settings = settings
        self._progress = progress
        self._notify_callback = notify
        self.notices: collections.deque[str] = collections.deque(maxlen=NOTICES_KEPT)
        self._lock = threading.RLock()
        self._live: Live | None = None
        self._manifest_seen: tuple | None = None  # the manifest file as it was when _live was loaded
        self._examples: tuple[str, int, list[str]] = ("", 0, [])  # (build id, count sought, its examples)

    def _notify(self, message: str) -> None:
        """Index events a user should hear about (repaired, stale, waiting for a build)."""
        log.warning("%s", message)
        self.notices.append(message)
        if self._notify_callback:
            self._notify_callback(message)

    # ---- the index ---------------------------------------------------------------------
    @property
    def live(self) -> Live:
        """The build being served; one that another process (the CLI's add, remove or
        index) made live meanwhile is picked up first, found by a stat of the manifest."""
        live = self._live
        if live is None or self._manifest_seen != _manifest_stamp(self.settings):
            self.ensure()
            live = self._live
        return live

    def ensure(self, progress: Progress | None = None, serve_stale: bool = True,
               notify: Callable[[str], None] | None = None) -> Manifest:
        """Load the live index (checked), building it first if it is missing, stale or
        damaged. With `serve_stale`, a corpus that cannot be built leaves the last good index
        in use and says why in `notices`; without it the error is raised. `notify` also hears
        this call's notices (waiting for another build, a repair) as they happen."""
        with self._lock:
            stamp = _manifest_stamp(self.settings)
            if self._live is not None and stamp != self._manifest_seen:
                self._manifest_seen = stamp
                fresh = read_manifest(self.settings)
                if fresh is not None and fresh.build_id != self._live.manifest.build_id:
                    self._live = None  # another process swapped in a build: serve it
            if self._live is None:
                index = open_index(self.settings, progress or self._progress, self._tell(notify), serve_stale)
                self._live = Live(index, self.settings)
                self._manifest_seen = _manifest_stamp(self.settings)
            return self._live.manifest

    def rebuild(self, progress: Progress = _no_progress, notify: Callable[[str], None] | None = None,
                incremental: bool = False) -> Manifest:
        """Build anew (or, `incremental`, reusing unchanged plans) and switch to the new
        index; the old one serves until the switch."""
        tell = self._tell(notify)
        build_index(self.settings, progress, tell, incremental)
        return self._switch(progress, tell)

    def _switch(self, progress: Progress, tell: Callable[[str], None]) -> Manifest:
        """Load the live index whole, then serve it from the next question on."""
        fresh = Live(open_index(self.settings, progress, tell, serve_stale=False), self.settings).load()
        with self._lock:
            self._live = fresh
            self._manifest_seen = _manifest_stamp(self.settings)
        return fresh.manifest

    def add_plans(self, paths: list, progress: Progress = _no_progress,
                  notify: Callable[[str], None] | None = None, replace: bool = False) -> list[Document]:
        """Add plan files (pdf, docx, txt, md): checked and read first, the index updated
        (only the new plans are parsed and embedded) and switched to, and only then are the
        files put into the corpus folder. A file that cannot be read, a plan already indexed,
        or a failed update changes nothing. With `replace`, a plan of the same id is replaced."""
        from .library import add_plans

        tell = self._tell(notify)
        indexed = self.documents if read_manifest(self.settings) is not None else {}
        documents = add_plans(self.settings, [Path(p) for p in paths], indexed,
                              lambda staged, read: build_staged(staged, read, progress, tell), tell, replace)
        self._switch(progress, tell)
        return documents

    def remove_plan(self, doc_id: str, progress: Progress = _no_progress,
                    notify: Callable[[str], None] | None = None) -> None:
        """Remove one plan: its passages, vectors and targets leave the index, so it can never
        be quoted again, and then its file leaves the corpus. On failure nothing changes."""
        from .library import remove_plan

        tell = self._tell(notify)
        remove_plan(self.settings, doc_id, lambda staged, read: build_staged(staged, read, progress, tell), tell)
        self._switch(progress, tell)

    def example_questions(self, count: int = 5) -> list[str]:
        """Standalone questions the indexed plans answer, drawn from their own targets,
        outlines and tables (a mix over plans and kinds), for a new user to try. Each is asked
        before it is offered, and offered only when its answer holds the facts it was drawn
        from; worked out once per build."""
        from .drafts import draft_items

        build = self.live.manifest.build_id
        searched_build, searched_count, _ = self._examples
        if searched_build != build or searched_count < count:
            per_plan = []
            for doc_id in self.documents:
                by_kind: dict[str, list[dict]] = {}
                for item in draft_items(self, doc_id):
                    by_kind.setdefault(item["type"], []).append(item)
                per_plan.append(_taking_turns(by_kind.values()))
            mixed = _taking_turns(per_plan)  # each plan in turn, each plan's kinds in turn
            offered: list[str] = []
            for item in mixed:
                if len(offered) >= count:
                    break
                if item["question"] not in offered and self._answers_example(item):
                    offered.append(item["question"])
            # kept with the count asked for: a build with fewer good examples is not searched again
            self._examples = (build, count, offered)
        return self._examples[2][:count]

    def _answers_example(self, item: dict) -> bool:
        answer = self.ask(item["question"])
        return answer.found and all(contains_fact(answer.text, fact) for fact in item["key_facts"])

    def _help(self, live: Live, question: str) -> Answer:
        """The answer to a greeting or a question about the assistant: what it answers, a few
        questions the indexed plans answer, and the plans."""
        titles = [f"《{d.meta.title}》" for d in live.documents.values()]
        shown = "、".join(titles[:HELP_PLANS]) + (f" 等 {len(titles)} 份" if len(titles) > HELP_PLANS else "")
        examples = "\n".join(f"· {q}" for q in self.example_questions(HELP_EXAMPLES))
        text = HELP_TEXT.format(plans=shown or "（还没有）", examples=examples or "· 到2025年能耗强度要下降多少？")
        return Answer(question=question, text=text, found=False, intent="help", state="not_found")

    def _tell(self, notify: Callable[[str], None] | None) -> Callable[[str], None]:
        if notify is None:
            return self._notify
        return lambda message: (self._notify(message), notify(message))

    @property
    def index(self) -> Index:
        return self.live.index
    @property
    def mode(self) -> str:
        return f"llm（{self.settings.llm_model}，校验失败时回退为原文摘录）" if self.settings.llm_enabled else "extractive"

    def status(self) -> Manifest | None:
        """The manifest of the index this assistant serves (once loaded), else the one on disk."""
        live = self._live
        return live.manifest if live is not None else read_manifest(self.settings)

    def set_aside(self) -> list[str]:
        """Files a build could not read, moved into the corpus folder's .rejected/ (see index._build)."""
        from .load import rejected_files

        return rejected_files(self.settings.corpus_dir)

    # ---- what the live build holds ---------------------------------------------------------
    @property
    def documents(self) -> dict[str, Document]:
        return self.live.documents

    @property
    def parsed(self) -> dict[str, ParsedDocument]:
        return self.live.parsed

    @property
    def segmenter(self) -> Segmenter:
        return self.live.segmenter

    @property
    def sectors(self) -> SectorMap:
        return self.live.sectors

    @property
    def retriever(self) -> HybridRetriever:
        return self.live.retriever

    @property
    def composer(self) -> Composer:
        return self.live.composer

    @property
    def registry(self) -> list[Target]:
        return self.live.registry

    # ---- asking -------------------------------------------------------------------------
    def search(self, question: str) -> list[Hit]:
        return self.retriever.search(self.validate(question))

    def ask(self, question: str, history: list[tuple[str, str]] | None = None,
            live: Live | None = None, docs: list[str] | None = None) -> Answer:
        """Answer a question; `history` holds earlier (question, answer) pairs, and a
        follow-up (“那建筑呢？”) is rewritten from it and the rewrite shown on the answer.
        `live` pins the build (a caller that renders the answer against its documents).
        `docs` restricts the answer to those plans; without it, a question that names a plan
        (its region, title, 文号 or issuer) is answered from that plan only.

        An internal self-check that fails (a number no quote holds) gives an answer with
        `error` set and no content, and is logged: one bad answer never ends a batch."""
        original = self.validate(question)
        history = history or []
        live = live or self.live
        if live.ask_cues.is_small_talk(original):
            return self._help(live, original)
        try:
            rewritten = (self.llm.rewrite_follow_up(original, history) if self.llm and history else None) \
                or rewrite_follow_up(original, history, live.sectors)
            asked = rewritten or original
            answer = self._answer(live, asked, self._plans(live, docs, asked), across=not docs)
        except InternalCheckError as exc:
            log.error("internal check failed for question %r: %s", original, exc)
            reason = getattr(exc, "reason", "内部校验未通过")
            return Answer(question=original, text=CHECK_FAILED.format(reason=reason), found=False,
                          intent="error", error=reason)
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
        from .llm import LLMAnswerer

        return LLMAnswerer(self.settings)

    def _plans(self, live: Live, docs: list[str] | None, question: str) -> frozenset[str] | None:
        """The plans an answer may quote: those asked for, else those the question names,
        else all (None)."""
        if docs:
            unknown = [d for d in docs if d not in live.documents]
            if unknown:
                known = "、".join(f"{d}（{doc.meta.title}）" for d, doc in live.documents.items())
                raise PlanNotFound(f"没有编号为“{'、'.join(unknown)}”的规划。可选：{known}")
            return frozenset(docs)
        return frozenset(live.plan_names.named(question)) or None

    def _answer(self, live: Live, question: str, plans: frozenset[str] | None = None, across: bool = False) -> Answer:
        """`across`: the question itself named the plans; several named are answered plan by plan."""
        if not plans and (elsewhere := places_not_indexed(question, live.documents, live.segmenter)):
            return self._plan_not_indexed(live, question, elsewhere)
        asked = self._prepared(live, question)
        if across and plans and len(plans) > 1:
            parts = [(plan_label(live.documents[p], 2)[1:-1],
                      self._named_plans(live, self._answer_within(live, asked, frozenset({p}), plans, question),
                                        frozenset({p})))
                     for p in sorted(plans)]
            return compose_across_plans(question, parts)
        answer = dataclasses.replace(self._answer_within(live, asked, plans, typed=question), question=question)
        if live.ask_cues.asks_confirmation(question):
            answer = confirmed(answer, stated_numbers(question))
        return self._named_plans(live, answer, plans)

    @staticmethod
    def _prepared(live: Live, question: str) -> str:
        asked = live.spell(live.segmenter.without(question, live.ask_cues.filler))  # “麻烦问下…呀”
        return arabic_references(expand_short_years(asked, live.years_printed))  # 19年 → 2019年, 专栏五 → 专栏5

    @staticmethod
    def _named_plans(live: Live, answer: Answer, plans: frozenset[str] | None) -> Answer:
        """未找到 says in which plans, when the question chose some of several."""
        if plans and not answer.found and len(live.documents) > 1 and answer.text.startswith(NOT_FOUND_PREFIX):
            titles = "、".join(f"《{plan_label(live.documents[d], 2)[1:-1]}》" for d in sorted(plans))
            answer = dataclasses.replace(answer, text=answer.text.replace(NOT_FOUND_PREFIX, f"{titles}中未找到", 1))
        return answer

    @staticmethod
    def _plan_not_indexed(live: Live, question: str, places: list[str]) -> Answer:
        titles = "、".join(f"《{plan_label(d, 2)[1:-1]}》" for d in live.documents.values())
        text = (f"{NOT_FOUND_PREFIX}：已添加的规划中没有关于{'、'.join(places)}的规划，正文也未提到{'、'.join(places)}。"
                f"已添加的规划：{titles}。如需查询，请先添加该规划。")
        return Answer(question=question, text=text, found=False, intent="plan_not_indexed")

    def _answer_within(self, live: Live, question: str, plans: frozenset[str] | None,
                       named: frozenset[str] | None = None, typed: str = "") -> Answer:
        """`named`: all the plans the question names, when it is answered in one of them;
        `typed`: the question as the user wrote it (before spelling was put right), whose
        words name a part the plans do not state. Every strategy proposes; the fitted chooser
        picks (choose.py)."""
        model = live.chooser
        # a margin of 1 or more cannot be beaten (scores are probabilities): the first proposal answers,
        # and the others are not worth computing
        query, proposals = self._proposed(live, question, plans, named,
                                          first_only=model is None or model.margin >= 1.0, typed=typed)
        if not weighs(model, proposals):  # e.g. a passage answer alone: its own confidence stands
            return proposals[0].answer
        return choose(model, proposals, self._described(live, query, proposals))

    def proposals(self, question: str) -> tuple[list[Proposal], list[ProposalFeatures]]:
        """Every strategy's answer to a question, as the chooser weighs them (fit-chooser)."""
        live = self.live
        original = self.validate(question)
        query, proposals = self._proposed(live, self._prepared(live, original), self._plans(live, None, original))
        return proposals, self._described(live, query, proposals)

    @staticmethod
    def _of_indicator_asked(live: Live, query: Query, registry: list) -> list | None:
        """For an amount asked of an indicator of the cue file (非化石能源占比), the targets of that
        indicator whatever their sector ([] when there are none); None when no such amount is asked."""
        canonical = live.segmenter.canonical
        asked = set(live.target_cues.indicators_named(query.search, canonical))
        if not asked or not asks_amount(query):
            return None
        return [t for t in registry if live.target_cues.indicator_named(t.indicator, canonical) in asked]

    @staticmethod
    def _described(live: Live, query: Query, proposals: list[Proposal]) -> list[ProposalFeatures]:
        terms = live.segmenter.content_terms(query.search)
        asked_pairs = frozenset(bigrams(query.search))
        return relative([describe(p, i == 0, terms, asks_amount(query), asked_pairs)
                         for i, p in enumerate(proposals)])

    def _proposed(self, live: Live, question: str, plans: frozenset[str] | None,
                  named: frozenset[str] | None = None, first_only: bool = False,
                  typed: str = "") -> tuple[Query, list[Proposal]]:
        question = live.target_cues.respelled(question, lambda term: live.printed(term, plans))
        specific = live.index.statistics(plans).is_specific
        titles = live.title_words  # 十四五 of a 十四五 plan names no subject in it
        query = analyze(question, live.segmenter, live.sectors, lambda w: w not in titles and specific(w))
        proposals: list[Proposal] = []
        failed: list[InternalCheckError] = []
        for strategy, propose in self._strategies(live, question, query, plans, named, typed):
            try:
                answer = propose()
            except InternalCheckError as exc:  # a proposal whose numbers fail the check is not offered
                failed.append(exc)
                continue
            if answer is not None:
                proposals.append(Proposal(strategy, answer))
                if first_only:
                    break
        if not proposals:
            raise failed[0]
        return query, proposals

    def _strategies(self, live: Live, question: str, query, plans: frozenset[str] | None,
                    named: frozenset[str] | None, typed: str = ""):
        """(strategy, a call that proposes an answer or None), in the order the fixed cascade tried them."""
        composer = live.composer.within(plans, live.plan_words(named or plans))
        retriever, plans_indexed = live.retriever, len(live.documents)
        parsed = {d: p for d, p in live.parsed.items() if plans is None or d in plans}
        department = find_named_department(question, live.departments_named_by(plans))
        # the passages' answer, computed once: the responsibility notes may need it before it is proposed
        passages = cache(lambda: composer.compose(query, retriever.search(query.search, docs=plans)))
        if department and asks_assignment(question):
            yield "department", lambda: self._named_department(live, query, department, plans)
        elif live.ask_cues.asks_responsible(question):
            # read off the responsibility notes, as the department strategy is: the chooser weighs it as one
            yield "department", lambda: self._task_departments(live, question, query, plans, parsed, passages)
        heading_words = live.sectors.without_departments(question)  # a department is no heading
        subject = self._outline_subject(live, heading_words, parsed)
        if live.ask_cues.asks_outline(question) and subject:
            yield "outline", lambda: answer_outline(query, *subject, parsed, plans_indexed, detail=asks_amount(query))
        cells = table_lookup(question, parsed, live.ask_cues, live.lookup,
                             nouns=lambda text: live.segmenter.content_terms(text, nouns=True),
                             canonical=live.segmenter.canonical)
        if cells and not cells.names_all(composer.words.places(question)):
            cells = None  # 额敏县的…目标: a table of the whole region's does not answer for one county
        if cells and cells.rows_named and cells.columns:  # a row the question names: its cells first
            def row_cells() -> Answer | None:
                answer = answer_table(query, cells, parsed, plans_indexed)
                return with_text(composer, answer, query, retriever.search(query.search, docs=plans)) \
                    if answer.found else None
            yield "table_row", row_cells
        referenced = REFERENCE.search(question)  # 专栏 2 的措施: that box, not the sector's sections
        sections = [] if referenced else self._sector_sections(live, query, plans)
        if (sections and live.ask_cues.asks_outline(question) and live.ask_cues.points_at_section(question)
                and (section := closest_heading(question, sections))):
            # 循环经济促节能这节下设几项: the outline of the sector's section the question is closest to
            yield "section_outline", lambda: answer_outline(query, *section, parsed, plans_indexed,
                                                            detail=asks_amount(query))
        if query.intent == "sector_tasks" and not referenced:
            yield "sector_tasks", lambda: self._sector_tasks(live, query, sections, plans)
        if query.intent == "field_mentions":
            yield "mentions", lambda: compose_mentions(query, parsed, plans_indexed)
        if query.intent in ("sector_targets", "department_unknown"):
            registry = live.registry_of(plans)
            chosen = self._of_indicator_asked(live, query, registry)
            if chosen is None:
                chosen = select(registry, live.sectors, query.sector, query.department)
            if chosen:  # else: the indicator asked is no target of these plans; the passages may still find it
                yield "targets", lambda: compose_targets(query, chosen, live.sectors, live.documents,
                                                         live.registry_by_doc)
        if fields := live.ask_cues.doc_fields_asked(question):
            yield "doc_fact", lambda: answer_doc_fact(query, fields, parsed)
        if cells:
            def table() -> Answer | None:
                answer = answer_table(query, cells, parsed, plans_indexed)
                if answer.found and not REFERENCE.search(question):  # the text may say more (涨了 44%)
                    return with_text(composer, answer, query, retriever.search(query.search, docs=plans))
                return answer if answer.found or answer.sources else None  # no such row: the text may still say
            yield "table", table
        scope = find_scope(question, parsed, live.lookup)
        if scope is None and subject and not live.ask_cues.asks_outline(question):  # else proposed above
            yield "scope_outline", lambda: answer_outline(query, *subject, parsed, plans_indexed,
                                                          detail=asks_amount(query))
        if scope is not None:
            kind, heading, doc_id = scope
            yield "section", lambda: self._scoped(live, composer, query, kind, heading, doc_id)
        parts = split_parts(query.search, live.segmenter, live.ask_cues, live.printed_titles)
        if len(parts) > 1 and scope is None:
            yield "parts", lambda: compose_parts(composer, query, typed=typed, parts=[
                (part_query(query, p, live.segmenter), retriever.search(p, docs=plans)) for p in parts])
        yield "passages", passages
        listed = self._outline_subject(live, heading_words, parsed, strict=False)
        if listed is not None and listed != subject:  # “X有哪些Y”: X's outline, beside the passages about Y
            yield "heading_outline", lambda: answer_outline(query, *listed, parsed, plans_indexed,
                                                            detail=asks_amount(query))

    @staticmethod
    def _task_departments(live: Live, question: str, query, plans: frozenset[str] | None,
                          parsed: dict, passages: Callable[[], Answer]) -> Answer | None:
        """Who carries out the task the question names: the responsibility notes under the
        heading it names, else the note after the sentence the passages answer with; None when
        the plans print no note for it."""
        notes = [n for n in live.responsibilities if plans is None or n.doc_id in plans]
        if not notes:
            return None
        task_words = live.sectors.without_departments(live.ask_cues.without_responsible_cues(question))
        if (heading := named_heading(task_words, parsed, live.lookup)) is not None:
            doc_id, block = heading
            path = block.section_path
            under = [n for n in notes if n.doc_id == doc_id and n.section_path[:len(path)] == path][:TASK_NOTES_SHOWN]
            tasks = [(n, *spans[0]) for n in under
                     if (spans := sentence_spans(live.documents[n.doc_id].text, n.task_start, n.start))]
            if tasks:
                return compose_task_departments(query, tasks, live.documents)
        answered = passages()
        if not answered.found or not answered.sources:
            return None
        quoted = answered.sources[0]
        note = next((n for n in notes if n.doc_id == quoted.doc and n.task_start <= quoted.start < n.end), None)
        if note is None:
            return None
        return compose_task_departments(query, [(note, quoted.start, quoted.end)], live.documents)

    @staticmethod
    def _scoped(live: Live, composer, query, kind: str, heading: Block | None, doc_id: str) -> Answer:
        """The passages under the part the question points at (第三章, 专栏 2), or that there is no such part."""
        if heading is None:
            return Answer(question=query.text, text=NO_SUCH_PART.format(kind=kind), found=False, intent=query.intent)
        inside = _chunks_under(live, doc_id, heading.section_path)
        inside.sort(key=lambda c: -composer.words.chunk_coverage(query.search, c))
        hits = [Hit(chunk=c, score=1.0, rank=i) for i, c in enumerate(inside, start=1)]
        return composer.compose(dataclasses.replace(query, intent="section"), hits,
                                scope=heading, scope_doc=doc_id)

    def _outline_subject(self, live: Live, question: str, parsed: dict, strict: bool = True) -> tuple[str, Block] | None:
        """The heading whose outline the question asks, unless it asks of two things that are
        two headings (锅炉节能改造与照明灯具改造哪一项节能量更多): each is answered as a part."""
        subject = outline_subject(question, parsed, live.ask_cues, live.lookup, strict=strict)
        if subject is None:
            return None
        parts = split_parts(question, live.segmenter, live.ask_cues, live.printed_titles)
        if len(parts) > 1:
            subjects = {outline_subject(p, parsed, live.ask_cues, live.lookup, strict=strict) for p in parts}
            if len(subjects - {None}) > 1:
                return None
        return subject

    def _sector_sections(self, live: Live, query, plans: frozenset[str] | None) -> list[tuple[str, Block]]:
        """(doc_id, heading) of the sections the plans devote to the asked sector (by the
        headings named for it in the local mapping), in order."""
        words = [w for name in live.sectors.sectors_asked(query)
                 for w in live.sectors.sectors.get(name, {}).get("headings", [])]
        return [(doc_id, block) for doc_id, block in live.lookup.sections  # the (一)-level headings, in order
                if (plans is None or doc_id in plans) and any(w in block.section_path[-1] for w in words)]

    def _sector_tasks(self, live: Live, query, sections: list[tuple[str, Block]],
                      plans: frozenset[str] | None = None) -> Answer:
        """The sector's sections, each quoted from its heading down."""
        chosen = [(block, doc_id, _chunks_under(live, doc_id, block.section_path)) for doc_id, block in sections]
        return compose_sections(query, chosen, live.documents)

    def _named_department(self, live: Live, query, department: str, plans: frozenset[str] | None) -> Answer:
        """A department the plans' own responsibility notes name: their targets and tasks."""
        def wanted(item) -> bool:
            return (plans is None or item.doc_id in plans) and any(
                department_matches(department, d) for d in item.departments)

        notes = [n for n in live.responsibilities if wanted(n)]
        targets = [t for t in live.registry_of(plans) if wanted(t)]
        return compose_named_department(query, department, targets, notes, live.documents)

    # ---- what the plans name ----------------------------------------------------------------
    @property
    def named_departments(self) -> list[str]:
        return self.live.named_departments

    @property
    def ask_cues(self) -> AskCues:
        return self.live.ask_cues

    @property
    def title_words(self) -> frozenset[str]:
        return self.live.title_words

    @property
    def abstention(self) -> AbstentionModel | None:
        return self.live.abstention

    @property
    def target_cues(self) -> TargetCues:
        return self.live.target_cues

    # ---- the targets registry -------------------------------------------------------------
    def targets(self, sector: str | None = None, department: str | None = None, docs: list[str] | None = None,
                indicator: str | None = None) -> list[Target]:
        """The registry, by sector or department, for some plans, or one indicator across
        plans (“单位GDP能耗” in every plan that sets one), ordered by plan."""
        live = self.live
        chosen = select(live.registry, live.sectors, sector or "", department or "")
        if docs:
            chosen = [t for t in chosen if t.doc_id in docs]
        if indicator:
            wanted = live.segmenter.canonical(indicator.replace(" ", "")).lower()
            chosen = [t for t in chosen if wanted in live.segmenter.canonical(t.indicator).lower()]
        order = {d: i for i, d in enumerate(live.documents)}
        return sorted(chosen, key=lambda t: order.get(t.doc_id, 0))

    def indicators(self, sector: str | None = None, department: str | None = None, docs: list[str] | None = None,
                   indicator: str | None = None) -> IndicatorMatrix:
        """One indicator across every plan: the matrix of the registry's targets that the cue
        file's indicator vocabulary names (any spelling), by sector, department or plans, or
        one indicator (“单位GDP能耗”, in any of its spellings)."""
        live = self.live
        wanted: tuple[str, ...] = ()
        if indicator:
            name = live.target_cues.indicator_named(indicator, live.segmenter.canonical)
            if not name and indicator not in live.target_cues.indicators:
                raise InvalidQuestion(f"不认识指标“{indicator}”。可选：{'、'.join(live.target_cues.indicators)}"
                                      "（也可用这些指标在规划中的其他写法）。")
            wanted = (name or indicator,)
        chosen = select(live.registry, live.sectors, sector or "", department or "")
        plans = {d: doc.meta.title for d, doc in live.documents.items() if not docs or d in docs}
        return indicator_matrix(chosen, plans, live.target_cues, live.segmenter.canonical, wanted)

    def indicator_checks(self, matrix: IndicatorMatrix | None = None, **filters) -> list[IndicatorCheck]:
        """Each plan's targets beside its superior plan's (the province's for a city, the
        nation's for a province), for the indicators both state comparably; gaps first. Over
        `matrix` when the caller has it, else over `indicators(**filters)`."""
        return check(matrix if matrix is not None else self.indicators(**filters), self.live.documents)

    def warm_up(self) -> None:
        """Load everything a first question would (index, model, jieba)."""
        self.ask("节能目标")

    # ---- input limits ---------------------------------------------------------------------
    def validate(self, question: str) -> str:
        if question is None or not str(question).strip():
            raise InvalidQuestion("问题为空，请输入要查询的内容，例如“大宗固废综合利用率要达到多少？”。")
        question = str(question).strip()
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise InvalidQuestion(f"问题过长（{len(question)} 字），请精简到 {limit} 字以内。")
        if any(unicodedata.category(ch) == "Cs" for ch in question):
            raise InvalidQuestion("问题中有无法识别的字节（不是有效的 UTF-8 文本），请检查输入的编码后重新提问。")
        if any(unicodedata.category(ch) == "Cc" for ch in question):
            raise InvalidQuestion("问题中含有控制字符，请删除后重新输入。")
        return question

    def check_conversation(self, messages: int, chars: int) -> None:
        """A conversation sent with a question stays within the history limits."""
        s = self.settings
        if messages > s.max_history_messages or chars > s.max_history_chars:
            raise InvalidQuestion(f"对话记录过长（{messages} 条消息、{chars:,} 字；上限 {s.max_history_messages} 条、"
                                  f"{s.max_history_chars:,} 字）。")


TASK_NOTES_SHOWN = 3  # of the notes under a heading the question names: the first, in order


def _manifest_stamp(settings: Settings) -> tuple | None:
    """What tells a replaced manifest from the one loaded: inode, size and time of change."""
    try:
        info = (settings.index_dir / MANIFEST).stat()
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


def _chunks_under(live: Live, doc_id: str, section_path: tuple[str, ...]) -> list:
    return [c for c in live.index.chunks_of(doc_id) if c.section_path[:len(section_path)] == section_path]


def _taking_turns(groups) -> list:
    """The groups' items, one from each group in turn until every group is used up."""
    import itertools

    gap = object()
    return [i for turn in itertools.zip_longest(*groups, fillvalue=gap) for i in turn if i is not gap]
