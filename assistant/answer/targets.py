"""Answers from the targets registry and the plans' responsibility notes: a sector's or a
department's complete list of targets, each cited; what a plan assigns to a department it
names (牵头 or 配合); and what the plans write of an unmapped department's field."""

from __future__ import annotations

import re

from ..segment import bigrams
from ..text import number_occurs, sentence_spans, squash
from ..types import SECTION_SEPARATOR, Answer, Document, ParsedDocument, Query, Source
from .quotes import check_numbers, cite, plan_label, span_source, where

RELATED_MIN_CHARS = 5  # a shared stem (增加值能耗) of at least this many characters
RELATED_IN_SECTOR = 0.6  # SequenceMatcher ratio of two indicator names within one sector
RELATED_ACROSS_SECTORS = 0.75
MENTIONS_SHOWN = 8
NOTE_TASK_SENTENCES = 2  # of each task a department's note covers: its opening sentences
_CLAUSE_BREAK = re.compile(r"[，；。,;！？]")


def compose_targets(query: Query, targets: list, sectors, documents: dict[str, Document],
                    registry: list | dict | None = None) -> Answer:
    """A complete list answer from the targets registry: one line per target, each cited.
    `registry` (a list, or already grouped by plan: doc id -> its targets in order) gives
    the other statements of each target's indicator; only the target's own plan is read."""
    if query.intent == "department_unknown" or (query.department and not sectors.sectors_of_department(query.department)):
        known = "、".join(sectors.departments())
        text = (f"本地的部门对照表中没有“{query.unknown_department or query.department}”。"
                f"可查询的部门有：{known}。也可以按领域提问，例如“交通领域有哪些目标？”")
        return Answer(question=query.text, text=text, found=False, intent=query.intent)
    scope = _scope(query, sectors)
    if not targets:
        return Answer(question=query.text, text=f"规划中未找到{scope}的量化目标。", found=False,
                      intent=query.intent)
    named = (query.department, query.sector, *(sectors.sectors_of_department(query.department) if query.department else ()))
    titles = tuple(documents[d].meta.title for d in dict.fromkeys(t.doc_id for t in targets))
    targets = by_question(targets, query.search, named + titles)
    sources: list[Source] = []
    lines = []
    by_doc = registry if isinstance(registry, dict) else targets_by_doc(registry or [])
    chosen_by_doc = targets_by_doc(targets)
    for target in targets:
        markers = [cite(sources, _target_source(target, documents))]
        if target.source_kind == "table":
            markers.append(cite(sources, _header_source(target, documents)))
        label = plan_label(documents[target.doc_id], len(documents))
        lines.append(f"· {describe(target)}{_worded(target)}" + "".join(f"[{m}]" for m in markers) + label)
        for other in related_targets(target, by_doc.get(target.doc_id, []), exclude=chosen_by_doc[target.doc_id]):
            mark = cite(sources, _target_source(other, documents))
            lines.append(f"  另一处表述（{other.sector}领域）：{describe(other)}{_worded(other)}[{mark}]{label}")
    head = f"{scope}的量化目标如下（来自目标清单，每项附规划原文）："
    if query.department:
        head += (f"\n说明：规划本身不点名部门，以下是规划归入“{'、'.join(sectors.sectors_of_department(query.department))}”"
                 f"领域的目标；部门与领域的对应来自本地对照表。")
    text = "\n".join([head, *lines])
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent=query.intent)


def compose_mentions(query: Query, parsed: dict[str, ParsedDocument], plans_indexed: int) -> Answer:
    """What the plans write of an unmapped department's field (统计局 → 统计): every sentence
    that names it, in order, each cited; the plans give the department no tasks of its own."""
    sources: list[Source] = []
    lines = []
    for p in parsed.values():
        doc = p.document
        label = plan_label(doc, plans_indexed)
        for block in p.blocks:
            if block.kind not in ("paragraph", "table_row"):
                continue
            for start, end in sentence_spans(doc.text, block.start, block.end):
                if query.field in squash(doc.text[start:end]):
                    source = span_source(doc, block.section_path, start, end, "写到该部门所管领域的原文")
                    lines.append(f"· {source.quote}[{cite(sources, source)}]{where(source.section)}{label}")
    if not lines:
        return Answer(question=query.text, text=f"规划中未找到写到“{query.field}”的内容。", found=False,
                      intent=query.intent)
    more = len(lines) - MENTIONS_SHOWN
    shown = lines[:MENTIONS_SHOWN] + ([f"  （还有 {more} 处，可在原文中查看。）"] if more > 0 else [])
    sources = sources[:MENTIONS_SHOWN]
    head = (f"规划没有给“{query.field}”方面的部门单列任务（本地部门对照表中也没有该部门），"
            f"原文写到“{query.field}”的内容如下：")
    text = "\n".join([head, *shown])
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent=query.intent)


