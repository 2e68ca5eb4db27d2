"""structure: the parts of a plan a question can name, read off the plan's own structure.

- outline subjects: “发展现状写了哪几个方面”, “第四章下面有哪些工程” — the question names a
  heading of the plan (matched by its characters, any heading at any depth, or 第N章).
- document facts: 文号, 印发单位, 日期, 规划期, 附件, 标题, 主送单位 — the front-matter line
  (letterhead, notice, cover) before the plan's first heading that states each.
- tables: the rows and columns a question asks of a table; 专栏 N / 表 N references.

The answers built on them are in `answer/` (outline, table, docfacts). What counts as asking
for an outline or a document fact is data: `assistant/data/ask_cues.toml`.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError
from .frontmatter import DATE, NUMBER, date_of_line
from .segment import QUESTION_WORDS, bigrams
from .text import YEAR_SPAN, collapse, other_period, squash, without_words
from .types import Block, ParsedDocument

MATCH_MIN = 0.62  # share of a heading's character pairs the question must hold
MIN_SHARED = 2
CUE_GAP = 2  # “哪>条”: at most this many characters between the two parts (哪几条, 哪两大类)
BARE_LIST = 0.8  # “主要任务有哪些”: the question, less list words, is nearly the heading itself
NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}\s*[.．、]|专栏\s*\d+|表\s*\d+|"
                       r"第[一二三四五六七八九十]+(?:章|部分|篇))\s*")
_CHAPTER = re.compile(r"第\s*([一二三四五六七八九十]+|\d{1,2})\s*(?:章|部分|大部分|篇)")
_YEAR_RANGE = re.compile(r"(?:19|20)\d{2}\s*[-—–~～至到]\s*(?:19|20)?\d{2,4}\s*年?")
YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_TABLE_REF = re.compile(r"表\s*(\d+)")
ROW_MATCH = 0.6  # share of a row label's character pairs the question must hold
SYNONYM_FLOOR = 0.3  # … of which this much as typed, before synonyms are unified
CAPTION_MATCH = 0.4  # share of a table title's character pairs that names the table
MIN_SERIES = 3  # a row of this many value columns has an extreme worth asking for (哪一年最低)
SPECIFIC_ROW = 6  # a row label this long names one indicator; a short one (煤炭) names a topic
APPROVAL_WORDS = ("同意", "批准", "审议通过", "审定")  # “已经行署同意，现印发给你们”
FIELD_NAMES = {"number": "发文字号", "issuer": "印发单位", "date": "印发日期", "period": "规划期",
               "annex": "附件", "title": "标题", "recipients": "主送单位", "approval": "审定（同意）单位"}


@dataclass(frozen=True)
class AnswerKind:
    """What a question asks for beyond its subject — a time (哪年), an amount in money (投资
    多少), an amount in a unit it names (多少兆瓦) — and how evidence states one: a number
    followed by one of `units`, or one of `words`."""

    name: str
    asks: tuple[str, ...]
    units: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    unit_after_amount: bool = False  # the unit is the one the question names after 多少/几

    def asked_unit(self, question: str) -> str:
        """The unit the question names right after 多少/几 (多少兆瓦 → 兆瓦): `units` are kept
        longest first, so 万吨标准煤 is found before 吨."""
        for at in (m.end() for m in _AMOUNT_WORD.finditer(question)):
            unit = next((u for u in self.units if question.startswith(u, at)), "")
            if unit:
                return unit
        return ""

    def is_asked(self, question: str) -> bool:
        if self.unit_after_amount:
            return bool(self.asked_unit(question))
        return any(cue_in(c, question) for c in self.asks)

    def held(self, question: str, evidence: str) -> bool:
        """The evidence states what the question asks (for a named unit: a number in it)."""
        text = squash(evidence)
        units = (self.asked_unit(question),) if self.unit_after_amount else self.units
        # a magnitude or a longer unit may stand between (1万吨标准煤 states 标准煤)
        if any(re.search(rf"(?:\d|[一二两三四五六七八九十百千万])(?:[.．]\d+)?[万亿千百吨]{{0,2}}{re.escape(u)}", text)
               for u in units if u):
            return True
        return any(w in text for w in self.words)


_AMOUNT_WORD = re.compile(r"多少|(?<!哪)几")  # 哪几座 asks which, not how many


@dataclass(frozen=True)
class AskCues:
    outline: tuple[str, ...]
    list_words: tuple[str, ...]
    doc_fields: dict  # field -> cue words
    filler: frozenset[str] = frozenset()  # polite and spoken words that ask nothing
    table_words: tuple[str, ...] = ()  # 各年, 数据, 分别 …: ask for cells without naming a row
    contents_words: tuple[str, ...] = ()  # 重点工作, 这部分 …: name a heading's contents, not a subject
    plan_itself: tuple[str, ...] = ()  # 正文, 全文, 这份规划 …: name the plan as a whole (its outline is its chapters)
    section_pointers: tuple[str, ...] = ()  # 这节, 下设, 分成 …: point at a section, not at a subject in it
    kinds: tuple[AnswerKind, ...] = ()  # what a question asks for: a time, money, a named unit
    compare_words: tuple[str, ...] = ()  # 相比, 两者, 相差: how two values are compared
    unit_words: tuple[str, ...] = ()  # 计量单位, 什么单位: the unit a table's numbers are in
    of_table: tuple[str, ...] = ()  # 表中, 表里, 表格: the question asks of a table, not of the text
    extremes: dict = dataclasses.field(default_factory=dict)  # "highest"/"lowest" -> cue words (最高, 最少): the extreme of a table's cells
    confirm_words: tuple[str, ...] = ()  # 对吧, 是吗: the question asks to confirm what it states
    small_talk: tuple[str, ...] = ()  # 你好, 在吗, 你是谁, 怎么用: greetings and questions about the assistant
    same_as: tuple[str, ...] = ()  # 一样, 相同, 不同: the question asks whether two things agree
    parties: tuple[str, ...] = ()  # 跟, 和, 与: the word before the other side of such a comparison
    responsible: tuple[str, ...] = ()  # 哪个部门负责, 责任单位, 由谁牵头: the question asks who carries out a task

    @classmethod
    def load(cls, path: Path) -> AskCues:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            return cls(outline=tuple(data["outline"]["cues"]), list_words=tuple(data["outline"]["list_words"]),
                       doc_fields={k: tuple(v) for k, v in data["doc_fact"].items()},
                       filler=frozenset(data.get("filler", {}).get("words", [])),
                       table_words=tuple(data.get("table", {}).get("words", [])),
                       unit_words=tuple(data.get("table", {}).get("unit_words", [])),
                       of_table=tuple(data.get("table", {}).get("of_table", [])),
                       compare_words=tuple(data.get("compare", {}).get("words", [])),
                       same_as=tuple(data.get("compare", {}).get("same_as", [])),
                       parties=tuple(data.get("compare", {}).get("parties", [])),
                       extremes={k: tuple(v) for k, v in data.get("extreme", {}).items()},
                       confirm_words=tuple(data.get("confirm", {}).get("words", [])),
                       small_talk=tuple(data.get("small_talk", {}).get("words", [])),
                       responsible=tuple(data.get("responsible", {}).get("cues", [])),
                       contents_words=tuple(data["outline"].get("contents_words", [])),
                       plan_itself=tuple(data["outline"].get("plan_itself", [])),
                       section_pointers=tuple(data["outline"].get("section_pointers", [])),
                       kinds=tuple(AnswerKind(name, tuple(k.get("asks", [])),
                                              tuple(sorted(k.get("units", []), key=len, reverse=True)),
                                              tuple(k.get("words", [])), bool(k.get("unit_after_amount", False)))
                                   for name, k in data.get("answer_kind", {}).items()))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
            raise CorpusError(f"问法提示词文件 {path.name} 无法读取或格式错误（{exc}），请对照文件开头的说明修改。") from exc

    def is_small_talk(self, question: str) -> bool:
        """A greeting or a question about the assistant itself and nothing else (“你好”,
        “在吗？”, “你能做什么”): no word of it asks about a plan."""
        rest = squash(question).lower()
        for word in sorted({*self.small_talk, *self.filler}, key=len, reverse=True):
            rest = rest.replace(word.lower(), "")
        return bool(squash(question)) and not re.sub(r"[\W_]+", "", rest)

    def asks_same(self, text: str) -> bool:
        """The words ask whether two things agree or differ (“…跟自治区的要求一样吗”)."""
        return any(w in text for w in self.same_as)

    def compared_party(self, text: str) -> str:
        """The other side of such a comparison, as written (“自治区的要求”), or ""."""
        if not (self.same_as and self.parties):
            return ""
        found = re.search(f"(?:{'|'.join(map(re.escape, self.parties))})([^，,。？?]{{2,16}}?)"
                          f"(?:有?(?:{'|'.join(map(re.escape, self.same_as))}))", text)
        return found.group(1) if found else ""

    def asks_responsible(self, question: str) -> bool:
        """The question asks which department or unit carries out a task (由哪些部门负责, 责任单位是谁)."""
        q = squash(question)
        return any(cue_in(c, q) for c in self.responsible)

    def without_responsible_cues(self, question: str) -> str:
        """The question less its words that ask who is responsible: what is left names the task."""
        q = question
        for cue in self.responsible:
            q = re.sub(_chain_pattern(cue), "", q) if ">" in cue else without_words(q, _alternatives([cue]))
        return q

    def asks_confirmation(self, question: str) -> bool:
        """The question ends by asking to confirm what it states (“…要降20%，对吧？”), and asks
        no amount of its own (“…是多少吗” asks one)."""
        q = squash(question).rstrip("？?。！!，, ")
        return q.endswith(self.confirm_words) and not re.search(r"多少|几[个项年倍成]|哪", q)

    def kind_held(self, question: str, evidence: str, named_units: bool = True) -> tuple[bool, bool]:
        """(the question asks for a kind of answer, the evidence states every kind it asks).
        Without `named_units`, a unit the question names (多少亿千瓦时) is not checked: a
        table states it once, in its caption or header, not beside each number."""
        q = squash(question)
        asked = [k for k in self.kinds if k.is_asked(q) and (named_units or not k.unit_after_amount)]
        return bool(asked), all(k.held(q, evidence) for k in asked)

    def without_kind_asks(self, question: str, kind: str) -> str:
        """The question with the plain cue words that ask for `kind` (time: 哪年, 年份是多少) taken out."""
        for k in self.kinds:
            if k.name == kind:
                question = without_words(question, (c for c in k.asks if not any(m in c for m in "|+>")))
        return question

    def extreme_asked(self, question: str) -> str:
        """“highest” or “lowest” when the question asks which cell is the extreme (哪一年最低)."""
        q = squash(question)
        return next((name for name, cues in self.extremes.items() if any(cue_in(c, q) for c in cues)), "")

    @property
    def extreme_words(self) -> tuple[str, ...]:
        return tuple(c for cs in self.extremes.values() for c in cs)

    def doc_fields_asked(self, question: str) -> tuple[str, ...]:
        """Every document fact the question asks (文号 and 印发单位 in one question)."""
        q = squash(question)
        return tuple(field for field, cues in self.doc_fields.items() if any(cue_in(c, q) for c in cues))

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every word the cues are made of (标题, 文号, 印发单位 …): words a question may use
        that no plan prints, which a typo (标提) can still be meant for."""
        cues = [*self.outline, *self.list_words, *self.table_words, *self.unit_words, *self.of_table, *self.contents_words,
                *self.compare_words,
                *self.plan_itself, *self.section_pointers,
                *self.extreme_words,
                *(c for cs in self.doc_fields.values() for c in cs),
                *(c for k in self.kinds for c in (*k.asks, *k.units, *k.words))]
        return frozenset(_alternatives(cues))

    @property
    def outline_words(self) -> list[str]:
        """The words the outline cues are made of that stand alone (for taking them out of a
        question). A chain cue's parts (两|三>大工程) mean something only together: they are
        taken out where the chain matches (`without_outline_cues`), never alone (重大工程)."""
        # a lone 节 or 章 of a paired cue would cut 节能 in two
        return [alt for alt in _alternatives([*(c for c in self.outline if ">" not in c), *self.list_words])
                if len(alt) > 1]

    def without_outline_cues(self, question: str) -> str:
        """The question less what asks for an outline: each chain cue where it matches and ends
        in a word (三大工程, 哪几个方面), then the words of the other cues. A chain ending in one
        character (哪>节, 哪>项) is left in: 哪些节能, 哪些项目 hold that character as part of a word."""
        q = question
        for cue in (c for c in self.outline if ">" in c):
            *lead, last = cue.split(">")
            words = [w for w in last.split("|") if len(w) > 1]
            if words:
                q = re.sub(_chain_pattern(">".join([*lead, "|".join(words)])), "", q)
        return without_words(q, self.outline_words)

    def asks_outline(self, question: str) -> bool:
        q = squash(question)
        return any(cue_in(c, q) for c in self.outline)

    def points_at_section(self, question: str) -> bool:
        """The question points at a section as such (这节下设几项, 那一节分了几块), not at a subject in it."""
        q = squash(question)
        return any(w in q for w in self.section_pointers)


