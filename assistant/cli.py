"""Command line: `python -m assistant ask|index|targets|eval`. Thin: parse arguments, call
the facade, turn domain errors into Chinese messages and exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager

from .errors import AssistantError, InvalidQuestion
from .facade import Assistant
from .settings import Settings


@contextmanager
def _progress_bar():
    """A tqdm bar on stderr that appears only if something reports progress (a build)."""
    from tqdm import tqdm

    bars = []

    def update(fraction: float, message: str) -> None:
        if not bars:
            bars.append(tqdm(total=100, desc="构建索引", file=sys.stderr, leave=False,
                             bar_format="{desc} {percentage:3.0f}%|{bar}| {postfix}"))
        bars[0].n = int(fraction * 100)
        bars[0].set_postfix_str(message)
        bars[0].refresh()

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()


def _print_json(obj: dict) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def _print_readable(answer) -> None:
    print(answer.text)
    if answer.rewritten_question:
        print(f"\n（按上下文理解为：{answer.rewritten_question}）")
    for i, s in enumerate(answer.sources, start=1):
        print(f"\n[{i}] {s.title} › {s.section}\n    {s.quote}")
    if answer.note:
        print(f"\n说明：{answer.note}")


def cmd_ask(assistant: Assistant, args) -> int:
    if args.question is not None:
        answer = assistant.ask(" ".join(args.question), docs=args.doc)
        _print_json(answer.to_json()) if args.json else _print_readable(answer)
        return 0
    failures = total = 0
    for line in sys.stdin.read().splitlines():
        total += 1
        try:
            answer = assistant.ask(line, docs=args.doc)
        except InvalidQuestion as exc:
            failures += 1
            error = {"answer": str(exc), "found": False, "sources": [], "error": str(exc)}
            _print_json(error) if args.json else print(f"错误：{exc}\n")
            continue
        if args.json:
            _print_json(answer.to_json())
        else:
            print(f"问：{line}")
            _print_readable(answer)
            print("\n" + "-" * 40)
    return 1 if total and failures == total else 0


def cmd_index(assistant: Assistant, args) -> int:
    with _progress_bar() as update:
        manifest = assistant.rebuild(update) if args.rebuild else assistant.ensure(update)
    print(f"索引就绪：{manifest.chunk_count} 个片段，模型 {manifest.model_id}，"
          f"构建于 {manifest.built_at}（用时 {manifest.build_seconds} 秒）")
    return 0


def cmd_targets(assistant: Assistant, args) -> int:
    from .targets import to_csv, to_json, to_table

    if args.department and not assistant.sectors.sectors_of_department(args.department):
        known = "、".join(assistant.sectors.departments())
        print(f"错误：对照表中没有部门“{args.department}”。可选：{known}", file=sys.stderr)
        return 2
    if args.sector and args.sector not in assistant.sectors.sectors:
        known = "、".join(assistant.sectors.sectors)
        print(f"错误：没有领域“{args.sector}”。可选：{known}", file=sys.stderr)
        return 2
    targets = assistant.targets(sector=args.sector, department=args.department)
    render = {"table": to_table, "json": to_json, "csv": to_csv}[args.format]
    text = render(targets)
    if args.format == "csv":
        sys.stdout.buffer.write(text.encode("utf-8-sig"))  # BOM: spreadsheets keep the Chinese
    else:
        print(text)
    return 0


def cmd_eval(assistant: Assistant, args) -> int:
    import json
    from pathlib import Path

    from tqdm import tqdm

    from .evaluate import load_eval_set, metrics, paraphrase_agreement, run_eval
    from .report import compare, llm_summary, metrics_table, report_data, splits_table, write_report

    sets = {Path(f).name: load_eval_set(Path(f)) for f in args.file}
    results = {}
    for name, items in sets.items():
        with tqdm(total=len(items), desc=f"评测 {name}", file=sys.stderr, leave=False) as bar:
            results[name] = run_eval(assistant, items, progress=lambda done, total: bar.update(1), docs=args.doc)
    splits = {name: metrics(rows) for name, rows in results.items()}
    first = next(iter(results))
    data = report_data([r for rows in results.values() for r in rows], splits[first], " + ".join(results),
                       assistant.mode)
    for name, summary in splits.items():
        print(f"## {name}\n{metrics_table(summary)}\n")
    if len(splits) > 1:
        data["splits"] = splits
        print("## 各评测集对照\n" + splits_table(splits) + "\n")
    originals = [r for rows in results.values() for r in rows if not r.item.paraphrase_of]
    rewordings = [r for rows in results.values() for r in rows if r.item.paraphrase_of]
    if rewordings:
        data["paraphrase"] = paraphrase_agreement(originals, rewordings)
        print(f"改写一致率：{data['paraphrase']['agreement']}（{data['paraphrase']['questions']} 题）")
    if llm_summary(data.get("llm")):
        print("\n" + llm_summary(data["llm"]))
    comparison = ""
    if args.compare:
        comparison = compare(json.loads(Path(args.compare).read_text(encoding="utf-8")), data)
        print("\n" + comparison)
    if args.report:
        paths = write_report(data, Path(args.report), comparison)
        print("\n报告已写入：" + "、".join(str(p) for p in paths.values()))
    return 0


def cmd_fit_abstention(assistant: Assistant, args) -> int:
    from pathlib import Path

    from . import abstain
    from .evaluate import load_eval_set

    items = [item for f in args.files for item in load_eval_set(Path(f))]
    plain = Assistant(assistant.settings.replace(abstention_model=Path("/nonexistent")))  # features, no decision
    rows = abstain.collect_rows(plain, items)
    model, figures = abstain.fit(rows, folds=args.folds)
    out = Path(args.out) if args.out else assistant.settings.abstention_model
    abstain.save(model, figures, out)
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    print(f"拒答模型已写入：{out}")
    return 0


def cmd_fit_support(assistant: Assistant, args) -> int:
    from pathlib import Path

    from .support_fit import run_fit

    print(run_fit(assistant.settings, assistant.segmenter, Path(args.file), Path(args.out) if args.out else None,
                  args.folds, write=not args.dry_run))
    return 0


def cmd_draft_eval(assistant: Assistant, args) -> int:
    from pathlib import Path

    from .drafts import draft_items, write_draft

    if args.doc not in assistant.documents:
        known = "、".join(f"{d}（{doc.meta.title}）" for d, doc in assistant.documents.items())
        print(f"错误：没有编号为“{args.doc}”的规划。可选：{known}", file=sys.stderr)
        return 2
    items = draft_items(assistant, args.doc)
    path = write_draft(items, Path(args.out or f"evals/drafts/{args.doc}.draft.jsonl"))
    print(f"已生成 {len(items)} 道候选题（自动生成，需人工审核，只用于发现回归，不代表准确率）：{path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="规划问答助手")
    parser.add_argument("--config", help="配置文件（TOML），默认读取项目根目录的 assistant.toml")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="提问；不带问题时从标准输入逐行读取")
    ask.add_argument("question", nargs="*", default=None)
    ask.add_argument("--json", action="store_true", help="输出 JSON（每个问题一行）")
    ask.add_argument("--doc", action="append", help="只在这份规划中回答（规划编号，可重复）；见 index 的输出")
    ask.set_defaults(func=cmd_ask)

    index = sub.add_parser("index", help="构建或检查索引")
    index.add_argument("--rebuild", action="store_true", help="无论是否最新都重建")
    index.set_defaults(func=cmd_index)
    evaluate = sub.add_parser("eval", help="运行评测集，输出指标并写报告")
    evaluate.add_argument("file", nargs="+", help="评测集（.jsonl 或 .csv，格式见 evals/README.md）；"
                          "给出 dev、test、paraphrase 几个时并排对照，并计算改写一致率")
    evaluate.add_argument("--report", help="报告目录：写入 report.json / report.md / report.html")
    evaluate.add_argument("--compare", help="上一次的 report.json，显示变好与变差")
    evaluate.add_argument("--doc", action="append", help="评测集针对的规划（规划编号，可重复）：题目只在其中回答")
    evaluate.set_defaults(func=cmd_eval)

    fit = sub.add_parser("fit-abstention", help="在标注了可否回答的评测集上拟合拒答模型，输出 k 折交叉验证准确率")
    fit.add_argument("files", nargs="+", help="评测集（只用来拟合的 dev 集，不要用 test 集）")
    fit.add_argument("--folds", type=int, default=5)
    fit.add_argument("--out", help="权重文件，默认 assistant/data/abstention.json")
    fit.set_defaults(func=cmd_fit_abstention)

    fit = sub.add_parser("fit-support", help="拟合 LLM 回答的句子支持度模型，并输出交叉验证结果（需要 scikit-learn）")
    fit.add_argument("file", nargs="?", default="evals/llm_support.jsonl", help="标注好的句子（JSONL，格式见 evals/README.md）")
    fit.add_argument("--out", help="模型文件，默认 assistant/data/support_model.json")
    fit.add_argument("--folds", type=int, default=5, help="交叉验证折数（默认 5）")
    fit.add_argument("--dry-run", action="store_true", help="只输出交叉验证结果，不写模型文件")
    fit.set_defaults(func=cmd_fit_support)

    draft = sub.add_parser("draft-eval", help="为一份规划生成候选评测题（目标、领域、提纲、表格、文件信息），供人工审核")
    draft.add_argument("doc", help="规划编号（见 index 的输出）")
    draft.add_argument("--out", help="输出 JSONL，默认 evals/drafts/<规划编号>.draft.jsonl")
    draft.set_defaults(func=cmd_draft_eval)

    targets = sub.add_parser("targets", help="目标清单：规划中的全部量化目标")
    targets.add_argument("--sector", help="按领域筛选，例如 交通")
    targets.add_argument("--department", help="按部门筛选，例如 交通运输局（经本地对照表）")
    targets.add_argument("--format", choices=["table", "json", "csv"], default="table")
    targets.set_defaults(func=cmd_targets)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "question", None) == []:
        args.question = None
    try:
        settings = Settings.load(args.config)
        assistant = Assistant(settings)
        if args.command in ("ask", "eval", "fit-abstention"):
            with _progress_bar() as update:
                assistant.ensure(update)
        return args.func(assistant, args)
    except AssistantError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
