"""support_fit: fit the sentence-support model on a labelled set and measure it.

    python -m assistant fit-support [evals/llm_support.jsonl] [--out assistant/data/support_model.json]

Each line of the set: {"id", "question", "quotes": [...], "sentence", "label":
"supported" | "unsupported", "kind"}; the sentence ends with markers [n] into its quotes.
The rules of `support.SupportChecker.gate` (no marker, a source not given, a quantity the
quotes lack) decide first; a scikit-learn LogisticRegression, fitted on the items the rules
let through, decides the rest. What is printed is the whole decision, rules and model,
measured by stratified k-fold cross-validation grouped by quote set (no quote set is in
both the training and the test part of a fold); the threshold is chosen inside each
training part. The file written holds the coefficients for `support.SupportModel`, so
running the check needs numpy only; scikit-learn is needed here alone (extra `fit`).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import EvalSetError
from .settings import PROJECT_ROOT
from .support import (
    DENSE,
    LEXICAL,
    LEXICAL_FEATURES,
    MODEL_VERSION,
    SUPPORT_MODEL,
    SupportChecker,
    parse_sentence,
)
from .text import squash

LABELS = {"supported": True, "unsupported": False}
TARGET_CAUGHT, TARGET_KEPT = 0.95, 0.90
FOLDS = 5
SEED = 0
C = 3.0  # LogisticRegression inverse regularisation; 1 and 3 were compared by cross-validation


@dataclass(frozen=True)
class SupportItem:
    id: str
    question: str
    quotes: tuple[str, ...]
    sentence: str
    supported: bool
    kind: str = ""

    @property
    def group(self) -> str:
        return hashlib.sha1("\n".join(self.quotes).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Rows:
    """The items as the fit sees them: the rule's verdict (None: the model decides), the
    features, the label."""

    items: tuple[SupportItem, ...]
    gates: tuple[str | None, ...]
    features: tuple[dict[str, float], ...]

    @property
    def y(self) -> np.ndarray:
        return np.array([i.supported for i in self.items], dtype=bool)

    @property
    def groups(self) -> np.ndarray:
        return np.array([i.group for i in self.items])

    @property
    def open(self) -> np.ndarray:
        return np.array([g is None for g in self.gates], dtype=bool)

    def matrix(self, names: Sequence[str]) -> np.ndarray:
        return np.array([[f.get(n, 0.0) for n in names] for f in self.features], dtype=float)


@dataclass(frozen=True)
class Figures:
    caught: float  # unsupported sentences the check rejects
    kept: float  # supported sentences the check accepts
    unsupported: int
    supported: int
    by_kind: dict[str, tuple[int, int]]  # kind -> (judged right, items)

    def meets_target(self) -> bool:
        return self.caught >= TARGET_CAUGHT and self.kept >= TARGET_KEPT


def load_items(path: Path) -> list[SupportItem]:
    path = Path(path)
    if not path.exists():
        raise EvalSetError(f"找不到句子支持度数据集 {path}。")
    items, seen = [], set()
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{path.name} 第 {n} 行不是合法的 JSON：{exc.msg}。") from exc
        item = _item(row, f"{path.name} 第 {n} 行")
        if item.id in seen:
            raise EvalSetError(f"{path.name} 第 {n} 行：id “{item.id}” 重复。")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise EvalSetError(f"句子支持度数据集 {path} 中没有条目。")
    return items


def _item(row, where: str) -> SupportItem:
    if not isinstance(row, dict):
        raise EvalSetError(f"{where}：应为一个 JSON 对象。")
    quotes = row.get("quotes")
    if not isinstance(quotes, list) or not quotes or not all(isinstance(q, str) for q in quotes):
        raise EvalSetError(f"{where}：quotes 应为非空的字符串列表。")
    if row.get("label") not in LABELS:
        raise EvalSetError(f"{where}：label 应为 supported 或 unsupported。")
    if not str(row.get("sentence") or "").strip():
        raise EvalSetError(f"{where}：缺少 sentence。")
    return SupportItem(id=str(row.get("id", "")), question=str(row.get("question", "")),
                       quotes=tuple(quotes), sentence=str(row["sentence"]).strip(),
                       supported=LABELS[row["label"]], kind=str(row.get("kind", "")))


def prepare(items: Sequence[SupportItem], checker: SupportChecker, dense: bool,
            titles: dict[str, str] | None = None) -> Rows:
    """`titles`: item id -> the title of the plan its quotes come from (what the reader
    sees beside the quotes, as at run time)."""
    titles = titles or {}
    if dense:
        _prefetch(checker, items)
    gates, features = [], []
    for item in items:
        sentence = parse_sentence(item.sentence)
        gate = checker.gate(sentence, item.quotes)
        cited = [item.quotes[n - 1] for n in sentence.cited if 1 <= n <= len(item.quotes)]
        gates.append(gate)
        known = f"{item.question} {titles.get(item.id, '')}"
        features.append(checker.features(sentence.body, cited, known, dense=dense) if gate is None else {})
    return Rows(tuple(items), tuple(gates), tuple(features))


def _prefetch(checker: SupportChecker, items: Sequence[SupportItem]) -> None:
    """Embed every text once, in batches, before the features ask for them one by one."""
    inner = checker.embeddings
    texts = list(dict.fromkeys(t for i in items for t in (parse_sentence(i.sentence).body,
                                                          *i.quotes)))
    vectors = {}
    for start in range(0, len(texts), 32):
        batch = texts[start:start + 32]
        vectors.update(zip(batch, inner.embed_documents(batch), strict=True))
    checker.embeddings = _Known(inner, vectors)


class _Known:
    def __init__(self, inner, vectors: dict[str, list[float]]):
        self.model_id = getattr(inner, "model_id", None)
        self._inner, self._vectors = inner, vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in texts if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self._inner.embed_documents(missing), strict=True))
        return [self._vectors[t] for t in texts]


# ---- fitting and measuring ---------------------------------------------------------------------

def _fit(x: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, class_weight="balanced", max_iter=1000)).fit(x, y)


def _folds(y: np.ndarray, groups: np.ndarray, k: int):
    from sklearn.model_selection import StratifiedGroupKFold

    k = min(k, *Counter(y.tolist()).values(), len(set(groups.tolist())))
    return StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=SEED).split(np.zeros(len(y)), y, groups)


def _out_of_fold(rows: Rows, idx: np.ndarray, names: Sequence[str], k: int) -> np.ndarray:
    """P(supported) for each open row of `idx`, each from a model fitted without its group."""
    x, y = rows.matrix(names)[idx], rows.y[idx]
    p = np.full(len(idx), np.nan)
    for train, test in _folds(y, rows.groups[idx], k):
        if len(set(y[train].tolist())) < 2:
            p[test] = float(y[train].mean())
            continue
        p[test] = _fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    return p


def choose_threshold(p: np.ndarray, y: np.ndarray, closed_caught: int, closed_lost: int) -> float:
    """The threshold that keeps most supported sentences while catching at least the target
    share of unsupported ones; rows the rules decided count as they were decided."""
    unsupported = int((~y).sum()) + closed_caught
    supported = int(y.sum()) + closed_lost
    best, best_score = 0.5, -1.0
    for t in np.unique(np.concatenate([p, [0.5]])):
        caught = (int(((p < t) & ~y).sum()) + closed_caught) / max(unsupported, 1)
        kept = int(((p >= t) & y).sum()) / max(supported, 1)
        score = kept + caught + (2.0 if caught >= TARGET_CAUGHT else 0.0)
        if score > best_score:
            best, best_score = float(t), score
    return best


def _threshold_for(rows: Rows, idx: np.ndarray, names: Sequence[str], k: int) -> float:
    is_open = rows.open[idx]
    y = rows.y[idx]
    p = _out_of_fold(rows, idx[is_open], names, k)
    return choose_threshold(p, y[is_open], int((~y[~is_open]).sum()), int(y[~is_open].sum()))


def decide(rows: Rows, idx: np.ndarray, model, threshold: float, names: Sequence[str]) -> np.ndarray:
    """The check's verdict (True: supported) for rows `idx`: the rule where one applied,
    else the model against the threshold."""
    verdict = np.array([rows.gates[i] == "framing" for i in idx], dtype=bool)
    is_open = rows.open[idx]
    if is_open.any():
        verdict[is_open] = model.predict_proba(rows.matrix(names)[idx[is_open]])[:, 1] >= threshold
    return verdict


def cross_validate(rows: Rows, names: Sequence[str], k: int = FOLDS) -> Figures:
    verdict = np.zeros(len(rows.items), dtype=bool)
    all_idx = np.arange(len(rows.items))
    for train, test in _folds(rows.y, rows.groups, k):
        train_open = train[rows.open[train]]
        model = _fit(rows.matrix(names)[train_open], rows.y[train_open])
        threshold = _threshold_for(rows, train, names, k - 1)
        verdict[test] = decide(rows, all_idx[test], model, threshold, names)
    return figures(rows, verdict)


def figures(rows: Rows, verdict: np.ndarray) -> Figures:
    y = rows.y
    by_kind: dict[str, tuple[int, int]] = {}
    for item, v in zip(rows.items, verdict, strict=True):
        key = f"{'supported' if item.supported else 'unsupported'}/{item.kind}"
        right, total = by_kind.get(key, (0, 0))
        by_kind[key] = (right + int(v == item.supported), total + 1)
    return Figures(caught=float((~verdict & ~y).sum() / max((~y).sum(), 1)),
                   kept=float((verdict & y).sum() / max(y.sum(), 1)),
                   unsupported=int((~y).sum()), supported=int(y.sum()),
                   by_kind=dict(sorted(by_kind.items())))


def fit_final(rows: Rows, names: Sequence[str], k: int = FOLDS) -> dict:
    is_open = rows.open
    pipeline = _fit(rows.matrix(names)[is_open], rows.y[is_open])
    scaler, regression = pipeline[0], pipeline[-1]
    return {"features": list(names), "mean": scaler.mean_.round(6).tolist(),
            "scale": scaler.scale_.round(6).tolist(), "coef": regression.coef_[0].round(6).tolist(),
            "intercept": round(float(regression.intercept_[0]), 6),
            "threshold": round(_threshold_for(rows, np.arange(len(rows.items)), names, k), 6)}


@dataclass(frozen=True)
class FitResult:
    data: dict  # what is written to the model file
    figures: dict[str, Figures]  # model name -> cross-validated figures


def titles_of(items: Sequence[SupportItem], documents) -> dict[str, str]:
    """The title of the plan (among `documents`) whose text holds each item's first quote."""
    texts = [(squash(d.text), d.meta.title) for d in documents]
    return {i.id: next((title for text, title in texts if squash(i.quotes[0]) in text), "") for i in items}


