"""structure: answers read off a plan's own structure rather than retrieved passages.

- outline: “发展现状写了哪几个方面”, “第四章下面有哪些工程” — the question names a heading of
  the plan (matched by its characters, any heading at any depth, or 第N章); the answer lists
  that heading's sub-headings in order (or its paragraphs' opening sentences), each cited.
- document facts: 文号, 印发单位, 日期, 规划期, 附件, 标题, 主送单位 — quoted from the front
  matter (letterhead, notice, cover) before the plan's first heading.

What counts as asking for an outline or a document fact is data: `assistant/data/ask_cues.toml`.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .answer import check_numbers, plan_label
from .errors import CorpusError
from .frontmatter import DATE, NUMBER
from .segment import QUESTION_WORDS, bigrams
from .text import YEAR_SPAN, collapse, other_period, squash, without_words
from .types import SECTION_SEPARATOR, Answer, Block, Document, ParsedDocument, Query, Source

OUTLINE_ITEMS = 20
MATCH_MIN = 0.62  # share of a heading's character pairs the question must hold
MIN_SHARED = 2
CUE_GAP = 2  # “哪>条”: at most this many characters between the two parts (哪几条, 哪两大类)
BARE_LIST = 0.8  # “主要任务有哪些”: the question, less list words, is nearly the heading itself
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}\s*[.．、]|专栏\s*\d+|表\s*\d+)\s*")
_CHAPTER = re.compile(r"第\s*([一二三四五六七八九十]+|\d{1,2})\s*(?:章|部分|大部分|篇)")
_YEAR_RANGE = re.compile(r"(?:19|20)\d{2}\s*[-—–~～至到]\s*(?:19|20)?\d{2,4}\s*年?")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_TABLE_REF = re.compile(r"表\s*(\d+)")
ROW_MATCH = 0.6  # share of a row label's character pairs the question must hold
SYNONYM_FLOOR = 0.3  # … of which this much as typed, before synonyms are unified
CAPTION_MATCH = 0.4  # share of a table title's character pairs that names the table
TITLE_SENTENCE = 16
FEW_PARAGRAPHS = 2  # a section of so few paragraphs is outlined sentence by sentence  # a first sentence this short is an item's title
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
    extremes: dict = dataclasses.field(default_factory=dict)  # "highest"/"lowest" -> cue words (最高, 最少): the extreme of a table's cells

    @classmethod
    def load(cls, path: Path) -> AskCues:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            return cls(outline=tuple(data["outline"]["cues"]), list_words=tuple(data["outline"]["list_words"]),
                       doc_fields={k: tuple(v) for k, v in data["doc_fact"].items()},
                       filler=frozenset(data.get("filler", {}).get("words", [])),
                       table_words=tuple(data.get("table", {}).get("words", [])),
                       unit_words=tuple(data.get("table", {}).get("unit_words", [])),
                       compare_words=tuple(data.get("compare", {}).get("words", [])),
                       extremes={k: tuple(v) for k, v in data.get("extreme", {}).items()},
                       contents_words=tuple(data["outline"].get("contents_words", [])),
                       plan_itself=tuple(data["outline"].get("plan_itself", [])),
                       section_pointers=tuple(data["outline"].get("section_pointers", [])),
                       kinds=tuple(AnswerKind(name, tuple(k.get("asks", [])),
                                              tuple(sorted(k.get("units", []), key=len, reverse=True)),
                                              tuple(k.get("words", [])), bool(k.get("unit_after_amount", False)))
                                   for name, k in data.get("answer_kind", {}).items()))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
            raise CorpusError(f"问法提示词文件 {path.name} 无法读取或格式错误（{exc}），请对照文件开头的说明修改。") from exc

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
        cues = [*self.outline, *self.list_words, *self.table_words, *self.unit_words, *self.contents_words, *self.compare_words,
                *self.plan_itself, *self.section_pointers,
                *self.extreme_words,
                *(c for cs in self.doc_fields.values() for c in cs),
                *(c for k in self.kinds for c in (*k.asks, *k.units, *k.words))]
        return frozenset(_alternatives(cues))

    @property
    def outline_words(self) -> list[str]:
        """Every word the outline cues are made of (for taking them out of a question)."""
        # a lone 节 or 章 of a paired cue would cut 节能 in two
        return [alt for alt in _alternatives(self.outline + self.list_words) if len(alt) > 1]

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
        parts = [f"(?:{'|'.join(map(re.escape, part.split('|')))})" for part in cue.split(">")]
        return re.search(f".{{0,{CUE_GAP}}}".join(parts), q) is not None
    return all(any(alt in q for alt in part.split("|")) for part in cue.split("+"))


# ---- document facts ---------------------------------------------------------------------

def answer_doc_fact(query: Query, fields: tuple[str, ...], parsed: dict[str, ParsedDocument]) -> Answer:
    """The front-matter line that states each asked field (哪个部门发的，文号是多少: the
    issuer and the number), for every plan in scope."""
    sources: list[Source] = []
    lines = []
    for field in fields:
        for p in parsed.values():
            doc = p.document
            span = field_span(p, field)
            label = f"《{plan_label(doc, 2)[1:-1]}》" if len(parsed) > 1 else "规划"
            if span is None:
                lines.append(f"· {label}正文前未写明{FIELD_NAMES[field]}。")
                continue
            source = _span(doc, span, f"文件的{FIELD_NAMES[field]}")
            sources.append(source)
            lines.append(f"· {label}的{FIELD_NAMES[field]}：{source.quote}[{len(sources)}]")
    if not sources:
        names = "、".join(FIELD_NAMES[f] for f in fields)
        return Answer(question=query.text, text=f"规划中未找到{names}。", found=False, intent="doc_fact")
    text = "\n".join(["规划原文如下：", *lines])
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent="doc_fact")


def field_span(p: ParsedDocument, field: str) -> tuple[int, int] | None:
    doc = p.document
    front_end = next((b.start for b in p.blocks if b.kind == "heading"), len(doc.text))
    lines = _lines(doc.text, 0, front_end)
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
    if field == "period" and not found:  # the period stands in the title of a plan without front matter
        found = [span for span in _first_lines(doc.text, 3) if _YEAR_RANGE.search(doc.text[span[0]:span[1]])]
    if not found:
        return None
    return found[-1] if field == "date" else found[0]


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
                    lookup: Lookup | None = None) -> tuple[str, Block] | None:
    """(doc_id, heading) when the question asks what a heading of the plan contains. With
    `lookup`, only the headings that share a character pair with the question are compared."""
    q = squash(question)
    asks_outline = cues.asks_outline(q) or bool(_item_asked(q))  # 第（十一）项…建设啥 asks an item of the outline
    asks_list = any(w in q for w in cues.list_words)
    if not (asks_outline or asks_list):
        return None
    if m := _CHAPTER.search(q):
        return _chapter(m.group(1), parsed, lookup)
    rest = without_words(q, cues.outline_words)
    asked = set(bigrams(rest))
    best, best_score = None, 0.0
    candidates = lookup.headings_sharing(asked, parsed) if lookup is not None else (
        (doc_id, block) for doc_id, p in parsed.items() for block in p.headings())
    for doc_id, block in candidates:
        title = set(bigrams(_title(block)))
        shared = len(title & asked)
        if not title or shared < min(MIN_SHARED, len(title)):
            continue
        score = shared / len(title)
        if score > best_score or (score == best_score and best and len(block.section_path) > len(best[1].section_path)):
            best, best_score = (doc_id, block), score
    if best is None or best_score < MATCH_MIN:
        return _whole_plan(rest, parsed, cues) if asks_outline else None
    title = _title(best[1])
    # “X这部分的重点工作有啥” asks X's contents
    subject = without_words(rest, (w for w in cues.contents_words if w not in title))
    asked_subject = set(bigrams(re.sub(r"[^\w]", "", subject)))
    if not asks_outline and len(set(bigrams(title)) & asked_subject) / max(1, len(asked_subject)) < BARE_LIST:
        return None  # “X有哪些Y”: a list question about X, not X's outline
    return best


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
    first = next((b.start for b in p.headings()), len(p.document.text))
    lines = [b for b in p.blocks if b.kind == "front" and b.end <= first
             and len(set(bigrams(squash(p.document.text[b.start:b.end]))) & title) >= MATCH_MIN * len(title)]
    return lines[-1] if lines else None


def _title(block: Block) -> str:
    return _NUMBERING.sub("", block.section_path[-1])


def _chapter(ordinal: str, parsed: dict[str, ParsedDocument], lookup: Lookup | None = None) -> tuple[str, Block] | None:
    if ordinal.isdigit():
        import cn2an

        ordinal = cn2an.an2cn(ordinal)
    if lookup is not None:
        return next(((d, b) for d, b in lookup.chapters.get(ordinal, ()) if d in parsed), None)
    for doc_id, p in parsed.items():
        for block in p.headings():
            if len(block.section_path) == 1 and block.section_path[0].startswith(f"{ordinal}、"):
                return doc_id, block
    return None


def answer_outline(query: Query, doc_id: str, heading: Block, parsed: dict[str, ParsedDocument],
                   plans_indexed: int, detail: bool = False, item: int | None = None) -> Answer:
    """A heading's sub-headings in order, each quoted; a heading without any lists the
    opening sentence of each of its paragraphs (every sentence, when it has only one or two
    paragraphs). With `detail` (the question also asks how much), each item is quoted with
    its sentences that state a quantity. A question about one item by its number (第三项)
    gets that item's outline, or is told the heading has fewer items."""
    p = parsed[doc_id]
    doc = p.document
    children = _children(p, heading)
    while len(children) == 1 and _children(p, children[0]):  # a section that only holds one 专栏: its items
        heading, children = children[0], _children(p, children[0])
    # 共几项？第五个是什么: the whole list answers both (the count, and the fifth in its place)
    asked = _item_asked(query.text) if item is None and not _COUNT_ASKED.search(squash(query.text)) else 0
    if asked and asked <= len(children):
        return answer_outline(query, doc_id, children[asked - 1], parsed, plans_indexed, detail, item=asked)
    depth = len(heading.section_path)
    paragraphs = [b for b in p.blocks if b.kind in ("paragraph", "table_row") and b.section_path[:depth] == heading.section_path]
    own = [b for b in paragraphs if b.section_path == heading.section_path]
    if children and own and all(_INSERT.match(c.section_path[-1]) for c in children):
        # a section written as paragraphs with a 专栏 set in: the paragraphs' points, and the box in its place
        items = sorted([(_first_sentence(doc.text, b), b.section_path) for b in own]
                       + [((c.start, c.end), c.section_path) for c in children])
        children = []
    elif children:
        items = [(_item_span(doc.text, c, paragraphs) if detail else (c.start, c.end), c.section_path) for c in children]
    elif len(paragraphs) <= FEW_PARAGRAPHS:
        from .text import sentence_spans

        items = [(span, b.section_path) for b in paragraphs for span in sentence_spans(doc.text, b.start, b.end)]
    else:
        items = [(_first_sentence(doc.text, b), b.section_path) for b in paragraphs]
    sources = [_span(doc, (heading.start, heading.end), "问题所指的章节标题", heading.section_path)]
    label = plan_label(doc, plans_indexed)
    missing = bool(asked) and asked > len(items)  # 第（十一）项 of ten: what it has, not an answer
    absent = _absent_part(query.text, p, heading, paragraphs)
    lines = [f"“{sources[0].quote}”[1]{label}下没有问题所说的“{absent}”，它列有：" if absent
             else f"“{sources[0].quote}”[1]{label}下没有问题所问的那一项，它列有：" if missing
             else f"“{sources[0].quote}”[1]{label}下列有：" if children else f"“{sources[0].quote}”[1]{label}各段要点："]
    for span, section in items[:OUTLINE_ITEMS]:
        sources.append(_span(doc, span, "该章节下的条目", section))
        lines.append(f"· {sources[-1].quote}[{len(sources)}]")
    if len(items) > OUTLINE_ITEMS:
        lines.append("  （还有更多条目，可在原文中查看。）")
    if len(sources) == 1:
        return Answer(question=query.text, text="规划中未找到该章节下的内容。", found=False, intent="outline")
    text = "\n".join(lines)
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=not (missing or absent), sources=tuple(sources), intent="outline")