def _alternatives(cues) -> list[str]:
    """The words cues are written with: each alternative of each part (“甲|乙+丙” → 甲, 乙, 丙)."""
    return [alt for cue in cues for part in re.split(r"[+>]", cue) for alt in part.split("|")]


def cue_in(cue: str, q: str) -> bool:
    """A cue stands in the question: “甲|乙+丙|丁” means one of 甲/乙 and one of 丙/丁
    anywhere; “甲|乙>丙|丁” means one of 丙/丁 follows one of 甲/乙 within `CUE_GAP`
    characters (“哪>条” is “哪几条”, “哪两条”, not “哪些…试点” or “哪些…节能”); a chain
    “甲>乙>丙” wants each part close after the one before."""
    if ">" in cue:
        return re.search(_chain_pattern(cue), q) is not None
    return all(any(alt in q for alt in part.split("|")) for part in cue.split("+"))


def _chain_pattern(cue: str) -> str:
    """“甲|乙>丙|丁”: one of 丙/丁 within `CUE_GAP` characters after one of 甲/乙 (longest alternatives first)."""
    parts = [f"(?:{'|'.join(map(re.escape, sorted(part.split('|'), key=len, reverse=True)))})" for part in cue.split(">")]
    return f".{{0,{CUE_GAP}}}?".join(parts)


