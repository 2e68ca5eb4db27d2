"""plan_evals: eval sets by plan. A folder (evals/plans/) lists real plans split into dev
plans (tune on them) and test plans (report only), each with its own eval set. One command
indexes a split's plans together, as an office holds them, and runs every set of the split
against that one index, so each plan's figures are measured beside the others."""

from __future__ import annotations

import dataclasses
import filecmp
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

from .errors import EvalSetError
from .evaluate import load_eval_set
from .settings import Settings
from .types import EvalItem, PlanSplit

LISTING = "plans.toml"
CROSS_PREFIX = "cross-"


def is_plan_folder(path: Path) -> bool:
    return path.is_dir() and (path / LISTING).is_file()


def load_split(folder: Path, split: str, plans_dir: Path | None = None) -> PlanSplit:
    """The split's plan files and eval sets, as `folder/plans.toml` lists them. EvalSetError
    names what is missing: the listing, the split, a plan file or a plan's eval set."""
    listing = folder / LISTING
    try:
        data = tomllib.loads(listing.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise EvalSetError(f"无法读取规划清单 {listing}：{exc}") from None
    splits = data.get("split") or {}
    if split not in splits:
        raise EvalSetError(f"规划清单 {listing.name} 中没有 “{split}” 组，可选：{'、'.join(splits) or '无'}。")
    own_dir = (data.get("split_dirs") or {}).get(split)  # a split whose plans ship beside its eval sets
    if own_dir is not None:
        plans_dir = (folder / str(own_dir)).resolve()
    else:
        plans_dir = plans_dir or (folder / str(data.get("plans_dir", "."))).resolve()
    plans = tuple(plans_dir / name for name in splits[split])
    extra = tuple((folder / name).resolve() for name in data.get("also_indexed", []))
    missing = [p.name for p in plans + extra if not p.is_file()]
    if missing:
        raise EvalSetError(f"找不到 {len(missing)} 个规划文件（{'、'.join(missing[:3])}…），"
                           f"请用 --plans 指定规划所在的文件夹（现为 {plans_dir}）。")
    sets = tuple(sorted(folder.glob(f"*.{split}.jsonl")) + sorted(folder.glob(f"*.{split}-paraphrase.jsonl")))
    listed = {p.stem for p in plans}
    unlisted = [s.name for s in sets if not s.name.startswith(CROSS_PREFIX) and _plan_of(s, split) not in listed]
    if unlisted:
        raise EvalSetError(f"评测集 {'、'.join(unlisted)} 对应的规划不在清单的 “{split}” 组中。")
    return PlanSplit(name=split, plans=plans, also_indexed=extra, sets=sets)


def _plan_of(eval_set: Path, split: str) -> str:
    return eval_set.name.split(f".{split}")[0]


def split_settings(settings: Settings, split: PlanSplit) -> Settings:
    """Settings whose corpus is the split's plans (copied into the eval folder: the corpus
    folder of a build is the plans and nothing else) and whose index sits beside them."""
    home = settings.plan_eval_dir / split.name
    corpus = home / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for p in split.plans + split.also_indexed}
    for stale in corpus.iterdir():
        if stale.is_file() and stale.name not in wanted:
            stale.unlink()
    for name, source in wanted.items():
        target = corpus / name
        if not target.is_file() or not filecmp.cmp(source, target, shallow=False):
            shutil.copyfile(source, target)
    return dataclasses.replace(settings, corpus_dir=corpus, index_dir=home / "index")


def split_items(split: PlanSplit, settings: Settings) -> dict[str, list[EvalItem]]:
    """Each eval set's items, each naming the plan(s) its gold evidence comes from."""
    sets = {}
    for path in split.sets:
        items = load_eval_set(path, settings.max_eval_items, settings.max_eval_bytes)
        if path.name.startswith(CROSS_PREFIX):
            unnamed = [item.id for item in items if not item.plans]
            if unnamed:
                raise EvalSetError(f"评测集 {path.name} 的题目 {'、'.join(unnamed[:5])} 缺少 plans 字段（涉及的规划）。")
            sets[path.name] = items
        else:
            plan = _plan_of(path, split.name)
            sets[path.name] = [item if item.plans else dataclasses.replace(item, plans=(plan,)) for item in items]
    return sets


def by_plan(results: list, metrics: Callable[[list], dict]) -> dict[str, dict]:
    """Overall metrics of each plan's questions (a cross-plan question counts for every plan it names)."""
    plans = sorted({p for r in results for p in r.item.plans})
    return {plan: metrics([r for r in results if plan in r.item.plans])["overall"] for plan in plans}