_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,40})[”\"」』]")


def _absent_part(question: str, p: ParsedDocument, heading: Block, paragraphs: list[Block]) -> str:
    """A part the question names in quotes (保障措施里“强化人才支撑”那一节) that is neither the
    heading itself nor one of its sub-headings, and that its paragraphs do not print: a
    premise the plan lacks. "" when every quoted part is there."""
    depth = len(heading.section_path)
    inside = [b for b in p.headings() if b.section_path[:depth] == heading.section_path]
    text = squash("".join(p.document.text[b.start:b.end] for b in paragraphs))
    for named in _QUOTED.findall(question):
        pairs = set(bigrams(squash(named)))
        if not pairs or squash(named) in text:
            continue
        if not any(len(pairs & set(bigrams(_title(b)))) / len(pairs) >= MATCH_MIN for b in inside):
            return named
    return ""


_INSERT = re.compile(r"^\s*(?:专栏|表)\s*\d+")  # a box or table set into a section's text
_COUNT_ASKED = re.compile(r"(?:几|多少)\s*大?\s*(?:项|个|条|点|节|块|部分|方面|类)")
_ITEM_ORDINAL = re.compile(r"第\s*[（(]?\s*([一二三四五六七八九十百]+|\d{1,3})\s*[)）]?\s*(?:项|个|条|点|节|方面|块)")


