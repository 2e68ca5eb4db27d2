"""Command line: `python -m assistant ask|index|targets|eval`. Thin: parse arguments, call
the facade, turn domain errors into Chinese messages and exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager

from .errors import AssistantError, EvalSetError
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


def _printable(text: str) -> str:
    """Text as given, with bytes that were not UTF-8 shown as U+FFFD (they cannot be printed)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _print_readable(answer) -> None:
    print(answer.text)
    if answer.rewritten_question:
        print(f"\n（按上下文理解为：{answer.rewritten_question}）")
    for i, s in enumerate(answer.sources, start=1):
        print(f"\n[{i}] {s.title} › {s.section}\n    {s.quote}")
    if answer.note:
        print(f"\n说明：{answer.note}")


def _stdin_lines():
    """Standard input split on \\n only (a trailing \\r dropped), each line decoded on its own:
    a line that is not UTF-8 keeps its bytes as surrogates, and asking it gives that line's
    error, so one bad line never shifts or stops the others."""
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        raw = raw[:-1] if raw.endswith(b"\n") else raw
        raw = raw[:-1] if raw.endswith(b"\r") else raw
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a byte order mark
        yield number, raw.decode("utf-8", "surrogateescape")


def _ask_one(assistant: Assistant, question: str, line: int | None, as_json: bool,
             docs: list[str] | None = None) -> bool:
    """Ask and print one question; False when it gave an error. A single question's bad
    input is raised (main prints it); a batch line's becomes that line's error object."""
    shown = _printable(question)
    head = {"question": shown} if line is None else {"question": shown, "line": line}
    try:
        answer = assistant.ask(question, docs=docs)
    except AssistantError as exc:
        if line is None:
            raise
        if as_json:
            _print_json({**head, "answer": str(exc), "found": False, "state": "not_found", "confidence": 0.0,
                         "sources": [], "error": str(exc)})
        else:
            print(f"问（第 {line} 行）：{shown}\n错误：{exc}\n")
        return False
    if as_json:
        _print_json({**head, **answer.to_json()})
        return not answer.error
    if line is not None:
        print(f"问（第 {line} 行）：{shown}")
    _print_readable(answer)
    if line is not None:
        print("\n" + "-" * 40)
    return not answer.error


def cmd_ask(assistant: Assistant, args) -> int:
    if args.question is not None:
        ok = _ask_one(assistant, " ".join(args.question), None, args.json, args.doc)
        return 0 if ok else 1
    failures = total = 0
    for line, question in _stdin_lines():
        total += 1
        failures += not _ask_one(assistant, question, line, args.json, args.doc)
    return 1 if total and failures == total else 0


def cmd_add(assistant: Assistant, args) -> int:
    from pathlib import Path

    with _progress_bar() as update:
        documents = assistant.add_plans([Path(f) for f in args.files], update, replace=args.replace)
    for d in documents:
        print(f"已添加：{d.doc_id}（{d.meta.title}）")
    manifest = assistant.status()
    print(f"索引已更新：{len(manifest.documents)} 份规划，{manifest.chunk_count} 个片段。")
    return 0


def cmd_remove(assistant: Assistant, args) -> int:
    with _progress_bar() as update:
        assistant.remove_plan(args.doc, update)
    manifest = assistant.status()
    print(f"已删除：{args.doc}。索引已更新：{len(manifest.documents)} 份规划，{manifest.chunk_count} 个片段。")
    return 0


def cmd_plans(assistant: Assistant, args) -> int:
    manifest = assistant.status()
    for doc_id, d in assistant.documents.items():
        meta = d.meta
        print(f"{doc_id}\t{meta.title}\t{meta.issuer or '—'}\t{meta.number or '—'}\t{meta.date or '—'}\t"
              f"{meta.region or '—'}\t{manifest.documents.get(doc_id, 0)} 个片段")
    _print_set_aside(assistant)
    return 0


def cmd_index(assistant: Assistant, args) -> int:
    with _progress_bar() as update:
        manifest = assistant.rebuild(update) if args.rebuild else assistant.ensure(update, serve_stale=False)
    print(f"索引就绪：{manifest.chunk_count} 个片段，模型 {manifest.model_id}，"
          f"构建于 {manifest.built_at}（用时 {manifest.build_seconds} 秒）")
    _print_set_aside(assistant)
    return 0