# ---- document facts ---------------------------------------------------------------------


def body_start(p: ParsedDocument) -> int:
    """Where the plan's body begins: its first heading (the text before it is front matter)."""
    return next((b.start for b in p.headings()), len(p.document.text))


def field_span(p: ParsedDocument, field: str) -> tuple[int, int] | None:
    doc = p.document
    lines = _lines(doc.text, 0, body_start(p))
    flat_title = squash(doc.meta.title)[:8]
    tests = {
        "number": lambda line: bool(NUMBER.search(line)),
        "issuer": lambda line: bool(doc.meta.issuer) and squash(doc.meta.issuer) in squash(line) and "。" not in line,
        "date": lambda line: bool(DATE.search(line)) and len(squash(line)) <= 20,
        "period": lambda line: bool(_YEAR_RANGE.search(line)),
        "annex": lambda line: squash(line).startswith("附件"),
        "title": lambda line: bool(flat_title) and flat_title in squash(line) and "。" not in line,
        "recipients": lambda line: line.rstrip().endswith(("：", ":")) and ("，" in line or "各" in line),
        "approval": lambda line: any(w in line for w in APPROVAL_WORDS),
    }
    found = [span for span in lines if tests[field](doc.text[span[0]:span[1]])]
    if field in ("period", "title") and not found:  # they stand in the title of a plan without front matter
        found = [span for span in _first_lines(doc.text, 3) if tests[field](doc.text[span[0]:span[1]])]
    if field == "date" and not any(date_of_line(doc.text[a:b]) == doc.meta.date for a, b in found):
        found = _signature_spans(p, field) or found  # the day signed (2021 年 12 月 29 日), not a cover's month
    if field == "issuer" and not found:
        found = _signature_spans(p, field)
    if not found:
        return None
    return found[-1] if field == "date" else found[0]