def _item_asked(question: str) -> int:
    """The ordinal of the item the question asks about (第（十一）项, 第3条), 0 when none."""
    if not (m := _ITEM_ORDINAL.search(squash(question))):
        return 0
    import cn2an

    try:
        return int(m.group(1)) if m.group(1).isdigit() else int(cn2an.cn2an(m.group(1), "smart"))
    except ValueError:
        return 0


def _item_span(text: str, child: Block, paragraphs: list[Block]) -> tuple[int, int]:
    """A sub-heading with the sentences of its first paragraph up to the first that states a
    quantity (“1.锅炉节能改造。…累计实现节能量2万吨标准煤。”)."""
    from .text import sentence_spans

    block = next((b for b in paragraphs if b.start >= child.start and b.section_path[:len(child.section_path)]
                  == child.section_path), None)
    if block is None:
        return child.start, child.end
    spans = sentence_spans(text, block.start, block.end)
    end = next((e for s, e in spans if re.search(r"\d", _YEAR.sub("", _NUMBERING.sub("", text[s:e])))),
               spans[0][1] if spans else block.end)
    return min(child.start, block.start), end  # a heading on a line of its own is quoted with it


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
        if rows and not columns and not asked_years and (named or max(len(r.cells[0]) for r in rows) >= SPECIFIC_ROW):
            columns = tuple(values)  # “交通行业单位增加值能耗下降率目标是多少”: the row's values
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
                    if m := _REFERENCE_START.match(collapse(p.document.text[block.start:block.end])):
                        self.references.setdefault((m.group(1), m.group(2)), []).append((doc_id, block))
                if block.kind != "heading":
                    continue
                for pair in set(bigrams(_title(block))):
                    self.heading_pairs.setdefault(pair, []).append(len(self.headings))
                self.headings.append((doc_id, block))
                if len(block.section_path) == 1 and "、" in block.section_path[0]:
                    self.chapters.setdefault(block.section_path[0].split("、", 1)[0], []).append((doc_id, block))
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