def fit_support(path: Path, checker: SupportChecker, k: int = FOLDS, documents=()) -> FitResult:
    """Fit the lexical model and, when the checker has an embedder, one for that embedder."""
    items = load_items(path)
    dense = checker.embeddings is not None
    rows = prepare(items, checker, dense, titles_of(items, documents))
    variants = {LEXICAL: LEXICAL_FEATURES}
    if dense:
        variants[checker.embeddings.model_id] = (*LEXICAL_FEATURES, DENSE)
    models, results = {}, {}
    for name, names in variants.items():
        results[name] = cross_validate(rows, names, k)
        models[name] = {**fit_final(rows, names, k), "cv": _cv_json(results[name], k)}
    data = {"version": MODEL_VERSION, "fitted_on": Path(path).name,
            "data_sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(), "items": len(items),
            "target": {"caught": TARGET_CAUGHT, "kept": TARGET_KEPT}, "models": models}
    return FitResult(data, results)


def _cv_json(f: Figures, k: int) -> dict:
    return {"folds": k, "grouped_by": "quote set", "caught": round(f.caught, 4), "kept": round(f.kept, 4),
            "unsupported": f.unsupported, "supported": f.supported}


def write_model(data: dict, out: Path = SUPPORT_MODEL) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out


def run_fit(settings, segmenter, path: Path, out: Path | None, folds: int = FOLDS, write: bool = True) -> str:
    """What `python -m assistant fit-support` does: fit with the configured embedder (and
    the lexical model), write the model file, return the figures to print."""
    from .embed import make_embeddings
    from .load import load_corpus

    if not path.is_absolute() and not path.exists():
        path = PROJECT_ROOT / path
    documents = load_corpus(settings.corpus_dir, settings.support_files)
    result = fit_support(path, SupportChecker(segmenter, make_embeddings(settings)), folds, documents)
    text = describe(result, folds)
    if write:
        text += f"\n\n模型已写入 {write_model(result.data, out or SUPPORT_MODEL)}"
    return text


def describe(result: FitResult, folds: int = FOLDS) -> str:
    """The figures as printed by the command."""
    lines = [f"数据集 {result.data['fitted_on']}：{result.data['items']} 条；"
             f"{folds} 折分层交叉验证（按引文组分组，阈值在每折的训练部分内选取）"]
    for name, f in result.figures.items():
        model = result.data["models"][name]
        status = "达标" if f.meets_target() else "未达标"
        lines += ["", f"模型 {name}（特征：{'、'.join(model['features'])}；阈值 {model['threshold']:.3f}）",
                  f"  不忠实句被拦下 {f.caught:.3f}（{f.unsupported} 句，目标 ≥ {TARGET_CAUGHT}）",
                  f"  忠实句被保留 {f.kept:.3f}（{f.supported} 句，目标 ≥ {TARGET_KEPT}）  {status}",
                  "  按类别（判对/总数）：" + "；".join(f"{k} {a}/{b}" for k, (a, b) in f.by_kind.items())]
    return "\n".join(lines)