SIGNATURE_LINES = 16  # lines above a signature's date in which its issuers are printed


def _signature_spans(p: ParsedDocument, field: str) -> list[tuple[int, int]]:
    """A notice signed after the plan it wraps (…issuers, then 2022 年 3 月 4 日): the line
    printing the document's date, or the issuer lines above it that name its first issuer."""
    doc = p.document
    if not doc.meta.date:
        return []
    lines = _lines(doc.text, 0, len(doc.text))
    dated = [i for i, (a, b) in enumerate(lines) if DATE.search(doc.text[a:b])
             and date_of_line(doc.text[a:b]) == doc.meta.date]
    if not dated:
        return []
    if field == "date":  # the date itself: a signature may run on from the last paragraph
        start, end = lines[dated[-1]]
        m = list(DATE.finditer(doc.text, start, end))[-1]
        return [(m.start(), m.end())]
    first = squash(re.split(r"[、，,]", doc.meta.issuer)[0]) if doc.meta.issuer else ""
    above = lines[max(0, dated[-1] - SIGNATURE_LINES):dated[-1]]
    return [span for span in above if first and first in squash(doc.text[span[0]:span[1]])][:1]


def _first_lines(text: str, count: int) -> list[tuple[int, int]]:
    """The first `count` lines of `_lines(text, 0, len(text))`, reading only as much of the
    text as they take (a question never splits a whole plan into lines)."""
    end = FIRST_LINES_PREFIX
    while True:
        spans = _lines(text, 0, min(end, len(text)))
        if end >= len(text) or len(spans) > count:  # a line after them: they are whole
            return spans[:count]
        end *= 4


FIRST_LINES_PREFIX = 2048


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    for raw in text[start:end].splitlines(keepends=True):
        body = raw.strip()
        if body:
            lead = len(raw) - len(raw.lstrip())
            spans.append((pos + lead, pos + lead + len(body)))
        pos += len(raw)
    return spans


# ---- outlines ---------------------------------------------------------------------------

def outline_subject(question: str, parsed: dict[str, ParsedDocument], cues: AskCues,
                    lookup: Lookup | None = None, strict: bool = True) -> tuple[str, Block] | None:
    """(doc_id, heading) when the question asks what a heading of the plan contains. With
    `lookup`, only the headings that share a character pair with the question are compared.
    Not `strict`: also the heading a list question names (“X有哪些Y”), which may ask X's
    outline or a list inside its text (the chooser weighs both)."""
    q = squash(question)
    asks_outline = cues.asks_outline(q) or bool(item_asked(q))  # 第（十一）项…建设啥 asks an item of the outline
    asks_list = any(w in q for w in cues.list_words)
    if not (asks_outline or asks_list):
        return None
    if m := _CHAPTER.search(q):
        return _chapter(m.group(1), parsed, lookup)
    if (m := _ANNEX_NUMBER.search(q)) and (annex := _annex(m.group(1), parsed)):
        return annex
    rest = cues.without_outline_cues(q)
    best = named_heading(rest, parsed, lookup)
    if best is None:
        return _whole_plan(rest, parsed, cues) if asks_outline else None
    title = heading_title(best[1])
    # “X这部分的重点工作有啥” asks X's contents
    subject = without_words(rest, (w for w in cues.contents_words if w not in title))
    asked_subject = set(bigrams(re.sub(r"[^\w]", "", subject)))
    if strict and not asks_outline and len(set(bigrams(title)) & asked_subject) / max(1, len(asked_subject)) < BARE_LIST:
        return None  # “X有哪些Y”: a list question about X, not X's outline
    return best


def named_heading(words: str, parsed: dict[str, ParsedDocument], lookup: Lookup | None = None) -> tuple[str, Block] | None:
    """(doc_id, heading) of the heading whose title the words name best: the largest share of
    its character pairs (at least MATCH_MIN), ties ranked by `_placement`; None when none does."""
    asked = set(bigrams(squash(words)))
    best, best_rank = None, (0.0,)
    candidates = lookup.headings_sharing(asked, parsed) if lookup is not None else (
        (doc_id, block) for doc_id, p in parsed.items() for block in p.headings())
    scores = {}
    for doc_id, block in candidates:
        title = set(bigrams(heading_title(block)))
        shared = len(title & asked)
        if not title or shared < min(MIN_SHARED, len(title)):
            continue
        score = scores[(doc_id, block.section_path)] = shared / len(title)
        rank = (score, *_placement(block, parsed[doc_id], asked))
        if rank > best_rank:
            best, best_rank = (doc_id, block), rank
    if best is None or best_rank[0] < MATCH_MIN:
        return None
    return _common_parent(best, scores, parsed) or best


