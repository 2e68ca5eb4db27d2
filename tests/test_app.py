"""The Gradio app (app.py) and the feedback store (assistant/feedback.py).

Fast tests cover feedback, rendering and error messages; the slow ones start the real app
in-process on a free port and talk to it through gradio_client, 20 questions at once."""

from __future__ import annotations

import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import ui
from assistant import Assistant, Settings, feedback
from assistant.errors import EvalSetError, InvalidQuestion
from assistant.evaluate import load_eval_set
from assistant.types import Answer, Block, Document, DocumentMeta, ParsedDocument, Source
from benchmarks.appserver import answer_text as last_text
from benchmarks.appserver import free_port

ROOT = Path(__file__).resolve().parent.parent


# ---- fixtures (kept in this file on purpose) ----------------------------------------------
def shared_index_dir(tmp_path_factory, real_assistant) -> Path:
    """One index for the app tests of a session (test_app and test_app_browser share it): a
    copy of the session's real index (conftest.real_assistant), so ensure() only checks it."""
    target = tmp_path_factory.getbasetemp() / "app-index"
    if not target.exists():
        shutil.copytree(real_assistant.settings.index_dir, target, ignore=shutil.ignore_patterns(".lock"))
    return target


def start_app(tmp_path_factory, real_assistant, name: str):
    settings = Settings.load(env={}, index_dir=shared_index_dir(tmp_path_factory, real_assistant))
    feedback_dir = tmp_path_factory.mktemp(f"{name}-feedback")
    port = free_port()
    demo = ui.launch(Assistant(settings), "127.0.0.1", port, feedback_dir=feedback_dir, block=False)
    startup = demo.app_handlers.startup
    assert startup.wait(240), "index build/warm-up did not finish"
    assert startup.error is None, startup.error
    return demo, f"http://127.0.0.1:{port}/", feedback_dir


@pytest.fixture(scope="module")
def live_app(tmp_path_factory, real_assistant):
    demo, url, feedback_dir = start_app(tmp_path_factory, real_assistant, "app")
    yield url, feedback_dir
    demo.close()


def hash_settings(tmp_path: Path) -> Settings:
    """The real corpus, a throwaway index and the deterministic hash embedder (fast)."""
    corpus = shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    return Settings.load(env={}, corpus_dir=corpus, index_dir=tmp_path / "index", embedding_backend="hash",
                         feedback_dir=tmp_path / "feedback")