def _print_set_aside(assistant: Assistant) -> None:
    if names := assistant.set_aside():
        print(f"注意：语料目录的 .rejected/ 中有 {len(names)} 个无法读取而被移出的文件：{'、'.join(names)}。"
              "修正后可用 add 重新添加。")


def cmd_targets(assistant: Assistant, args) -> int:
    from .targets import to_csv, to_json, to_table

    if error := _unknown_filter(assistant, args):
        print(f"错误：{error}", file=sys.stderr)
        return 2
    targets = assistant.targets(sector=args.sector, department=args.department, docs=args.doc,
                                indicator=args.indicator)
    render = {"table": to_table, "json": to_json, "csv": to_csv}[args.format]
    text = render(targets)
    if args.format == "csv":
        sys.stdout.buffer.write(text.encode("utf-8-sig"))  # BOM: spreadsheets keep the Chinese
    else:
        print(text)
    return 0


def cmd_indicators(assistant: Assistant, args) -> int:
    from pathlib import Path

    from .indicators import to_csv, to_json, to_table, write_xlsx

    if args.format == "xlsx" and not args.out:
        print("错误：xlsx 格式须用 --out 指定文件，例如 --out 指标对比.xlsx", file=sys.stderr)
        return 2
    if error := _unknown_filter(assistant, args):
        print(f"错误：{error}", file=sys.stderr)
        return 2
    if args.check:
        return _print_checks(assistant, args)
    matrix = assistant.indicators(sector=args.sector, department=args.department, docs=args.doc,
                                  indicator=args.indicator)
    out = Path(args.out) if args.out else None
    try:
        if args.format == "xlsx":
            write_xlsx(matrix, out)
        else:
            text = {"table": to_table, "json": to_json, "csv": to_csv}[args.format](matrix)
            data = text.encode("utf-8-sig" if args.format == "csv" else "utf-8")  # BOM: spreadsheets keep the Chinese
            if out:
                out.write_bytes(data)
            else:
                sys.stdout.buffer.write(data if args.format == "csv" else data + b"\n")
    except OSError as exc:
        print(f"错误：无法写入 {out}（{exc.strerror or exc}）。", file=sys.stderr)
        return 2
    if out:
        print(f"已写入 {out}：{len(matrix.indicators)} 个指标 × {len(matrix.plans)} 份规划，{len(matrix.cells)} 个目标。")
    return 0


def _print_checks(assistant: Assistant, args) -> int:
    from .indicators import check_json, check_table

    if args.format not in ("table", "json") or args.out:
        print("错误：--check 只输出到屏幕，格式为 table 或 json。", file=sys.stderr)
        return 2
    checks = assistant.indicator_checks(sector=args.sector, department=args.department, docs=args.doc,
                                        indicator=args.indicator)
    print(check_json(checks) if args.format == "json" else check_table(checks))
    return 0


def _unknown_filter(assistant: Assistant, args) -> str:
    """The message for a sector, department or plan the filters name that does not exist, else ""."""
    if args.department and not assistant.sectors.sectors_of_department(args.department):
        return f"对照表中没有部门“{args.department}”。可选：{'、'.join(assistant.sectors.departments())}"
    if args.sector and args.sector not in assistant.sectors.sectors:
        return f"没有领域“{args.sector}”。可选：{'、'.join(assistant.sectors.sectors)}"
    if unknown := [d for d in args.doc or [] if d not in assistant.documents]:
        known = "、".join(f"{d}（{doc.meta.title}）" for d, doc in assistant.documents.items())
        return f"没有编号为“{'、'.join(unknown)}”的规划。可选：{known}"
    return ""


def _eval_settings(settings: Settings, args) -> Settings:
    """For a folder of plans with their eval sets: settings over that split's plans, and its sets."""
    from pathlib import Path

    from .plan_evals import is_plan_folder, load_split, split_settings

    args.split_run = None
    folders = [Path(f) for f in args.file if is_plan_folder(Path(f))]
    if not folders:
        return settings
    if len(args.file) > 1:
        raise EvalSetError("规划文件夹（含 plans.toml）须单独评测，不能与其他评测集同时给出。")
    args.split_run = load_split(folders[0], args.split, Path(args.plans) if args.plans else None)
    return split_settings(settings, args.split_run)