SIBLINGS_NAMED_ALIKE = 3  # siblings the question names as well as the best: it names what they share
SIBLING_SCORE_GAP = 0.1


def _common_parent(best: tuple[str, Block], scores: dict, parsed: dict[str, ParsedDocument]) -> tuple[str, Block] | None:
    """The heading over the best one, when the question names several of its siblings as well
    (近零碳排放区试点分成哪几种类型: 近零碳排放区域试点, …园区试点, …社区试点 alike): it asks
    what they have in common, the parent's outline."""
    doc_id, block = best
    path = block.section_path
    if len(path) < 2:
        return None
    top = scores[(doc_id, path)]
    alike = [p for (d, p), score in scores.items() if d == doc_id and len(p) == len(path) and p[:-1] == path[:-1]
             and score >= top - SIBLING_SCORE_GAP]
    if len(alike) < SIBLINGS_NAMED_ALIKE:
        return None
    return next(((doc_id, b) for b in parsed[doc_id].headings() if b.section_path == path[:-1]), None)


_ANNEX_NUMBER = re.compile(r"附件\s*(\d{1,2})(?!\d)")


def _annex(number: str, parsed: dict[str, ParsedDocument]) -> tuple[str, Block] | None:
    """(doc_id, heading) of the annex numbered so (附件 2 …), when one plan has it: the question
    “附件2…包含哪些部分” asks its outline."""
    found = [(doc_id, block) for doc_id, p in parsed.items() for block in p.headings()
             if len(block.section_path) == 1 and (m := _ANNEX_NUMBER.match(squash(block.section_path[0])))
             and m.group(1) == number]
    return found[0] if len(found) == 1 else None


def _placement(block: Block, parsed: ParsedDocument, asked: set[str]) -> tuple[int, int, int]:
    """How a heading ranks among headings of one title (二、重点任务 in each of three annexed
    plans, 保障措施 in the plan and in its annex): the question's pairs its part's title shares
    (an annex's, a part's; in the main text, the plan's own title), then the main text before
    an annex, then the deeper heading."""
    path = block.section_path
    part = path[0] if len(path) > 1 and not NUMBERING.match(path[0]) else ""
    context = set(bigrams(squash(part or parsed.document.meta.title)))
    return len(context & asked), int(not part), len(path)


def closest_heading(question: str, sections: list[tuple[str, Block]]) -> tuple[str, Block] | None:
    """Of the (doc_id, heading) sections, the one whose heading shares the most character
    pairs with the question, if one shares more than every other."""
    asked = set(bigrams(question))
    ranked = sorted(((len(asked & set(bigrams(block.section_path[-1]))), i) for i, (_, block) in enumerate(sections)),
                    reverse=True)
    if not ranked or not ranked[0][0] or (len(ranked) > 1 and ranked[1][0] == ranked[0][0]):
        return None
    return sections[ranked[0][1]]


def _whole_plan(rest: str, parsed: dict[str, ParsedDocument], cues: AskCues) -> tuple[str, Block] | None:
    """(doc_id, a heading over its chapters) when the question asks the outline of the plan
    itself (正文分成几大部分): once the words for the plan as a whole (cues.plan_itself),
    for contents and for asking are taken out, what is left is words of its title. One plan
    only: of several, which one is meant is not said."""
    if len(parsed) != 1 or not any(w in rest for w in cues.plan_itself):
        return None
    doc_id, p = next(iter(parsed.items()))
    said = set(bigrams(squash(p.document.meta.title)))
    chapters = [b for b in p.headings() if len(b.section_path) == 1]
    title_line = _title_line(p, said)
    if len(chapters) < 2 or title_line is None:
        return None
    words = (*cues.plan_itself, *cues.contents_words, *cues.list_words, *QUESTION_WORDS)
    pieces = rest
    for word in sorted(words, key=len, reverse=True):
        pieces = pieces.replace(word, "|")
    pieces = re.sub(r"[^\u4e00-\u9fff|]", "|", pieces)
    if any(not set(bigrams(piece)) <= said for piece in pieces.split("|") if len(piece) > 1):
        return None
    return doc_id, Block("heading", (), title_line.start, title_line.end)


def _title_line(p: ParsedDocument, title: set[str]) -> Block | None:
    """The front-matter line that prints the plan's title (its character pairs: `title`), the
    heading of its 正文: the last such line before its first chapter."""
    first = body_start(p)
    lines = [b for b in p.blocks if b.kind == "front" and b.end <= first
             and len(set(bigrams(squash(p.document.text[b.start:b.end]))) & title) >= MATCH_MIN * len(title)]
    return lines[-1] if lines else None


def heading_title(block: Block) -> str:
    return NUMBERING.sub("", block.section_path[-1])


def _chapter(ordinal: str, parsed: dict[str, ParsedDocument], lookup: Lookup | None = None) -> tuple[str, Block] | None:
    if ordinal.isdigit():
        import cn2an

        ordinal = cn2an.an2cn(ordinal)
    if lookup is not None:
        return next(((d, b) for d, b in lookup.chapters.get(ordinal, ()) if d in parsed), None)
    for doc_id, p in parsed.items():
        for block in p.headings():
            if chapter_ordinal(block.section_path) == ordinal:
                return doc_id, block
    return None