# ---- feedback -------------------------------------------------------------------------------
def test_feedback_record_and_export_round_trip(tmp_path):
    answer = {"answer": "规划原文如下：\n· 到 2025 年，地区大宗固废综合利用率达到 40% 以上。[1]", "found": True,
              "sources": [{"doc": "d", "section": "三、主要任务 › （八）深化循环经济助力节能", "quote": "…",
                           "score": 0.03, "start": 1, "end": 2}]}
    feedback.record(tmp_path, "大宗固废综合利用率要达到多少？", answer, "up")
    feedback.record(tmp_path, "规划对PM2.5浓度有什么目标？", {"answer": "规划中未找到", "found": False,
                                                         "sources": []}, "down")
    feedback.record(tmp_path, "那建筑呢？", {**answer, "rewritten_question": "建筑领域有哪些目标？"}, "👎")
    feedback.record(tmp_path, "交通领域有哪些目标？", answer, "down")
    feedback.record(tmp_path, "交通领域有哪些目标？", answer, "up")  # changed their mind

    stored = [json.loads(line) for line in (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(stored) == 5
    assert {"question", "answer", "sources", "vote", "time"} <= set(stored[0])
    assert stored[0]["sources"][0]["section"].startswith("三、主要任务")
    assert [e["vote"] for e in stored] == ["up", "down", "down", "down", "up"]

    out = tmp_path / "export" / "downvotes.jsonl"
    assert feedback.export_downvotes(tmp_path, out) == 2
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [i["question"] for i in items] == ["规划对PM2.5浓度有什么目标？", "建筑领域有哪些目标？"]
    assert items[1]["feedback_question"] == "那建筑呢？"
    for item in items:
        assert item["key_facts"] == [] and item["evidence"] == []
        assert item["type"] in ("fact", "list", "section", "compare", "department", "out_of_scope", "trap")
        assert "待人工补充" in item["todo"]
    assert len({i["id"] for i in items}) == 2
    # same format as the built-in set: once a person fills key_facts, the loader accepts it
    items[0].update(answerable=False, type="out_of_scope")
    items[1]["key_facts"] = ["100%"]
    done = tmp_path / "completed.jsonl"
    done.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    assert [i.question for i in load_eval_set(done)] == ["规划对PM2.5浓度有什么目标？", "建筑领域有哪些目标？"]


def test_feedback_rejects_unknown_vote_and_skips_damaged_lines(tmp_path):
    with pytest.raises(ValueError):
        feedback.record(tmp_path, "问题", {"answer": "", "sources": []}, "maybe")
    feedback.record(tmp_path, "问题", {"answer": "答", "sources": []}, False)
    with (tmp_path / "feedback.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    assert [e["vote"] for e in feedback.read(tmp_path)] == ["down"]
    assert feedback.export_downvotes(tmp_path / "none", tmp_path / "empty.jsonl") == 0
    assert (tmp_path / "empty.jsonl").read_text(encoding="utf-8") == ""


# ---- rendering and messages (no model) ----------------------------------------------------------
def fake_parsed() -> ParsedDocument:
    text = "一、总体要求\n到 2025 年，<b>大宗固废</b>利用率达到 40% 以上。\n二、主要任务\n推进 A & B。"
    doc = Document("doc1", "doc1.txt", text, DocumentMeta("测试规划"))
    h1, h2 = text.index("一、总体要求"), text.index("二、主要任务")
    return ParsedDocument(doc, (Block("heading", ("一、总体要求",), h1, h1 + 6),
                                Block("paragraph", ("一、总体要求",), h1 + 7, h2 - 1),
                                Block("heading", ("二、主要任务",), h2, h2 + 6)))


def test_plan_viewer_escapes_keeps_line_breaks_and_marks_the_passage():
    parsed = fake_parsed()
    text = parsed.document.text
    start = text.index("到 2025")
    end = text.index("以上。") + 3
    page = ui.plan_html(parsed, (start, end))
    assert "<b>" not in page and "&lt;b&gt;大宗固废&lt;/b&gt;" in page
    assert "A &amp; B" in page and "\n" in page and "pre-wrap" in ui.CSS
    assert '<mark id="plan-highlight">到 2025 年，&lt;b&gt;' in page and "以上。</mark>" in page
    assert 'id="plan-sec-0"' in page and 'id="plan-sec-1"' in page
    outline = ui.outline_html(parsed)
    assert 'data-target="plan-sec-1"' in outline and "二、主要任务" in outline
    # a highlight that cuts through a heading keeps the markup well nested
    crossing = ui.plan_html(parsed, (text.index("总体"), start + 3))
    assert crossing.count("<mark") == 1 and crossing.index("<mark") < crossing.index("</mark>")


def test_sources_panel_marks_quote_in_context_and_explains_retrieval():
    parsed = fake_parsed()
    text = parsed.document.text
    start, end = text.index("到 2025"), text.index("以上。") + 3
    source = Source("doc1", "测试规划", "一、总体要求", text[start:end], 0.03, start, end,
                    why="词法第 1 名；语义第 2 名")
    answer = Answer("问", "到 2025 年……40% 以上。[1]", True, (source,))
    page = ui.sources_html(answer, {"doc1": parsed.document})
    assert "[1]" in page and "一、总体要求" in page and "<mark>" in page
    assert "为什么检索到它" in page and "词法第 1 名" in page and 'data-source="0"' in page
    assert "在原文中查看" in page and "&lt;b&gt;" in page and "notice-notfound" not in page
    missing = Answer("问", "规划中未找到与该问题直接相关的内容。", False, rewritten_question="建筑领域有哪些目标？")
    page = ui.sources_html(missing, {})
    assert "notice-notfound" in page and "规划中未找到" in page and "按上下文理解为：建筑领域有哪些目标？" in page


def test_a_table_header_is_its_rows_citation_not_a_card_of_its_own():
    table = "表 2 节能目标"
    row = Source("doc1", "测试规划", table, "交通行业单位增加值能耗下降率 % 5", 0.03, 10, 30)
    header = Source("doc1", "测试规划", table, "指标 单位 2025 年目标值", 1.0, 0, 9, table_header=True)
    other = Source("doc1", "测试规划", table, "公共机构人均综合能耗累计下降率 % 6", 0.02, 31, 50)
    answer = Answer("问", "· 交通行业单位增加值能耗下降率：5%[1][2]\n· 公共机构人均综合能耗累计下降率：6%[3][2]", True,
                    (row, header, other))
    page = ui.sources_html(answer, {})
    assert page.count('class="source-card"') == 2 and "出处（3）" in page  # the count is the markers [1]–[3]
    assert page.count("表头：指标 单位 2025 年目标值") == 2 and '[2]</span>表头：' in page
    alone = Answer("问", "表中没有问题所问的行。表头为：指标 单位 2025 年目标值[1]", False, (header,))
    assert ui.sources_html(alone, {}).count('class="source-card"') == 1  # no row: the header keeps its card


def test_markdown_escaping_keeps_markers_but_no_markup():
    assert ui.md_escape("达到 40% 以上。[1][2]（三、主要任务）") == "达到 40% 以上。[1][2]（三、主要任务）"
    escaped = ui.md_escape("<img src=x onerror=alert(1)> **粗** [链接](http://x)\n1. 列表\n# 标题")
    assert "\\<img" in escaped and "\\*\\*" in escaped and "\\](" in escaped
    assert "1\\. 列表" in escaped and "\\# 标题" in escaped


def test_only_domain_errors_keep_their_message(caplog):
    assert ui.user_message(InvalidQuestion("问题为空。")) == "问题为空。"
    message = ui.user_message(RuntimeError("Traceback (most recent call last): secret"))
    assert message == ui.GENERIC_ERROR and "Traceback" not in message


def test_startup_says_building_while_it_builds_and_loading_on_a_restart(tmp_path):
    assistant = Assistant(hash_settings(tmp_path))
    startup = ui.Startup(assistant)
    handlers = ui.App(assistant, tmp_path / "feedback", startup)
    seen, pages = [], []
    update = startup._update
    startup._update = lambda f, m: (seen.append((f, m)), pages.append(handlers.startup_html()), update(f, m))
    startup.start()
    assert startup.wait(120) and startup.error is None
    assert seen and seen[-1][0] == 1.0 and len({m for _, m in seen}) > 2
    assert any("正在构建索引" in p and "startup-bar" in p for p in pages)  # a first start builds
    assert "索引就绪" in handlers.startup_html()

    again = Assistant(assistant.settings)  # a restart: the build is there, only read
    restart = ui.Startup(again)
    handlers = ui.App(again, tmp_path / "feedback", restart)
    pages = []
    update = restart._update
    restart._update = lambda f, m: (pages.append(handlers.startup_html()), update(f, m))
    restart.start()
    assert restart.wait(120) and restart.error is None
    assert pages and all("正在构建" not in p for p in pages) and any("正在加载索引与模型" in p for p in pages)


def test_chat_handler_sends_the_answer_whole_and_turns_bad_input_into_messages(tmp_path):
    assistant = Assistant(hash_settings(tmp_path))
    startup = ui.Startup(assistant).start()
    handlers = ui.App(assistant, tmp_path / "feedback", startup)
    for bad, expected in (("", "问题为空"), ("   ", "问题为空"), ("能" * 1001, "问题过长")):
        steps = list(handlers.respond(bad, [], []))
        chat, turns, notice, _, box = steps[-1]
        assert chat == [] and turns == [] and box == bad  # refused: the question stays in the box
        assert expected in notice and "input-notice" in notice
    steps, shown = [], []
    for step in handlers.respond("大宗固废综合利用率到2025年要达到多少？", [], []):
        steps.append(step)
        shown.append(step[0][-1]["content"])  # the chat list is updated in place: what each step showed
    assert "正在检索" in shown[0] and all(s.startswith("⏳") for s in shown[:-1])  # searching (and the index
    assert "40%" in shown[-1]  # starting), then the answer whole, never typed out
    chat, turns, sources, source_list, box = steps[-1]
    assert ui.with_votes(chat, turns) is chat  # no vote yet: the plain chat (as every API call gets)
    assert chat[0]["role"] == "user" and chat[-1]["role"] == "assistant" and box == ""
    assert turns[0]["index"] == len(chat) - 1 and turns[0]["answer"]["answer"]
    assert "source-card" in sources and len(source_list) == len(turns[0]["answer"]["sources"])

    class Like:  # what gr.LikeData carries
        index, liked, value = len(chat) - 1, False, None

    message, turns = handlers.on_like(turns, Like())
    assert "已记录" in message
    assert feedback.read(tmp_path / "feedback")[0]["vote"] == "down"
    Like.index = 0
    assert "不是助手的回答" in handlers.on_like(turns, Like())[0]
    missing = list(handlers.respond("规划对PM2.5浓度有什么目标？", chat, turns))[-1]
    assert missing[0]["feedback_value"] == ["Dislike", None]  # the first answer's vote stays shown
    Like.index = len(missing[0]["value"]) - 1
    assert missing[1][-1]["answer"]["state"] != "answered" and "未找到" in handlers.on_like(missing[1], Like())[0]
    stored = feedback.read(tmp_path / "feedback")  # a wrong refusal can be reported too
    assert len(stored) == 2 and stored[-1]["state"] != "answered" and stored[-1]["vote"] == "down"
    Like.liked = None  # the highlighted 👎 clicked again: taken back, and no longer exported
    assert "已取消" in handlers.on_like(missing[1], Like())[0]
    assert missing[1][-1]["vote"] is None
    out = tmp_path / "down.jsonl"
    feedback.export_downvotes(tmp_path / "feedback", out)
    assert "PM2.5" not in out.read_text(encoding="utf-8")


def test_targets_view_writes_csv_with_bom(tmp_path):
    assistant = Assistant(hash_settings(tmp_path))
    handlers = ui.App(assistant, tmp_path / "feedback", ui.Startup(assistant))
    rows, summary, download = handlers.targets_view("交通", ui.ALL)
    sector = ui.TARGET_HEADERS.index("领域")
    assert rows and all(r[sector] == "交通" for r in rows) and len(rows[0]) == len(ui.TARGET_HEADERS)
    assert "交通" in summary
    value = download.value
    data = Path(value["path"] if isinstance(value, dict) else value).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "指标" in data.decode("utf-8-sig")
    rows, summary, _ = handlers.targets_view(ui.ALL, "交通运输局")
    assert rows and "交通运输局" in summary


# ---- the live app (real model and index) ---------------------------------------------------
EXPECTED = {
    "大宗固废综合利用率到2025年要达到多少？": ("40%",),
    "交通领域有哪些目标？": ("60%", "公共交通"),
    "数据中心PUE有什么要求": ("1.6",),
    "规划对PM2.5浓度有什么目标？": ("规划中未找到",),
}


@pytest.mark.slow
def test_twenty_concurrent_questions(live_app):
    from gradio_client import Client

    url, _ = live_app
    questions = [q for _ in range(5) for q in EXPECTED]

    def ask(question: str):
        client = Client(url, verbose=False)
        chat, sources, box = client.predict(question, [], api_name="/ask")
        return question, last_text(chat), sources

    began = time.perf_counter()
    errors, wrong = [], []
    with ThreadPoolExecutor(max_workers=20) as pool:
        futures = [pool.submit(ask, q) for q in questions]
        for future in futures:
            try:
                question, text, sources = future.result(timeout=300)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(repr(exc))
                continue
            if not all(fact in text for fact in EXPECTED[question]):
                wrong.append((question, text[:120]))
            elif "未找到" not in EXPECTED[question][0] and "source-card" not in sources:
                wrong.append((question, "no sources"))
    seconds = time.perf_counter() - began
    print(f"\n20 concurrent questions: {seconds:.2f} s total, {len(errors)} errors, {len(wrong)} wrong answers")
    assert not errors, errors
    assert not wrong, wrong


@pytest.mark.slow
def test_follow_up_uses_the_session_history(live_app):
    from gradio_client import Client

    url, _ = live_app
    client = Client(url, verbose=False)
    chat, _, _ = client.predict("交通领域有哪些目标？", [], api_name="/ask")
    chat, sources, _ = client.predict("那建筑呢？", chat, api_name="/ask")
    text = last_text(chat)
    assert "按上下文理解为" in text and "建筑" in text
    assert "按上下文理解为" in sources


@pytest.mark.slow
def test_malformed_chat_messages_are_refused_in_one_log_line(live_app, caplog, capfd):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    url, _ = live_app
    client = Client(url, verbose=False)
    capfd.readouterr()
    bad = [{"rol": "user", "n": i} for i in range(1000)]  # an API client's broken history
    with caplog.at_level("WARNING", logger="assistant.app"), pytest.raises(AppError, match="对话记录格式不正确"):
        client.predict("数据中心PUE有什么要求", bad, api_name="/ask")
    logged = [r for r in caplog.records if "malformed chat messages" in r.getMessage()]
    printed = capfd.readouterr()
    assert len(logged) == 1 and "2000 errors" in logged[0].getMessage()
    assert "Traceback" not in printed.err and printed.err.count("\n") < 10
    chat, _, _ = client.predict("数据中心PUE有什么要求", [], api_name="/ask")  # the next request is answered
    assert "1.6" in last_text(chat)


@pytest.mark.slow
def test_empty_and_oversized_input_get_a_chinese_message(live_app):
    from gradio_client import Client

    url, _ = live_app
    client = Client(url, verbose=False)
    chat, sources, box = client.predict("", [], api_name="/ask")  # refused: its own notice, not in the chat
    assert chat == [] and "问题为空" in sources and "Traceback" not in sources
    chat, sources, box = client.predict("规" * 1001, [], api_name="/ask")
    assert "问题过长" in sources and "1000" in sources and box == "规" * 1001
    chat, sources, _ = client.predict("问题\x07带控制字符", [], api_name="/ask")
    assert "控制字符" in sources


def test_eval_and_rebuild_handlers_report_errors_as_messages(tmp_path):
    import gradio as gr

    assistant = Assistant(hash_settings(tmp_path))
    startup = ui.Startup(assistant).start()
    handlers = ui.App(assistant, tmp_path / "feedback", startup)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "问", "type": "nonsense"}\n', encoding="utf-8")
    with pytest.raises(gr.Error) as caught:
        list(handlers.run_eval(ui.UPLOADED, str(bad), progress=lambda *a, **k: None))
    assert "第 1 行" in caught.value.message and "type" in caught.value.message
    with pytest.raises(gr.Error) as caught:
        list(handlers.run_eval(ui.UPLOADED, None, progress=lambda *a, **k: None))
    assert "请先上传" in caught.value.message

    steps = []
    rows, status = handlers.rebuild(progress=lambda fraction, desc="": steps.append((fraction, desc)))
    assert steps and steps[-1][0] == 1.0 and rows and "构建于" in status
    assert {r[0] for r in rows} >= {"000_8a2f0d3686d36b01"} and all(r[-1] > 0 for r in rows[:1])


# ---- issue 13: display details ----------------------------------------------------------------
def test_quotes_are_shown_without_the_pdf_spaces_between_cjk_characters():
    assert ui.cjk_tidy("绿色数据中心示 范工程，可再 生能源") == "绿色数据中心示范工程，可再生能源"
    assert ui.cjk_tidy("到 2025 年，PUE 值控制在 1.3 以下") == "到 2025 年，PUE 值控制在 1.3 以下"  # digits, Latin
    text = "推进绿色数据中心示 范工程建设。"
    start = text.index("范")
    page = ui.excerpt_html(text, start, start + 3, text[start:start + 3])
    assert page == "推进绿色数据中心示<mark>范工程</mark>建设。"  # also across the quote's edge
    source = Source("doc1", "测试规划", "一、总体要求", "数据中心示 范", 0.03, 0, 0)
    answer = Answer("问", "推进数据中心示 范。[1]", True, (source,))
    assert "数据中心示范" in ui.chat_text(answer)
    assert answer.to_json()["sources"][0]["quote"] == "数据中心示 范"  # the JSON keeps the verbatim span


def test_targets_table_columns_are_the_csv_columns_and_table_cells_state_no_comparison(tmp_path):
    import csv
    import io

    assistant = Assistant(hash_settings(tmp_path))
    handlers = ui.App(assistant, tmp_path / "feedback", ui.Startup(assistant))
    rows, _, download = handlers.targets_view(ui.ALL, ui.ALL)
    value = download.value
    data = Path(value["path"] if isinstance(value, dict) else value).read_bytes().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(data)))
    assert table[0] == ui.TARGET_HEADERS and len(table) - 1 == len(rows)
    compare = ui.TARGET_HEADERS.index("比较")
    table_rows = [t for t in assistant.targets() if t.source_kind == "table"]
    assert table_rows, "the plan has table targets"
    shown = {r[ui.TARGET_HEADERS.index("原文")]: r[compare] for r in rows}
    assert all(shown[ui.cjk_tidy(t.quote)] != "目标值" for t in table_rows)  # the table shows the quote tidied
    assert all(r[compare] != "目标值" for r in table[1:])