SECTION_DEPTH = 2  # （一）-level sections: where a plan lays out one sector's tasks
_REFERENCE_START = re.compile(r"(专栏|表)\s*(\d+)")
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
    rest = _TABLE_REF.sub("", q)
    for word in sorted((*cues.table_words, *table.header.cells, *cues.outline_words, *cues.extreme_words),
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
    years = _YEAR.findall(q)
    for a, b in YEAR_SPAN.findall(q):
        years += [str(y) for y in range(int(a), int(b) + 1)] if int(a) < int(b) <= int(a) + 20 else []
    return list(dict.fromkeys(years))


def _row_named(q: str, label: str, canonical=None) -> bool:
    """The question names a row label: whole, or most of its character pairs — also after
    synonyms are unified, when the words as typed already name much of it (单位GDP能耗累计降幅;
    not 单位GDP二氧化碳排放, which shares little more than 单位GDP)."""
    share = _pairs_share(q, label)
    if squash(label) in q or share >= ROW_MATCH:
        return True
    return canonical is not None and share >= SYNONYM_FLOOR and _pairs_share(canonical(q), canonical(label)) >= ROW_MATCH


def _pairs_share(q: str, label: str) -> float:
    pairs = set(bigrams(label))
    return len(pairs & set(bigrams(q))) / len(pairs) if pairs else 0.0


def answer_table(query: Query, ask: TableAsk, parsed: dict[str, ParsedDocument], plans_indexed: int) -> Answer:
    """The asked cells, each line a row with its header's column names, cited with the row
    and the header; a year or a row the table lacks is said to be missing, with what it has."""
    table = ask.table
    doc = parsed[table.doc_id].document
    header = _span(doc, (table.header.start, table.header.end), "表头（列名与年份）", table.header.section_path,
                   table_header=True)
    sources = [header]
    label = plan_label(doc, plans_indexed)
    name = "该表"
    if table.caption is not None:
        sources.append(_span(doc, (table.caption.start, table.caption.end), "表题", table.caption.section_path))
        name = f"“{sources[-1].quote}”[{len(sources)}]"
    if ask.unit_asked:
        return _units_answer(query, ask, sources, name, label, doc)
    if ask.missing_row or (ask.missing_years and not ask.columns):
        what = "项目（行）" if ask.missing_row else "年份（列）"
        rows = "、".join(r.cells[0] for r in table.rows if r.cells and r.cells[0])
        text = f"{name}{label}中没有问题所问的{what}。表头为：{header.quote}[1]；表中的项目有：{rows}。"
        check_numbers(text, [s.quote for s in sources] + [collapse(doc.text[r.start:r.end]) for r in table.rows])
        return Answer(question=query.text, text=text, found=False, sources=tuple(sources), intent="table")
    rows = [(row, cells) for row in ask.rows if (cells := row_cells(table.header.cells, row.cells, ask.columns))]
    sources = [_span(doc, (row.start, row.end), "表中的一行", row.section_path) for row, _ in rows] + sources
    header_mark = len(rows) + 1
    name = name.replace("[2]", f"[{header_mark + 1}]")
    lines = [f"{name}{label}中对应的数值："]
    for n, (row, cells) in enumerate(rows, start=1):
        lines.append(f"· {row.cells[0]}：{'；'.join(cells)}[{n}][{header_mark}]")
    if ask.extreme and (line := _extreme_line(ask, rows, table.header.cells)):
        lines.append(line)
    if ask.missing_years:
        lines.append(f"  说明：表中没有问题所问的部分年份（列），表头见[{header_mark}]。")
    if not rows:
        return Answer(question=query.text, text="规划的表格中未找到问题所问的行。", found=False, intent="table")
    text = "\n".join(lines)
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent="table")