_PRINTED_CHAPTER = re.compile(r"^第([一二三四五六七八九十]+)章")


def chapter_ordinal(path: tuple[str, ...]) -> str:
    """The ordinal a question's 第N章 means of this heading: a printed 第三章, else a top-level
    三、 (also inside one of the document's parts or annexes); “” for any other heading."""
    if m := _PRINTED_CHAPTER.match(path[-1]):
        return m.group(1)
    top = len(path) == 1 or (len(path) == 2 and "、" not in path[0].split(" ")[0] and not _PRINTED_CHAPTER.match(path[0]))
    return path[-1].split("、", 1)[0] if top and re.match(r"^[一二三四五六七八九十]+、", path[-1]) else ""


_ITEM_ORDINAL = re.compile(r"第\s*[（(]?\s*([一二三四五六七八九十百]+|\d{1,3})\s*[)）]?\s*(?:项|个|条|点|节|方面|块)")


def item_asked(question: str) -> int:
    """The ordinal of the item the question asks about (第（十一）项, 第3条), 0 when none."""
    if not (m := _ITEM_ORDINAL.search(squash(question))):
        return 0
    import cn2an

    try:
        return int(m.group(1)) if m.group(1).isdigit() else int(cn2an.cn2an(m.group(1), "smart"))
    except ValueError:
        return 0


# ---- tables -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Table:
    doc_id: str
    caption: Block | None  # “表 1 …”, None for a table printed without one
    header: Block
    rows: tuple[Block, ...]


def tables_of(parsed: dict[str, ParsedDocument]) -> list[Table]:
    out = []
    for doc_id, p in parsed.items():
        caption = header = None
        rows: list[Block] = []
        for block in (*p.blocks, None):
            if block is None or block.kind == "table_header" or (header and block.kind != "table_row"):
                if header is not None and rows:
                    out.append(Table(doc_id, caption if header.context else None, header, tuple(rows)))
                header, rows = (block, []) if block is not None and block.kind == "table_header" else (None, [])
            elif block.kind == "table_row" and header is not None:
                rows.append(block)
            if block is not None and block.kind == "table_caption":
                caption = block
    return out


@dataclass(frozen=True)
class TableAsk:
    """What a question asks of one table: rows (all when none is named), header columns,
    years its header lacks, and a row subject it names that no row has."""

    table: Table
    rows: tuple[Block, ...]
    columns: tuple[int, ...]
    missing_years: tuple[str, ...] = ()
    missing_row: str = ""
    rows_named: bool = False  # the question names the rows (not just the table)
    extreme: str = ""  # "highest"/"lowest": which of the cells asked is the extreme
    unit_asked: bool = False  # “表1用的什么单位”: the caption and the unit column answer

    def names_all(self, words: set[str]) -> bool:
        """The table (caption, header, rows) names every one of `words` (places asked of it)."""
        text = squash(" ".join([self.table.header.context, *self.table.header.cells,
                                *(" ".join(r.cells) for r in self.table.rows)]))
        return all(w in text for w in words)


def table_lookup(question: str, parsed: dict[str, ParsedDocument], cues: AskCues,
                 lookup: Lookup | None = None, nouns=None, canonical=None) -> TableAsk | None:
    """The cells a question asks for: it names a table (表 N) or one of its row labels, and
    years or column names of its header; or it names a table and a row it does not have.
    With `lookup`, only the tables it numbers or whose row labels share a character pair
    with the question are compared (no other table can be named). `nouns` (the segmenter's
    subject words of a text) tells a row subject (核电) from words that only point (最后那列);
    `canonical` (the synonym lexicon) names a row by a synonym (单位GDP能耗 for 单位地区生产总值能耗)."""
    q = squash(question)
    number = m.group(1) if (m := _TABLE_REF.search(question)) else ""  # before squashing: 表1 15年 is no 表115
    asked_years = _years_asked(q)
    extreme = cues.extreme_asked(q)
    unit_asked = any(cue_in(c, q) for c in cues.unit_words)
    of_table = any(cue_in(c, q) for c in cues.of_table)
    best = None
    tables = lookup.tables_for(q, number, parsed) if lookup is not None else tables_of(parsed)
    for table in tables:
        numbered = bool(number and re.match(rf"表\s*{number}(?!\d)", table.header.context))
        named = numbered or _caption_named(q, table.header.context, asked_years)  # by its title: never a premise
        rows = tuple(r for r in table.rows if r.cells and _row_named(q, r.cells[0], canonical))
        if named and not rows:  # “表2里交通的指标”: the rows under a group label the question names
            rows = tuple(r for r in table.rows if (group := _row_group(r, table)) and squash(group) in q)
        if not (named or rows) or (not named and other_period(q, squash(table.header.context))):
            continue
        values = [i for i, h in enumerate(table.header.cells) if i and h and "单位" not in h]
        columns = tuple(i for i in values if _column_named(q, table.header.cells[i], asked_years)
                        or any(y in table.header.cells[i] for y in asked_years))
        if rows and not columns and not asked_years and (named or of_table or max(len(r.cells[0]) for r in rows) >= SPECIFIC_ROW):
            # “交通行业单位增加值能耗下降率目标是多少”, “表中煤炭一行的数值”: the row's values
            columns = tuple(values)
        if len(rows) == 1 and not columns and extreme and len(values) >= MIN_SERIES:
            columns = tuple(values)  # “天然气哪一年最低”: the extreme of the row's values
        missing = tuple(y for y in asked_years if not any(y in h for h in table.header.cells)) if numbered else ()
        subject = _row_subject(q, table, cues, nouns) if numbered and not rows and not unit_asked else ""
        if named and unit_asked and not (rows or columns):
            columns = tuple(values)
        if not (columns or missing or subject) or (not named and len(asked_years) > len(columns)):
            continue  # a year the table lacks, in a question that does not name it: the text may say
        score = (named, len(rows), len(columns))
        if best is None or score > best[0]:
            best = (score, TableAsk(table, rows or table.rows, columns, missing, subject, bool(rows), extreme,
                                    unit_asked and named))
    if best and not _states_kind_asked(q, best[1], cues):
        return None  # 每平方米补贴多少钱 of a row in 万平方米: the table does not say
    return best[1] if best else None