def test_one_progress_bar_and_a_confirmed_rebuild_that_refreshes_the_banner(tmp_path):
    assistant = Assistant(hash_settings(tmp_path))
    demo = ui.build_app(assistant, feedback_dir=tmp_path / "feedback")
    config = demo.get_config_file()
    ids = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
    deps = config["dependencies"]
    evaluate = next(d for d in deps if d.get("api_name") == "evaluate")
    assert evaluate["show_progress_on"] == [ids["eval-summary"]]
    rebuild_button = [d for d in deps if any(t[0] == ids["rebuild"] for t in d["targets"])]
    assert rebuild_button and all(ids["docs-table"] not in d["outputs"] for d in rebuild_button)  # asks first
    assert ids["confirm-rebuild"] in {t[0] for d in deps for t in d["targets"]}
    assert any(d["outputs"] == [ids["startup-status"]] and d["trigger_after"] is not None for d in deps)
    assert "确认要重建索引吗" in demo.app_handlers.ask_rebuild()[0]


def test_a_reviewed_draft_is_saved_as_a_generated_eval_set(tmp_path):
    from ui.evals import draft_rows, save_reviewed

    drafts = [
        {"id": "p-g001", "question": "到2025年大宗固废综合利用率要达到多少？", "type": "fact", "answerable": True,
         "key_facts": ["40%"], "evidence": ["大宗固废综合利用率达到 40% 以上"], "section": "三、主要任务",
         "doc": "p", "generated": True},
        {"id": "p-g002", "question": "交通领域有哪些量化目标？", "type": "department", "answerable": True,
         "key_facts": ["60%", "10%"], "evidence": ["公共交通占机动化出行比例达到 60%"], "section": "",
         "doc": "p", "generated": True},
        {"id": "p-g003", "question": "这份规划的文号是什么？", "type": "doc_fact", "answerable": True,
         "key_facts": ["塔地发改基础〔2023〕17号"], "evidence": ["塔地发改基础〔2023〕17号"], "section": "",
         "doc": "p", "generated": True},
    ]
    rows = draft_rows(drafts)
    assert rows[1][2] == "部门" and rows[1][4] == "60%；10%"
    rows[0][3] = "大宗固废综合利用率到2025年要达到多少？"  # edited
    rows[1][0] = False  # deleted
    rows[2][4] = "塔地发改基础〔2023〕17号；2023"  # a fact added
    path, count = save_reviewed(rows, drafts, tmp_path / "out" / "p.generated.jsonl")
    saved = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert count == 2 and [i["id"] for i in saved] == ["p-g001", "p-g003"]
    assert saved[0]["question"] == "大宗固废综合利用率到2025年要达到多少？" and saved[0]["type"] == "fact"
    assert saved[1]["type"] == "doc_fact" and saved[1]["key_facts"] == ["塔地发改基础〔2023〕17号", "2023"]
    assert all(i["generated"] is True and i["answerable"] is True and i["doc"] == "p" for i in saved)
    loaded = load_eval_set(path)  # the eval loader reads it back
    assert [i.question for i in loaded] == [saved[0]["question"], saved[1]["question"]]

    rows[0][3] = "  "
    with pytest.raises(EvalSetError) as caught:
        save_reviewed(rows, drafts, tmp_path / "bad.jsonl")
    assert "第 1 行的问题为空" in str(caught.value)
    with pytest.raises(EvalSetError) as caught:
        save_reviewed([[False, *r[1:]] for r in rows], drafts, tmp_path / "none.jsonl")
    assert "没有保留任何题目" in str(caught.value)