def cmd_eval(assistant: Assistant, args) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from .evaluate import load_eval_set, metrics, paraphrase_agreement, run_eval
    from .plan_evals import split_items
    from .report import compare, llm_summary, metrics_table, report_data, splits_table, write_report

    s = assistant.settings
    if args.split_run is not None:
        sets = split_items(args.split_run, s)
    else:
        sets = {Path(f).name: load_eval_set(Path(f), s.max_eval_items, s.max_eval_bytes) for f in args.file}
    previous = _read_report(Path(args.compare)) if args.compare else None
    results = {}
    for name, items in sets.items():
        with tqdm(total=len(items), desc=f"评测 {name}", file=sys.stderr, leave=False) as bar:
            results[name] = run_eval(assistant, items, progress=lambda done, total: bar.update(1), docs=args.doc)
    everything = [r for rows in results.values() for r in rows]
    if args.split_run is not None:
        data = _split_report(args.split_run, everything, assistant.mode)
    else:
        splits = {name: metrics(rows) for name, rows in results.items()}
        data = report_data(everything, splits[next(iter(results))], " + ".join(results), assistant.mode)
        for name, summary in splits.items():
            print(f"## {name}\n{metrics_table(summary)}\n")
        if len(splits) > 1:
            data["splits"] = splits
            print("## 各评测集对照\n" + splits_table(splits) + "\n")
    originals = [r for r in everything if not r.item.paraphrase_of]
    rewordings = [r for r in everything if r.item.paraphrase_of]
    if rewordings:
        data["paraphrase"] = paraphrase_agreement(originals, rewordings)
        print(f"改写一致率：{data['paraphrase']['agreement']}（{data['paraphrase']['questions']} 题）")
    if llm_summary(data.get("llm")):
        print("\n" + llm_summary(data["llm"]))
    errors = [r for r in everything if r.answer.error]
    if errors:
        print(f"\n{len(errors)} 题未能作答（计为未通过）：" + "；".join(f"{r.item.id}：{r.answer.error}" for r in errors[:10]))
    comparison = ""
    if previous is not None:
        comparison = compare(previous, data)
        print("\n" + comparison)
    if args.report:
        paths = write_report(data, Path(args.report), comparison)
        print("\n报告已写入：" + "、".join(str(p) for p in paths.values()))
    return 0


def _split_report(split, results: list, mode: str) -> dict:
    """A split of plans: its questions and their rewordings overall, then plan by plan."""
    from .evaluate import metrics
    from .plan_evals import by_plan
    from .report import metrics_table, plans_table, report_data, splits_table

    originals = [r for r in results if not r.item.paraphrase_of]
    rewordings = [r for r in results if r.item.paraphrase_of]
    data = report_data(results, metrics(originals), f"{split.name} 组 {len(split.plans)} 份规划", mode)
    data["plans"] = by_plan(originals, metrics)
    print(f"## {split.name} 组 {len(split.plans)} 份规划：原题\n{metrics_table(data['metrics'])}\n")
    if rewordings:
        data["splits"] = {"原题": data["metrics"], "改写": metrics(rewordings)}
        data["plans_rewordings"] = by_plan(rewordings, metrics)
        print("## 原题与改写\n" + splits_table(data["splits"]) + "\n")
    print("## 各规划（原题）\n" + plans_table(data["plans"]) + "\n")
    return data