def _states_kind_asked(q: str, ask: TableAsk, cues: AskCues) -> bool:
    """The cells asked (with the header) state the kind of answer the question asks for
    (a sum of money, a year), when it asks for one."""
    shown = " ".join([ask.table.header.context, *ask.table.header.cells,
                      *(" ".join(r.cells) for r in ask.rows)])
    asked, held = cues.kind_held(q, shown, named_units=False)
    return held or not asked


def _caption_title(caption: str) -> str:
    """A table caption without its number, the years of its span and its units in brackets
    (表1 塔城地区2015-2019年分能源品种消费情况表（万吨标准煤…） → 塔城地区分能源品种消费情况表)."""
    title = re.sub(r"[（(][^）)]*[）)]", "", _TABLE_NUMBER.sub("", squash(caption)))
    return re.sub(r"(?:19|20)\d{2}\s*(?:[-—~至到]\s*(?:19|20)\d{2})?\s*年?", "", title)


def _without_runs_of(text: str, source: str) -> str:
    """`text` without every run of two or more characters that `source` also holds."""
    out, i = [], 0
    while i < len(text):
        j = i + 2
        while j <= len(text) and text[i:j] in source:
            j += 1
        if j - 1 - i >= 2:
            i = j - 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _caption_named(q: str, caption: str, asked_years: list[str] = ()) -> bool:
    """The question names a table by (most of) its title, less the region it is of, and says
    it asks of a table (分品种消费情况表里…, 十四五节能目标表里…) or of each of its rows in a year
    (2016年各个能源品种的消费数据)."""
    pairs = set(bigrams(_REGION_LEAD.sub("", _caption_title(caption))))
    asks_table = "表" in q or ("各" in q and bool(asked_years))
    return asks_table and bool(pairs) and len(pairs & set(bigrams(q))) / len(pairs) >= CAPTION_MATCH


_REGION_LEAD = re.compile(r"^[\u4e00-\u9fff]{2,6}?(?:地区|自治州|自治区|省|市|县)")  # 塔城地区分能源品种…: of where


class Lookup:
    """Where a question can name a part of the plans, built once per index build from its
    parsed structure: heading titles and table row labels by character pair, tables by
    their number, 专栏 N / 表 N headings and chapters by their number, the （一）-level
    sections. A question then compares only the parts that share something with it, never
    every block of every plan. Candidates keep document order, so answers are as before."""

    def __init__(self, parsed: dict[str, ParsedDocument]):
        self.headings: list[tuple[str, Block]] = []
        self.heading_pairs: dict[str, list[int]] = {}
        self.chapters: dict[str, list[tuple[str, Block]]] = {}
        self.references: dict[tuple[str, str], list[tuple[str, Block]]] = {}
        self.sections: list[tuple[str, Block]] = []  # headings SECTION_DEPTH deep
        for doc_id, p in parsed.items():
            for block in p.blocks:
                if block.kind in ("heading", "table_caption"):
                    if m := REFERENCE.match(collapse(p.document.text[block.start:block.end])):
                        self.references.setdefault((m.group(1), m.group(2)), []).append((doc_id, block))
                if block.kind != "heading":
                    continue
                for pair in set(bigrams(heading_title(block))):
                    self.heading_pairs.setdefault(pair, []).append(len(self.headings))
                self.headings.append((doc_id, block))
                if ordinal := chapter_ordinal(block.section_path):
                    self.chapters.setdefault(ordinal, []).append((doc_id, block))
                if len(block.section_path) == SECTION_DEPTH:
                    self.sections.append((doc_id, block))
        self.tables = tables_of(parsed)
        self.row_pairs: dict[str, set[int]] = {}
        self.numbered: dict[str, list[int]] = {}
        for i, table in enumerate(self.tables):
            if m := _TABLE_NUMBER.match(table.header.context):
                self.numbered.setdefault(m.group(1), []).append(i)
            for row in table.rows:
                if row.cells:
                    for pair in set(bigrams(row.cells[0])):
                        self.row_pairs.setdefault(pair, set()).add(i)
            for pair in set(bigrams(_caption_title(table.header.context))):
                self.row_pairs.setdefault(pair, set()).add(i)  # a table named by its title

    def headings_sharing(self, pairs: set[str], parsed: dict) -> list[tuple[str, Block]]:
        found = sorted({i for pair in pairs for i in self.heading_pairs.get(pair, ())})
        return [self.headings[i] for i in found if self.headings[i][0] in parsed]

    def tables_for(self, q: str, number: str, parsed: dict) -> list[Table]:
        found = {i for pair in set(bigrams(q)) for i in self.row_pairs.get(pair, ())}
        found.update(self.numbered.get(number, ()))
        return [self.tables[i] for i in sorted(found) if self.tables[i].doc_id in parsed]

    def reference(self, kind: str, number: str, parsed: dict) -> tuple[str, Block] | None:
        return next(((d, b) for d, b in self.references.get((kind, number), ()) if d in parsed), None)