def test_draft_eval_handlers_generate_and_save(tmp_path):
    assistant = Assistant(hash_settings(tmp_path))
    assistant.ensure()
    handlers = ui.App(assistant, tmp_path / "feedback", ui.Startup(assistant))
    message, table, drafts, _ = handlers.draft_eval("000_8a2f0d3686d36b01")
    assert drafts and "自动生成" in message and "不代表回答准确率" in message
    message, file = handlers.save_draft(table.value["data"] if isinstance(table.value, dict) else table.value, drafts)
    assert f"已保存 {len(drafts)} 道" in message
    value = file.value
    saved = Path(value["path"] if isinstance(value, dict) else value)
    assert len(load_eval_set(saved)) == len(drafts)


def test_a_stopped_eval_run_says_so_and_shows_its_items_done_as_partial_results(tmp_path):
    from types import SimpleNamespace

    assistant = Assistant(hash_settings(tmp_path))
    startup = ui.Startup(assistant).start()
    handlers = ui.App(assistant, tmp_path / "feedback", startup)
    page, other = SimpleNamespace(session_hash="页面甲"), SimpleNamespace(session_hash="页面乙")
    assert handlers.stop_eval(page) == "没有正在运行的评测。"
    run = handlers.run_eval(ui.BUILTIN, None, request=page, progress=lambda *a, **k: None)
    opening = next(run)
    # the last run's results go the moment a run starts
    assert opening[0].startswith("共 ") and opening[1].value["data"] == [] and opening[2] is None and opening[3] == []
    assert opening[4].visible is False
    steps = [next(run) for _ in range(6)]
    assert steps[-1][0].startswith("正在评测：第 6/") and "预计还需约" in steps[-1][0]
    assert handlers.stop_eval(other) == "没有正在运行的评测。"  # another page's run is its own
    assert "正在停止" in handlers.stop_eval(page)
    rest = list(run)
    summary, table = rest[-1][0], rest[-1][1]
    assert summary.startswith("**已停止（7/") and "部分结果：7/" in summary and table.value["data"]
    assert handlers.stop_eval(page) == "没有正在运行的评测。"  # the run is over