def _units_answer(query: Query, ask: TableAsk, sources: list[Source], name: str, label: str,
                  doc: Document) -> Answer:
    """The units a table's numbers are in: as its title states them (…（万吨标准煤，亿千瓦时）)
    and, when it has a unit column, each row's, all quoted."""
    table = ask.table
    header = sources[0]
    lines = [f"{name}{label}的计量单位见表题与表头：",
             f"· 表头：{header.quote}[1]"]
    unit_at = _unit_column(table.header.cells)
    if unit_at is not None:
        for row in table.rows:
            if unit_at < len(row.cells) and row.cells[unit_at]:
                sources.append(_span(doc, (row.start, row.end), "表中的一行", row.section_path))
                lines.append(f"· {row.cells[0]}：{row.cells[unit_at]}[{len(sources)}]")
    text = "\n".join(lines)
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True, sources=tuple(sources), intent="table")


def _extreme_line(ask: TableAsk, rows: list, names: tuple[str, ...]) -> str:
    """“其中最低：2019：61.9” — over one row's columns, or one column's rows; nothing when a
    cell is not a plain number (33.2/9.07 has no order)."""
    pick = max if ask.extreme == "highest" else min
    word = "最高" if ask.extreme == "highest" else "最低"
    if len(rows) == 1:
        row = rows[0][0]
        cells = [(i, _number(row.cells[i])) for i in ask.columns if i < len(row.cells)]
        if len(cells) < 2 or any(v is None for _, v in cells):
            return ""
        i = pick(cells, key=lambda c: c[1])[0]
        return f"  其中{word}：{row_cells(names, row.cells, (i,))[0]}[1]"
    if len(ask.columns) == 1:
        i = ask.columns[0]
        cells = [(n, r, _number(r.cells[i]) if i < len(r.cells) else None) for n, (r, _) in enumerate(rows, start=1)]
        if len(cells) < 2 or any(v is None for *_, v in cells):
            return ""
        n, row, _ = pick(cells, key=lambda c: c[2])
        return f"  其中{word}：{row.cells[0]}（{row_cells(names, row.cells, (i,))[0]}）[{n}]"
    return ""


