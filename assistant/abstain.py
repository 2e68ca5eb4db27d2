"""abstain: one calibrated decision — does the best evidence answer the question?

The composer measures the best evidence (`EvidenceFeatures`); a logistic regression fitted
on labelled questions (answerable or not) turns them into a probability, and two fitted
thresholds split it into three answer states:

    answered   the evidence answers it (found = True)
    related    规划中未找到直接回答，以下原文可能相关 — passages shown, found = False
    not_found  规划中未找到

The weights are a versioned data file (`assistant/data/abstention.json`), read with plain
arithmetic; scikit-learn is needed only to fit them again:

    python -m assistant fit-abstention evals/tacheng_plan_qa.dev.jsonl evals/tacheng_plan_qa.dev-paraphrase.jsonl
    # prints k-fold CV accuracy, a question and its rewordings held out together
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

MODEL_FILE = Path(__file__).parent / "data" / "abstention.json"
ANSWERED, RELATED, NOT_FOUND = "answered", "related", "not_found"
RULE_COVERAGE = 0.5  # the veto chain this model replaced, reported beside it for comparison


@dataclass(frozen=True)
class EvidenceFeatures:
    """What the best evidence says about answerability, each in a small numeric range."""

    coverage: float  # share of the question's weighted words the best sentence holds
    answering_coverage: float  # the same for the best sentence that passes the how-much checks
    has_answering: float  # some sentence states a quantity and names the focus words (how-much)
    how_much: float  # the question asks for an amount
    unknown_words: float  # content words no plan uses (nor any near-typo of them), capped at 2
    focus_share: float  # share of the question's rarest words found in the best paragraph
    dense_top: float  # cosine similarity of the best dense hit
    agreement: float  # the best sentence's passage ranks high in both retrievers
    quantity: float  # the best sentence states a quantity (not a year)
    year_held: float  # years the question names stand in the evidence (1 when it names none)
    focus_in_sentence: float  # share of the question's rarest words in the best sentence itself (and its headings)
    kind_asked: float  # the question asks for a time, money or an amount in a unit it names (assistant/data/ask_cues.toml)
    kind_held: float  # the best sentence states what kind of answer is asked (1 when none is)
    rule: float  # the coverage rule this model grew out of passes (answering coverage ≥ 0.5, no unknown word)

    def vector(self) -> list[float]:
        return [float(getattr(self, f.name)) for f in fields(self)]

    @property
    def kind_missing(self) -> bool:
        """The question asks a kind of answer (哪年, 补贴多少钱) the best sentence does not state."""
        return bool(self.kind_asked and not self.kind_held)


FEATURE_NAMES = tuple(f.name for f in fields(EvidenceFeatures))


@dataclass(frozen=True)
class AbstentionModel:
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    answer_threshold: float  # P(answerable) at or above: answered
    related_threshold: float  # at or above (and below the answer threshold): related
    names: tuple[str, ...] = FEATURE_NAMES
    embedder: str = ""  # the dense model whose similarities it was fitted on; another's mean nothing to it

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> AbstentionModel:
        return cls(**read_weights(path, FEATURE_NAMES, "拒答模型", "fit-abstention"))

    def probability(self, features: EvidenceFeatures) -> float:
        return logistic(self, features.vector())

    def decide(self, features: EvidenceFeatures) -> tuple[float, str]:
        """(probability, state). One hard fact overrides the fit: a how-much question about a
        word no plan uses at all (nor any near-typo of one: 森林覆盖率) cannot be answered by
        the plans, whatever else the evidence shares with it; too few labelled questions show
        this for the fit to learn it."""
        probability = self.probability(features)
        if features.how_much and features.unknown_words:
            return probability, NOT_FOUND
        state = self.state(probability)
        if state == ANSWERED and features.kind_missing:
            state = RELATED  # 哪年投产, 补贴多少钱: the best sentence states no year, no sum: it only relates
        if state == NOT_FOUND and features.focus_in_sentence == 1.0 and features.has_answering and not features.unknown_words:
            state = RELATED  # not found to answer, but the best sentence holds every specific word asked: shown as related
        return probability, state

    def state(self, probability: float) -> str:
        if probability >= self.answer_threshold:
            return ANSWERED
        return RELATED if probability >= self.related_threshold else NOT_FOUND


def collect_rows(assistant, items, group=None) -> list[tuple[EvidenceFeatures, bool, str]]:
    """(features, answerable, group) for every labelled question the retrieval path answers;
    the structural answers (targets, outlines, tables, document facts) need no abstention.
    The group is the question a rewording rewords (else its own id): rewordings of one
    question are held out together, so cross-validation does not grade a question by its twin.
    `group(item)` may name another group: the plan, to hold out one plan at a time."""
    rows = []
    for item in items:
        answer = assistant.ask(item.question)
        if isinstance(answer.features, EvidenceFeatures):
            rows.append((answer.features, item.answerable, group(item) if group else item.paraphrase_of or item.id))
    return rows


def fit(rows: list[tuple], folds: int = 5, seed: int = 0, embedder: str = "",
        by_plan: bool = False, current: AbstentionModel | None = None) -> tuple[AbstentionModel, dict]:
    """Fit on (features, answerable) rows; choose the answer threshold that maximises
    cross-validated accuracy, and the related threshold below it. Returns the model and
    the cross-validated figures. `by_plan`: the groups are plans, each held out in turn
    (leave one plan out), so the figures say how the decision fares on a plan it never saw."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.array([row[0].vector() for row in rows])
    y = np.array([1 if row[1] else 0 for row in rows])
    groups = [row[2] if len(row) > 2 else str(i) for i, row in enumerate(rows)]
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000))
    splitter = LeaveOneGroupOut() if by_plan else StratifiedGroupKFold(
        n_splits=min(folds, int(min(np.bincount(y)))), shuffle=True, random_state=seed)
    held_out = cross_val_predict(pipeline, x, y, groups=groups, cv=splitter, method="predict_proba")[:, 1]
    grid = [i / 100 for i in range(5, 96)]
    accuracy = {t: float(np.mean((held_out >= t) == (y == 1))) for t in grid}
    answer_t = max(grid, key=lambda t: (accuracy[t], -abs(t - 0.5)))
    # related: below the answer threshold, where answerable questions still outnumber the rest
    def mostly_answerable(t: float) -> bool:
        band = y[(held_out >= t) & (held_out < answer_t)]
        return band.size > 0 and float(np.mean(band == 1)) >= 0.5

    related_t = next((t for t in sorted(grid) if t < answer_t and mostly_answerable(t)), answer_t)
    pipeline.fit(x, y)
    scaler, model = pipeline.named_steps["standardscaler"], pipeline.named_steps["logisticregression"]
    fitted = AbstentionModel(mean=tuple(scaler.mean_.tolist()), scale=tuple(float(s) or 1.0 for s in scaler.scale_),
                             coef=tuple(model.coef_[0].tolist()), intercept=float(model.intercept_[0]),
                             answer_threshold=answer_t, related_threshold=related_t, embedder=embedder)
    predicted = held_out >= answer_t
    rule = np.array([bool(row[0].rule) for row in rows])
    figures = {"rule_accuracy": round(float(np.mean(rule == (y == 1))), 3), "items": len(rows),
               "answerable": int(y.sum()), "folds": splitter.get_n_splits(groups=groups),
               "cross_validation": "leave one plan out" if by_plan else f"{folds}-fold, rewordings held out together",
               "cv_accuracy": round(accuracy[answer_t], 3),
               "cv_answerable_kept": round(float(np.mean(predicted[y == 1])), 3),
               "cv_unanswerable_refused": round(float(np.mean(~predicted[y == 0])), 3) if (y == 0).any() else None,
               "answer_threshold": answer_t, "related_threshold": related_t}
    if current is not None:  # the model in use, scored on the same rows (those it was fitted on flatter it)
        in_use = np.array([current.probability(row[0]) >= current.answer_threshold for row in rows])
        figures["current_accuracy"] = round(float(np.mean(in_use == (y == 1))), 3)
    if by_plan:  # the decision on each plan held out, answer threshold as fitted
        figures["by_plan"] = {g: round(float(np.mean((held_out[mask] >= answer_t) == (y[mask] == 1))), 3)
                              for g in sorted(set(groups)) if (mask := np.array([x == g for x in groups])).any()}
    return fitted, figures


def save(model: AbstentionModel, figures: dict, path: Path = MODEL_FILE) -> None:
    write_weights(model, figures, path)


# ---- the fitted logistic regressions' weights files (this model's and the chooser's) --------
def read_weights(path: Path, names: tuple[str, ...], what: str, command: str) -> dict:
    """A weights file's fields (lists as tuples, the figures left out); ConfigError when it
    was fitted on other features than the code computes."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["names"]) != names:
        from .errors import ConfigError

        raise ConfigError(f"{what} {path.name} 的特征与代码不一致，请运行 python -m assistant {command} 重新拟合。")
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k != "cv"}


def logistic(model, vector: list[float]) -> float:
    """P from a model's standardisation (mean, scale), coefficients and intercept."""
    z = model.intercept + sum(c * (x - m) / s for c, x, m, s in
                              zip(model.coef, vector, model.mean, model.scale, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def write_weights(model, figures: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**asdict(model), "names": list(model.names), "cv": figures}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