def test_the_targets_table_shows_plan_text_without_pdf_spaces_and_the_csv_keeps_it(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "plan.txt").write_text("某市节能规划\n一、主要目标\n到2025年，可再 生能源消费比重达到 20%。\n", encoding="utf-8")
    assistant = Assistant(Settings.load(env={}, corpus_dir=corpus, index_dir=tmp_path / "index",
                                        embedding_backend="hash"))
    handlers = ui.App(assistant, tmp_path / "feedback", ui.Startup(assistant))
    rows, _, download = handlers.targets_view(ui.ALL, ui.ALL)
    assert rows and all("可再 生" not in str(cell) for row in rows for cell in row)
    assert any("可再生能源" in str(cell) for row in rows for cell in row)
    assert "可再 生".encode() in Path(download.value["path"]).read_bytes()  # the CSV: the plan's text as extracted


def test_a_greeting_gets_the_help_answer_with_examples_the_plans_answer(tmp_path):
    assistant = Assistant(hash_settings(tmp_path))
    answer = assistant.ask("你好！")
    assert answer.intent == "help" and not answer.found and answer.answer_state == "not_found" and not answer.sources
    assert "《塔城地区“十四五”节能规划（2021-2025年）》" in answer.text and "例如" in answer.text
    examples = [line[2:] for line in answer.text.splitlines() if line.startswith("· ")]
    assert examples and all(assistant.ask(q).found for q in examples)  # offered only when answered
    html = ui.sources_html(answer, assistant.documents)
    assert "使用说明" in html and "规划中未找到" not in html
    assert assistant.ask("你好，数据中心PUE有什么要求").intent != "help"


