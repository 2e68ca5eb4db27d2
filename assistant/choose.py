"""choose: every answering strategy proposes, one fitted model chooses.

The facade's strategies (a department's assignments, an outline, a table's cells, the
targets registry, document facts, a section, the passages retrieval finds …) each propose an
answer, in the order the fixed cascade this replaced tried them. `Chooser` scores every
proposal with a small logistic regression — P(this proposal answers the question right) —
and keeps the best, leaving the first proposal only for one that scores a fitted margin
higher. For an answer read off the plan's structure, that probability is its confidence (the
passages keep the abstention model's).

The weights are a versioned data file (`assistant/data/chooser.json`), applied with plain
arithmetic; scikit-learn is needed only to fit them again, on the dev plans, each plan held
out in turn:

    python -m assistant fit-chooser evals/tacheng_plan_qa.dev.jsonl evals/plans --split dev
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

from .abstain import logistic, read_weights, write_weights
from .segment import bigrams
from .text import contains_fact
from .types import SECTION_SEPARATOR, Answer, Proposal

MODEL_FILE = Path(__file__).parent / "data" / "chooser.json"
# The strategies, in the order the facade proposes them.
STRATEGIES = ("department", "outline", "table_row", "section_outline", "sector_tasks", "mentions", "targets",
              "doc_fact", "table", "scope_outline", "section", "parts", "passages", "heading_outline")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_YEAR = re.compile(r"^(?:19|20)\d\d$")


@dataclass(frozen=True)
class ProposalFeatures:
    """What a proposal offers for the question, each in a small numeric range."""

    first: float  # the fixed cascade would have answered with it
    found: float  # it answers (not 未找到 / 可能相关)
    confidence: float  # its own confidence (the abstention model's for passages; 1 or 0 for the rest)
    coverage: float  # share of the question's content words its quoted text holds
    asks_amount: float  # the question asks for an amount (多少, 几)
    states_amount: float  # its quoted text states a number that is not a year
    sources: float  # how many quotes it cites (tenths, capped at 1)
    section_named: float  # share of its first quote's heading (character pairs) the question names
    coverage_gain: float = 0.0  # its coverage less the first proposal's (0 for the first)
    named_gain: float = 0.0  # its section_named less the first proposal's
    strategy: str = "passages"

    def vector(self) -> list[float]:
        numeric = [float(getattr(self, f.name)) for f in fields(self) if f.name != "strategy"]
        return numeric + [1.0 if self.strategy == s else 0.0 for s in STRATEGIES]


FEATURE_NAMES = tuple(f.name for f in fields(ProposalFeatures) if f.name != "strategy") + \
    tuple(f"is_{s}" for s in STRATEGIES)


def describe(proposal: Proposal, first: bool, terms: list[str], asks_amount: bool,
             asked_pairs: frozenset[str] = frozenset()) -> ProposalFeatures:
    answer = proposal.answer
    quoted = " ".join(s.quote for s in answer.sources) or answer.text
    covered = sum(1 for t in terms if t in quoted) / len(terms) if terms else 0.0
    numbers = [n for n in _NUMBER.findall(quoted) if not _YEAR.match(n)]
    heading = answer.sources[0].section.split(SECTION_SEPARATOR)[-1] if answer.sources else ""
    pairs = set(bigrams(re.sub(r"^[（(]?[一二三四五六七八九十\d]+[）)、.．]?", "", heading)))
    named = len(pairs & asked_pairs) / len(pairs) if pairs else 0.0
    return ProposalFeatures(first=float(first), found=float(answer.found), confidence=answer.answer_confidence,
                            coverage=covered, asks_amount=float(asks_amount), states_amount=float(bool(numbers)),
                            sources=min(len(answer.sources), 10) / 10, section_named=named,
                            strategy=proposal.strategy)


def relative(described: list[ProposalFeatures]) -> list[ProposalFeatures]:
    """Each proposal measured against the first too: what it offers that the first does not."""
    first = described[0]
    return [dataclasses.replace(f, coverage_gain=f.coverage - first.coverage,
                                named_gain=f.section_named - first.section_named) for f in described]


@dataclass(frozen=True)
class ChooserModel:
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    margin: float  # another proposal replaces the first only when it scores this much higher
    names: tuple[str, ...] = FEATURE_NAMES

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> ChooserModel:
        return cls(**read_weights(path, FEATURE_NAMES, "选择模型", "fit-chooser"))

    def probability(self, features: ProposalFeatures) -> float:
        return logistic(self, features.vector())


def pick(scores: list[float], margin: float) -> int:
    """The first proposal, unless another scores `margin` higher (then the best of those)."""
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    return best if scores[best] > scores[0] + margin else 0


def weighs(model: ChooserModel | None, proposals: list[Proposal]) -> bool:
    """The model has something to decide: a choice, or a structural answer's confidence (a
    lone answer with a confidence of its own, or no model at all, leaves the first as it is)."""
    return model is not None and (len(proposals) > 1 or proposals[0].answer.confidence is None)


def choose(model: ChooserModel | None, proposals: list[Proposal], described: list[ProposalFeatures]) -> Answer:
    """The chosen proposal's answer; a structural answer carries the model's probability as
    its confidence. Without a model, the first proposal (the fixed order) answers."""
    if not weighs(model, proposals):
        return proposals[0].answer
    scores = [model.probability(f) for f in described]
    chosen = pick(scores, model.margin)
    answer = proposals[chosen].answer
    if answer.confidence is None and answer.found:
        answer = dataclasses.replace(answer, confidence=round(scores[chosen], 3))
    return answer


# ---- fitting -----------------------------------------------------------------------------
def right(answer: Answer, item) -> bool:
    """The proposal answers the labelled question right: every key fact, or 未找到 for one the plans do not answer."""
    if not item.answerable:
        return not answer.found
    return answer.found and all(contains_fact(answer.text, f) for f in item.key_facts)


def collect_rows(assistant, items, group: Callable) -> list[tuple[list[ProposalFeatures], list[bool], str, str]]:
    """(features of each proposal, which are right, the question's group, its plan) per question."""
    rows = []
    for item in items:
        proposals, described = assistant.proposals(item.question)
        rows.append((described, [right(p.answer, item) for p in proposals], item.paraphrase_of or item.id,
                     group(item)))
    return rows


def fit(rows: list[tuple]) -> tuple[ChooserModel, dict]:
    """Fit P(right) on every proposal of every question; choose the margin that maximises the
    share of questions answered right, each plan held out in turn (leave one plan out)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import LeaveOneGroupOut, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.array([f.vector() for described, *_ in rows for f in described])
    y = np.array([int(ok) for _, labels, *_ in rows for ok in labels])
    plans = [plan for described, _, _, plan in rows for _ in described]
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    held_out = cross_val_predict(pipeline, x, y, groups=plans, cv=LeaveOneGroupOut(), method="predict_proba")[:, 1]
    spans, at = [], 0
    for described, *_ in rows:
        spans.append((at, at + len(described)))
        at += len(described)

    def right_share(margin: float) -> float:
        return float(np.mean([labels[pick(list(held_out[a:b]), margin)] for (a, b), (_, labels, *_) in
                              zip(spans, rows, strict=True)]))

    grid = [round(m, 2) for m in np.arange(0.0, 0.51, 0.05)] + [1.0]
    scored = {m: right_share(m) for m in grid}
    margin = max(grid, key=lambda m: (scored[m], m))  # ties: the larger margin, nearer the fixed order
    pipeline.fit(x, y)
    scaler, model = pipeline.named_steps["standardscaler"], pipeline.named_steps["logisticregression"]
    fitted = ChooserModel(mean=tuple(scaler.mean_.tolist()), scale=tuple(float(s) or 1.0 for s in scaler.scale_),
                          coef=tuple(model.coef_[0].tolist()), intercept=float(model.intercept_[0]), margin=margin)
    chosen = [pick(list(held_out[a:b]), margin) for a, b in spans]
    picked_p = np.array([held_out[a + c] for (a, _), c in zip(spans, chosen, strict=True)])
    picked_ok = np.array([labels[c] for (_, labels, *_), c in zip(rows, chosen, strict=True)])
    sure = picked_p >= 0.8
    figures = {
        "questions": len(rows), "proposals": int(len(y)),
        "questions_with_choice": sum(1 for d, *_ in rows if len(d) > 1),
        "cross_validation": "leave one plan out", "plans": len(set(plans)), "margin": margin,
        "cv_right_chosen": round(scored[margin], 3),
        "cv_right_by_margin": {str(m): round(v, 3) for m, v in scored.items()},
        "cv_right_first": round(float(np.mean([labels[0] for _, labels, *_ in rows])), 3),
        "cv_right_any": round(float(np.mean([any(labels) for _, labels, *_ in rows])), 3),
        "cv_sure_share": round(float(np.mean(sure)), 3),
        # the same for the confidence each answer carried before (structural answers: always 1.0)
        "first_sure_share": round(float(np.mean([d[0].confidence >= 0.8 for d, *_ in rows])), 3),
        "first_sure_right": round(float(np.mean([labels[0] for d, labels, *_ in rows if d[0].confidence >= 0.8])), 3),
        "cv_sure_right": round(float(np.mean(picked_ok[sure])), 3) if sure.any() else None,
        "by_plan": {p: round(float(np.mean([picked_ok[i] for i, r in enumerate(rows) if r[3] == p])), 3)
                    for p in sorted(set(plans))},
    }
    return fitted, figures


def save(model: ChooserModel, figures: dict, path: Path = MODEL_FILE) -> None:
    write_weights(model, figures, path)