def find_scope(question: str, parsed: dict[str, ParsedDocument], lookup=None) -> tuple[str, Block | None, str] | None:
    """(kind, heading block, doc_id) for a question that names 专栏 N or 表 N; the block is
    None when no plan has it. None when the question names neither. With `lookup`
    (`Lookup`), the numbered headings are looked up, not searched for."""
    m = REFERENCE.search(question)
    if not m:
        return None
    kind, number = m.group(1), m.group(2)
    if lookup is not None:
        found = lookup.reference(kind, number, parsed)
        if found is None:
            return kind, None, ""
        doc_id, block = found
        text = parsed[doc_id].document.text
        path = block.section_path if block.kind == "heading" else block.section_path + (
            collapse(text[block.start:block.end]),)
        return kind, Block(block.kind, path, block.start, block.end), doc_id
    pattern = re.compile(rf"^{kind}\s*{number}(?!\d)")
    for p in parsed.values():
        for block in p.blocks:
            if block.kind in ("heading", "table_caption") and pattern.match(
                    collapse(p.document.text[block.start:block.end])):
                path = block.section_path if block.kind == "heading" else block.section_path + (
                    collapse(p.document.text[block.start:block.end]),)
                return kind, Block(block.kind, path, block.start, block.end), p.document.doc_id
    return kind, None, ""


SECTION_DEPTH = 2  # （一）-level sections: where a plan lays out one sector's tasks
REFERENCE = re.compile(r"(专栏|表)\s*(\d+)")
_TABLE_NUMBER = re.compile(r"表\s*(\d+)")


def _row_group(row: Block, table: Table) -> str:
    """The group label a row is printed under (交通, 公共机构 in a table of targets by sector):
    its context less the table's caption and header."""
    group = row.context.removeprefix(table.header.context).removesuffix(" ".join(table.header.cells))
    return group.strip()


def _row_subject(q: str, table: Table, cues: AskCues, nouns=None) -> str:
    """What the question asks of a named table besides its header and generic words: a row
    subject (核电, 农业农村领域) when anything specific is left — with `nouns`, only when
    what is left names something (就是最后那列 names nothing)."""
    rest = cues.without_outline_cues(_TABLE_REF.sub("", q))
    for word in sorted((*cues.table_words, *table.header.cells, *cues.extreme_words),
                       key=len, reverse=True):
        rest = rest.replace(squash(word), "")
    rest = _without_runs_of(rest, _caption_title(table.header.context))  # 十四五节能目标表里: the table's name
    rest = re.sub(r"(?:19|20)\d{2}\s*年?|[^\u4e00-\u9fff]", "", rest)
    if nouns is not None and not nouns(rest):
        return ""
    return rest if len(rest) >= 2 else ""


def _column_named(q: str, cell: str, asked_years: list[str]) -> bool:
    """The question names a column by its header, whole (2025年目标值) or without its year
    (目标值) when it asks no other year (表2里2030年的目标值 names no 2025 column)."""
    label = squash(cell)
    bare = _YEAR_IN_CELL.sub("", label)
    other_year = bool(asked_years) and not any(y in label for y in asked_years)
    return label in q or (len(bare) >= MIN_COLUMN_LABEL and bare in q and not other_year)


_YEAR_IN_CELL = re.compile(r"(?:19|20)\d{2}\s*年?")
MIN_COLUMN_LABEL = 2


def _years_asked(q: str) -> list[str]:
    years = YEAR.findall(q)
    for a, b in YEAR_SPAN.findall(q):
        years += [str(y) for y in range(int(a), int(b) + 1)] if int(a) < int(b) <= int(a) + 20 else []
    return list(dict.fromkeys(years))


def _row_named(q: str, label: str, canonical=None) -> bool:
    """The question names a row label: whole, or most of its character pairs — also after
    synonyms are unified, when the words as typed already name much of it (单位GDP能耗累计降幅;
    not 单位GDP二氧化碳排放, which shares little more than 单位GDP)."""
    if not squash(label):
        return False  # a row printed without a label (a review table's blank first column) is named by nothing
    share = _pairs_share(q, label)
    if squash(label) in q or share >= ROW_MATCH:
        return True
    return canonical is not None and share >= SYNONYM_FLOOR and _pairs_share(canonical(q), canonical(label)) >= ROW_MATCH


def _pairs_share(q: str, label: str) -> float:
    pairs = set(bigrams(label))
    return len(pairs & set(bigrams(q))) / len(pairs) if pairs else 0.0