def cmd_fit_abstention(assistant: Assistant, args) -> int:
    from pathlib import Path

    from . import abstain
    from .evaluate import load_eval_set
    from .plan_evals import is_plan_folder, load_split, split_items, split_settings

    folders = [Path(f) for f in args.files if is_plan_folder(Path(f))]
    files = [Path(f) for f in args.files if Path(f) not in folders]
    by_plan = bool(folders)  # plans are the groups: seed questions one plan, each real plan another
    items = [item for f in files for item in load_eval_set(f)]
    no_model = Path("/nonexistent")  # features, no decision
    plain = Assistant(assistant.settings.replace(abstention_model=no_model))
    seed_plan = "+".join(sorted(plain.documents))
    rows = abstain.collect_rows(plain, items, (lambda item: seed_plan) if by_plan else None)
    for folder in folders:
        split = load_split(folder, args.split)
        on_split = Assistant(split_settings(assistant.settings, split).replace(abstention_model=no_model))
        for split_set in split_items(split, on_split.settings).values():
            rows += abstain.collect_rows(on_split, split_set, lambda item: item.plans[0])
    current = abstain.AbstentionModel.load(assistant.settings.abstention_model) \
        if assistant.settings.abstention_model.is_file() else None
    model, figures = abstain.fit(rows, folds=args.folds, embedder=plain.live.manifest.model_id, by_plan=by_plan,
                                 current=current)
    out = Path(args.out) if args.out else assistant.settings.abstention_model
    abstain.save(model, figures, out)
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    print(f"拒答模型已写入：{out}")
    return 0


def cmd_fit_chooser(assistant: Assistant, args) -> int:
    from pathlib import Path

    from . import choose
    from .evaluate import load_eval_set
    from .plan_evals import is_plan_folder, load_split, split_items, split_settings

    folders = [Path(f) for f in args.files if is_plan_folder(Path(f))]
    items = [item for f in args.files if Path(f) not in folders for item in load_eval_set(Path(f))]
    seed_plan = "+".join(sorted(assistant.documents))  # the seed questions' plans: one group
    rows = choose.collect_rows(assistant, tqdm_items(items, "拟合数据"), lambda item: seed_plan)
    for folder in folders:
        split = load_split(folder, args.split)
        on_split = Assistant(split_settings(assistant.settings, split))
        for name, split_set in split_items(split, on_split.settings).items():
            rows += choose.collect_rows(on_split, tqdm_items(split_set, name), lambda item: item.plans[0])
    model, figures = choose.fit(rows)
    out = Path(args.out) if args.out else assistant.settings.chooser_model
    choose.save(model, figures, out)
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    print(f"选择模型已写入：{out}")
    return 0


def tqdm_items(items: list, what: str):
    from tqdm import tqdm

    return tqdm(items, desc=what, leave=False)


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