def _number(cell: str) -> float | None:
    try:
        return float(cell.strip().rstrip("%"))
    except ValueError:
        return None


def row_cells(names: tuple[str, ...], cells: tuple[str, ...], columns: tuple[int, ...] = ()) -> list[str]:
    """A table row's value cells, each read with its column's name and the row's unit
    (“2016：74.1”, “16%（2025 年目标值）”): the columns asked, or all."""
    unit_at = _unit_column(names)
    unit = cells[unit_at] if unit_at is not None and unit_at < len(cells) else ""
    return [_cell(names[i], cells[i], unit) for i in (columns or range(1, len(names)))
            if i != unit_at and i < len(cells) and cells[i]]


def _unit_column(names: tuple[str, ...]) -> int | None:
    """The header's unit column (单位), if it has one."""
    return next((i for i, h in enumerate(names) if i and "单位" in h), None)


def _cell(column: str, value: str, unit: str) -> str:
    """“2016：74.1”, or “5%（2025 年目标值）” when the column is not a year."""
    if _YEAR.fullmatch(squash(column).removesuffix("年")):
        return f"{column}：{value}{unit}"
    return f"{value}{unit}（{column}）"


def _children(p: ParsedDocument, heading: Block) -> list[Block]:
    depth = len(heading.section_path)
    return [b for b in p.headings() if len(b.section_path) == depth + 1 and b.section_path[:depth] == heading.section_path]


def _first_sentence(text: str, block: Block) -> tuple[int, int]:
    from .text import sentence_spans

    spans = sentence_spans(text, block.start, block.end)
    if not spans:
        return block.start, block.end
    if len(spans) > 1 and spans[0][1] - spans[0][0] <= TITLE_SENTENCE:  # “1.燃气项目。” heads what follows
        return spans[0][0], spans[1][1]
    return spans[0]


def _span(doc: Document, span: tuple[int, int], why: str, section: tuple[str, ...] = (),
          table_header: bool = False) -> Source:
    start, end = span
    return Source(doc=doc.doc_id, title=doc.meta.title, section=SECTION_SEPARATOR.join(section) or "正文前",
                  quote=collapse(doc.text[start:end]), score=1.0, start=start, end=end, why=why,
                  table_header=table_header)