def compose_named_department(query: Query, department: str, targets: list, notes: list,
                             documents: dict[str, Document]) -> Answer:
    """What a plan itself assigns to a department: the targets in the tasks whose
    responsibility note names it, and those tasks' opening sentences, each cited with the
    plan's own note (“（省发展改革委牵头，…按职责分工负责）”)."""
    sources: list[Source] = []
    lines = []
    roles = {(n.doc_id, n.start): _role(department, n) for n in notes}
    for target in targets:
        doc = documents[target.doc_id]
        marks = [cite(sources, _target_source(target, documents)),
                 cite(sources, span_source(doc, target.section_path, target.note_start, target.note_end,
                                            "规划原文的责任分工说明"))]
        role = roles.get((target.doc_id, target.note_start), "配合")
        lines.append(f"· （{role}）{describe(target)}{_worded(target)}" + "".join(f"[{m}]" for m in marks)
                     + plan_label(doc, len(documents)))
    if lines:
        lines.insert(0, "量化目标：")
    tasks = []
    for note in notes:
        doc = documents[note.doc_id]
        role = _role(department, note)
        spans = sentence_spans(doc.text, note.task_start, note.start)[:NOTE_TASK_SENTENCES]
        if not spans:
            continue
        task = span_source(doc, note.section_path, spans[0][0], spans[-1][1], "该部门负责的任务")
        mark = cite(sources, span_source(doc, note.section_path, note.start, note.end, "规划原文的责任分工说明"))
        tasks.append(f"· （{role}）{task.quote}[{cite(sources, task)}][{mark}]"
                     f"{where(SECTION_SEPARATOR.join(note.section_path))}{plan_label(doc, len(documents))}")
    if tasks:
        lines += ["任务：", *tasks]
    if not lines:
        return Answer(question=query.text, text=f"规划中未找到由“{department}”负责的目标或任务。", found=False,
                      intent="department_named")
    head = f"规划原文的责任分工说明中写明“{department}”负责（牵头或配合）的内容如下："
    text = "\n".join([head, *lines])
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent="department_named")


def compose_task_departments(query: Query, tasks: list, documents: dict[str, Document]) -> Answer:
    """Who carries out the tasks a question names: each task's sentence and the plan's own
    responsibility note after it (“（省发展改革委牵头，省交通运输厅等按职责分工负责）”), each
    cited, with the note's lead and sharing units as it words them. `tasks`: (the note, the
    start and end of the task's sentence)."""
    sources: list[Source] = []
    lines = []
    for note, start, end in tasks:
        doc = documents[note.doc_id]
        task = span_source(doc, note.section_path, start, end, "问题所说的任务")
        lines.append(f"· {task.quote}[{cite(sources, task)}]"
                     f"{where(SECTION_SEPARATOR.join(note.section_path))}{plan_label(doc, len(documents))}")
        if not (task.start <= note.start and note.end <= task.end):  # else the sentence ends with its note
            quoted = span_source(doc, note.section_path, note.start, note.end, "规划原文的责任分工说明")
            lines.append(f"  {quoted.quote}[{cite(sources, quoted)}]")
        roles = (f"牵头：{'、'.join(note.leads)}" + (f"；配合：{'、'.join(note.partners)}" if note.partners else "")
                 if note.leads else f"按职责分工负责：{'、'.join(note.partners)}")
        lines.append(f"  （{roles}）")
    text = "\n".join(["规划原文写明的责任分工如下：", *lines])
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent="task_department")


def _role(department: str, note) -> str:
    """The department's part as the note words it: it leads, it works with the lead, or
    several units share the task with none leading."""
    if any(department_matches(department, d) for d in note.leads):
        return "牵头"
    return "配合" if note.leads else "分工负责"


