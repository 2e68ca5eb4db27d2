"""Answers put together from other answers: a question in several parts (each part's best
sentences, quoted once), and a table or targets answer followed by what the plan's text says."""

from __future__ import annotations

import dataclasses
import re

from ..types import Answer, Hit, Query, Source
from .quotes import (
    PART_MISSING,
    PREMISE_MISMATCH,
    PREMISE_WRONG,
    check_numbers,
    cite,
    markers_in,
    merged,
    quoted_already,
    renumber,
)


def with_text(composer, table_answer: Answer, query: Query, hits: list[Hit]) -> Answer:
    """A table (or targets list) answer followed by what the plan's text says about the
    same thing, when the text answers too (its sentences, not the table's own rows, nor
    a sentence the answer already quotes)."""
    text = composer.compose(query, [h for h in hits if h.chunk.kind != "table_row"])
    if not text.found:
        return table_answer
    sources = list(table_answer.sources)
    lines = []
    for line in text.text.splitlines()[1:]:
        markers = markers_in(line, text.sources)
        if markers and all(quoted_already(text.sources[m - 1], table_answer.sources) for m in markers):
            continue  # a sentence the list already quotes
        lines.append(renumber(line, {m: cite(sources, text.sources[m - 1]) for m in markers}))
    if not lines:
        return table_answer
    body = "\n".join([table_answer.text, "正文中的相关表述：", *lines])
    check_numbers(body, [s.quote for s in sources])
    return dataclasses.replace(table_answer, text=body, sources=tuple(sources))


def part_missing(parts: list[str]) -> str:
    """Which part of the question the plan does not state, in the question's own words (a part
    with a figure of its own is not repeated: the answer states no number its quotes lack)."""
    named = list(dict.fromkeys(p.strip(" ，,。？?") for p in parts if p.strip(" ，,。？?") and not re.search(r"\d", p)))
    if not named or len(named) < len(set(parts)):
        return PART_MISSING
    return "问题中" + "、".join(f"“{p}”" for p in named) + "这一部分，规划中未找到相关内容。"


def _outside_party_unstated(asked: str, sources, segmenter, cues) -> bool:
    """The part compares the answer with something (the region's or the province's own
    requirement) that none of the quotes names: the plan does not state that side."""
    found = cues.compared_party(asked) if cues else ""
    party = segmenter.content_terms(found, nouns=True) if found else []
    return bool(party) and not any(w in s.quote for s in sources for w in party)


def _as_asked(part: str, question: str, segmenter) -> str:
    """A part in the question's own words, without the subject it borrowed from the first
    part; "" when the question does not hold it as typed (its words were put right) or it
    names nothing of its own (“分别是多少”), which only the generic notice can say."""
    asked = next((part[i:] for i in range(len(part) - 1) if part[i:] in question), "")
    return asked if segmenter.content_terms(asked, nouns=True) else ""


def compose_parts(composer, query: Query, parts: list[tuple[Query, list[Hit]]], typed: str = "") -> Answer:
    """One answer to a question in several parts: each part's best sentences, quoted
    once; a part the plan does not answer is said to be missing, named in the words the
    user `typed` (a part whose words were put right is not named: its corrected words were
    never the user's)."""
    answers = [composer.compose(part, hits) for part, hits in parts]
    found = [a for a in answers if a.found]
    if not found:
        # no part answered: the first part's own answer (related passages keep their sources)
        return dataclasses.replace(answers[0], question=query.text, intent=query.intent)
    sources: list[Source] = []
    lines: list[str] = []
    missing = []
    for (part, _), answer in zip(parts, answers, strict=True):
        added = []
        for line in answer.text.splitlines()[1:] if answer.found else ():
            renumbered = {m: cite(sources, answer.sources[m - 1]) for m in markers_in(line, answer.sources)}
            line = renumber(line, renumbered)
            if line not in lines:
                added.append(line)
        if not answer.found or not added and _outside_party_unstated(part.search, sources, composer.words.segmenter,
                                                                        composer.ranker.ask_cues):
            missing.append(_as_asked(part.search, typed or query.text, composer.words.segmenter))
        lines += added
    verdicts = [h for h in (PREMISE_WRONG, PREMISE_MISMATCH) if any(a.text.startswith(h) for a in found)]
    head = verdicts[0] if verdicts else "规划原文如下："
    if missing:
        lines.append(part_missing(missing))
    text = "\n".join([head, *lines])
    check_numbers(text, [s.quote for s in sources])
    return Answer(question=query.text, text=text, found=True,
                  sources=tuple(sources), intent=query.intent, hits=tuple(merged(hits for _, hits in parts)))


def _names_missing_part(line: str) -> bool:
    return line == PART_MISSING or (line.startswith("问题中") and line.endswith("这一部分，规划中未找到相关内容。"))


def compose_across_plans(question: str, answers: list[tuple[str, Answer]]) -> Answer:
    """A question about several plans (“甲地和乙地的…分别是多少”), answered plan by plan: each
    plan's own answer under its title, so that a plan that does not say is named as such."""
    sources: list[Source] = []
    lines = []
    # a part of the question that no plan states is said once, after them all, not under each plan
    missing_everywhere = set.intersection(*({line for line in a.text.splitlines() if _names_missing_part(line)}
                                            for _, a in answers)) if answers else set()
    for title, answer in answers:
        lines.append(f"《{title}》：")
        for line in answer.text.splitlines():
            if line not in missing_everywhere:
                lines.append(renumber(line, {m: cite(sources, answer.sources[m - 1])
                                             for m in markers_in(line, answer.sources)}))
    lines += [line.replace("规划中未找到", "以上规划中均未找到", 1) for line in sorted(missing_everywhere)]
    text = "\n".join(lines)
    check_numbers(text, [s.quote for s in sources])
    found = [a for _, a in answers if a.found]
    if found:
        confidence = min((a.confidence for a in found if a.confidence is not None), default=None)
        state = "answered"
    else:
        confidence = max((a.confidence for _, a in answers if a.confidence is not None), default=None)
        state = "related" if any(a.answer_state == "related" for _, a in answers) else "not_found"
    return Answer(question=question, text=text, found=bool(found), sources=tuple(sources), intent="across_plans",
                  hits=tuple(merged(a.hits for _, a in answers)), state=state, confidence=confidence)