SHARED_PLANS = Path(__file__).resolve().parent.parent.parent / "shared" / "plans"


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_PLANS.is_dir(), reason="shared/plans is not beside the checkout")
def test_every_example_offered_with_three_plans_indexed_is_answered_from_its_plan_with_its_facts(tmp_path):
    from assistant.drafts import draft_items
    from assistant.text import contains_fact
    from ui.chat import EXAMPLE_SLOTS

    settings = hash_settings(tmp_path)
    for name in ("province_jiangsu_green_building.pdf", "city_hefei_power_development.pdf"):  # two dev plans
        shutil.copy(SHARED_PLANS / name, settings.corpus_dir / name)
    assistant = Assistant(settings)
    assistant.ensure()
    assert len(assistant.documents) == 3
    drafted = {i["question"]: i for doc_id in assistant.documents for i in draft_items(assistant, doc_id)}
    examples = assistant.example_questions(2 * EXAMPLE_SLOTS)
    assert len(examples) >= EXAMPLE_SLOTS
    assert len({drafted[q]["doc"] for q in examples}) == 3, examples  # from every plan, not only the first
    for question in examples:
        item, answer = drafted[question], assistant.ask(question)
        assert answer.found and all(contains_fact(answer.text, f) for f in item["key_facts"]), (question, answer.text)
        assert item["doc"] in {s.doc for s in answer.sources}, question