def department_matches(asked: str, named: str) -> bool:
    """A department as asked and as a plan's note writes it: the region prefix (省, 市 …)
    may be left out on either side (“发展改革委” is “省发展改革委”)."""
    return strip_region(asked) == strip_region(named)


def strip_region(name: str) -> str:
    return re.sub(r"^(省|市|自治区|区|县|州|地区|自治州)", "", name)


def targets_by_doc(targets: list) -> dict[str, list]:
    """doc id -> its targets, in registry order."""
    out: dict[str, list] = {}
    for t in targets:
        out.setdefault(t.doc_id, []).append(t)
    return out


def related_targets(target, registry: list, exclude: list = ()) -> list:
    """Targets of the same plan that state the same indicator with another value or
    wording (城市生活垃圾无害化处理率 99% vs 城镇… 98.2%): shown side by side, never merged.
    Two names are one indicator when they share a stem and read alike: closely across
    sectors, a little less closely within one (交通行业单位增加值能耗下降率 and 营运交通单位增加值
    能耗 are one; 规上工业单位增加值能耗 is another sector's)."""
    from difflib import SequenceMatcher

    out = []
    for other in registry:
        if other is target or other in exclude or other.unit != target.unit or other.doc_id != target.doc_id:
            continue
        matcher = SequenceMatcher(None, target.indicator, other.indicator, autojunk=False)
        alike = matcher.ratio()
        if matcher.find_longest_match().size >= RELATED_MIN_CHARS and (
                alike >= RELATED_ACROSS_SECTORS or (other.sector == target.sector and alike >= RELATED_IN_SECTOR)):
            out.append(other)
    return out


def describe(target) -> str:
    """“指标：值单位（基准，比较，期限）”, every number taken from the target's quotes."""
    when = f"{target.year}年" if target.year.isdigit() else target.year
    suffix = target.comparator if target.comparator in ("以上", "以下", "左右") else ""
    detail = "，".join(p for p in (target.baseline, "" if suffix else target.comparator, when) if p)
    return f"{target.indicator}：{target.value}{target.unit}{suffix}" + (f"（{detail}）" if detail else "")


def by_question(targets: list, question: str, named: tuple[str, ...] = ()) -> list:
    """The whole list, the targets the question's own words name first (“…出行和运输方面的目标”:
    those on 出行 and 运输), by shared character pairs; the sector or department that chose
    the list, and the plans' titles (`named`: 节能 of a 节能规划 is what every target is
    about) are no such words. Ties keep the registry's order."""
    question = squash(question)
    for name in sorted(filter(None, named), key=len, reverse=True):
        question = question.replace(name, " ")
    asked = set(bigrams(question)) - {b for name in named if name for b in bigrams(squash(name))}
    return sorted(targets, key=lambda t: -len(asked & set(bigrams(squash(t.indicator + plan_wording(t))))))


def plan_wording(target) -> str:
    """The clause of a text target's sentence that states it, as the plan words it (“城区绿色
    出行分担率达 30%以上”): the registry's “indicator: value” is a summary, the answer also
    quotes. Empty for a table row, whose cells are the plan's wording already."""
    if target.source_kind == "table":
        return ""
    clauses = [c.strip() for c in _CLAUSE_BREAK.split(target.quote) if c.strip()]
    holding = [c for c in clauses if number_occurs(target.value, c)]
    if not holding:
        return ""
    return max(holding, key=lambda c: len(set(c) & set(target.indicator)))


def _worded(target) -> str:
    wording = plan_wording(target)
    return f"，原文“{wording}”" if wording else ""


def _scope(query: Query, sectors) -> str:
    if query.department:
        return f"{query.department}（对应领域：{'、'.join(sectors.sectors_of_department(query.department))}）"
    return f"{query.sector}领域"


def _target_source(target, documents) -> Source:
    return span_source(documents[target.doc_id], target.section_path, target.start, target.end,
                       "来自目标清单（按领域完整列出）")


def _header_source(target, documents) -> Source:
    """The table's header line, which holds the deadline (“2025 年目标值”)."""
    return span_source(documents[target.doc_id], target.section_path, target.header_start,
                       target.header_end, "表头（写明目标年份）", table_header=True)