def _read_report(path) -> dict:

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise EvalSetError(f"找不到要对比的报告 {path}。") from exc
    except (OSError, ValueError) as exc:
        raise EvalSetError(f"要对比的报告 {path.name} 不是可读的 report.json（UTF-8 JSON），请换一个文件。") from exc
    if not isinstance(data, dict) or "items" not in data or "metrics" not in data:
        raise EvalSetError(f"要对比的报告 {path.name} 不是评测报告（缺少 items）。")
    return data


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="规划问答助手")
    parser.add_argument("--config", help="配置文件（TOML），默认读取项目根目录的 assistant.toml")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="提问；不带问题时从标准输入逐行读取")
    ask.add_argument("question", nargs="*", default=None)
    ask.add_argument("--json", action="store_true", help="输出 JSON（每个问题一行）")
    ask.add_argument("--doc", action="append", help="只在这份规划中回答（规划编号，可重复）；见 index 的输出")
    ask.set_defaults(func=cmd_ask)

    add = sub.add_parser("add", help="添加规划文件（pdf、docx、txt、md），只对新规划建索引")
    add.add_argument("files", nargs="+")
    add.add_argument("--replace", action="store_true", help="替换编号（文件名）相同的已有规划")
    add.set_defaults(func=cmd_add)
    remove = sub.add_parser("remove", help="删除一份规划（按规划编号），之后不会再被引用")
    remove.add_argument("doc", help="规划编号（见 plans 的输出）")
    remove.set_defaults(func=cmd_remove)
    plans = sub.add_parser("plans", help="列出已收录的规划：编号、标题、印发单位、文号、日期、地区、片段数")
    plans.set_defaults(func=cmd_plans)

    index = sub.add_parser("index", help="构建或检查索引")
    index.add_argument("--rebuild", action="store_true", help="无论是否最新都重建")
    index.set_defaults(func=cmd_index)
    evaluate = sub.add_parser("eval", help="运行评测集，输出指标并写报告")
    evaluate.add_argument("file", nargs="+", help="评测集（.jsonl 或 .csv，格式见 evals/README.md）；"
                          "给出 dev、test、paraphrase 几个时并排对照，并计算改写一致率")
    evaluate.add_argument("--report", help="报告目录：写入 report.json / report.md / report.html")
    evaluate.add_argument("--compare", help="上一次的 report.json，显示变好与变差")
    evaluate.add_argument("--doc", action="append", help="评测集针对的规划（规划编号，可重复）：题目只在其中回答")
    evaluate.add_argument("--split", default="dev", help="FILE 为规划文件夹（含 plans.toml）时：评测哪一组规划（dev 或 test）")
    evaluate.add_argument("--plans", help="FILE 为规划文件夹时：规划 PDF 所在的文件夹（默认按 plans.toml）")
    evaluate.set_defaults(func=cmd_eval)

    fit = sub.add_parser("fit-abstention", help="在标注了可否回答的评测集上拟合拒答模型，输出 k 折交叉验证准确率")
    fit.add_argument("files", nargs="+", help="评测集（只用来拟合的 dev 集，不要用 test 集）")
    fit.add_argument("--folds", type=int, default=5)
    fit.add_argument("--split", default="dev", help="规划文件夹（含 plans.toml）用哪一组规划拟合，只用 dev")
    fit.add_argument("--out", help="权重文件，默认 assistant/data/abstention.json")
    fit.set_defaults(func=cmd_fit_abstention)

    fit = sub.add_parser("fit-chooser", help="拟合“从各策略的候选回答中选一个”的模型，逐份规划留出交叉验证（需要 scikit-learn）")
    fit.add_argument("files", nargs="+", help="dev 评测集与规划文件夹（含 plans.toml；只用 dev 组，不要用 test 组）")
    fit.add_argument("--split", default="dev", help="规划文件夹用哪一组规划拟合，只用 dev")
    fit.add_argument("--out", help="权重文件，默认 assistant/data/chooser.json")
    fit.set_defaults(func=cmd_fit_chooser)

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
    targets.add_argument("--doc", action="append", help="只列这份规划的目标（规划编号，可重复）")
    targets.add_argument("--indicator", help="一个指标在各规划中的目标，例如 --indicator 单位GDP能耗")
    targets.add_argument("--format", choices=["table", "json", "csv"], default="table")
    targets.set_defaults(func=cmd_targets)
    indicators = sub.add_parser("indicators", help="指标对比：同一指标在各规划中的目标（指标 × 规划）")
    indicators.add_argument("--sector", help="按领域筛选，例如 工业")
    indicators.add_argument("--department", help="按部门筛选（经本地对照表）")
    indicators.add_argument("--doc", action="append", help="只比这些规划（规划编号，可重复）")
    indicators.add_argument("--indicator", help="只看一个指标，例如 --indicator 单位GDP能耗（各种写法均可）")
    indicators.add_argument("--format", choices=["table", "json", "csv", "xlsx"], default="table")
    indicators.add_argument("--out", help="写入文件（xlsx 必须给出）")
    indicators.add_argument("--check", action="store_true",
                            help="对照上级规划：同一指标、同一目标年、同为百分比时，本级目标是否不低于上级（table 或 json）")
    indicators.set_defaults(func=cmd_indicators)
    return parser


def _notice(message: str) -> None:
    """Index events (waiting for a build, a repair, a stale index in use), at once, on stderr."""
    from tqdm import tqdm

    tqdm.write(f"提示：{message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "question", None) == []:
        args.question = None
    try:
        settings = Settings.load(args.config)
        if args.command == "eval":
            settings = _eval_settings(settings, args)
        assistant = Assistant(settings, notify=_notice)
        if args.command in ("ask", "eval", "targets", "indicators", "fit-abstention", "fit-chooser", "draft-eval", "plans"):
            with _progress_bar() as update:
                assistant.ensure(update)
        return args.func(assistant, args)
    except AssistantError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