def test_a_sources_context_is_cut_at_a_clause_boundary_not_mid_word():
    long_before = "加强组织领导，" + "推进节能改造工作" * 16 + "，完善考核制度。"
    long_after = "落实主体责任，" + "开展数据中心示范工程" * 14 + "，强化监督。"
    text = long_before + "新建大型数据中心PUE值控制在1.6以下。" + long_after
    start = text.index("新建")
    end = text.index("以下。") + 3
    page = ui.excerpt_html(text, start, end, text[start:end])
    # 120 characters each side would end mid-word (…工作推进节能改 / 开展数据中心示…): cut at the clause ends inside
    assert page == "…完善考核制度。<mark>新建大型数据中心PUE值控制在1.6以下。</mark>落实主体责任，…"
    no_boundary = "甲" * 200 + "乙乙。" + "丙" * 200
    cut = ui.excerpt_html(no_boundary, 200, 203, "乙乙。")
    assert cut == "…" + "甲" * 120 + "<mark>乙乙。</mark>" + "丙" * 120 + "…"  # no clause end: the window's edge


def test_the_page_load_fill_keeps_a_source_opened_before_it_arrived(tmp_path):
    assistant = Assistant(hash_settings(tmp_path))
    startup = ui.Startup(assistant).start()
    assert startup.wait(120) and startup.error is None
    handlers = ui.App(assistant, tmp_path / "feedback", startup)
    doc_id = next(iter(assistant.documents))
    _, _, _, viewer, info = handlers._show(doc_id, (10, 20), "[1] 一、")
    assert "<mark" in viewer and "已定位出处" in info

    kept = handlers.page_plans_view(doc_id)  # the dropdown already names the opened plan
    outline, shown, shown_info = kept[4:7]
    assert all(x == {"__type__": "update"} for x in (outline, shown, shown_info))  # gr.skip(): left as shown
    fresh = handlers.page_plans_view(None)  # nothing opened yet: the first plan is shown
    assert "plan-text" in fresh[5] and "<mark" not in fresh[5]
