"""规划问答助手 — the Gradio app: `python app.py`.

A thin layer over `assistant.Assistant`: it renders answers, sources, targets, eval runs and
the plan text, and it is the one place that turns exceptions into user messages (domain
errors keep their Chinese message; anything else is logged and shown as a generic notice,
never as a stack trace). Everything is served locally: system fonts, no CDN, no analytics.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # read by gradio at call time: no version check
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import html  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402

from assistant import Assistant, Settings  # noqa: E402
from assistant import feedback as feedback_store  # noqa: E402
from assistant.answer import RELATED_HEAD  # noqa: E402
from assistant.errors import AccessDenied, AssistantError, ConfigError, InvalidQuestion  # noqa: E402

log = logging.getLogger("assistant.app")

ROOT = Path(__file__).resolve().parent
BUILTIN_EVAL_SET = ROOT / "evals" / "tacheng_plan_qa.dev.jsonl"
EXAMPLE_SLOTS = 5  # example-question buttons; their texts come from assistant.example_questions
PLAN_TYPES = [".pdf", ".docx", ".txt", ".md"]
ALL = "（全部）"
BUILTIN = "内置评测集"
UPLOADED = "上传的文件"
HISTORY_TURNS = 6  # follow-ups need the last few turns, not the whole conversation
TURNS_KEPT = 100  # per session: the turns feedback can still refer to
OUT_RUNS_KEPT = 20  # eval reports, charts and exports kept in the app's temp folder
LOOPBACK = ("127.0.0.1", "localhost", "::1")
STALE_CACHE = (3600, 86400)  # gradio's cached files: checked hourly, deleted after a day
CONTEXT_CHARS = 120  # characters of the surrounding paragraph shown around a quote
STREAM_STEP = 12  # characters per streamed update
STREAM_DELAY = 0.012
GENERIC_ERROR = "处理时出现内部错误，已记录到服务器日志。请稍后重试；如反复出现，请联系管理员。"
TYPE_NAMES = {"overall": "总体", "fact": "事实", "list": "列举", "section": "章节", "compare": "比较",
              "department": "部门", "out_of_scope": "范围外", "trap": "陷阱"}
METRIC_NAMES = {"questions": "题数", "hit@1": "hit@1", "hit@3": "hit@3", "hit@5": "hit@5", "mrr": "MRR",
                "key_fact_recall": "要点召回", "answered": "作答率", "abstention_accuracy": "拒答准确率",
                "citation_validity": "引用有效", "number_faithfulness": "数字有据", "passed": "通过率",
                "latency_p50_ms": "延迟P50(ms)", "latency_p95_ms": "延迟P95(ms)"}
TARGET_HEADERS = ["指标", "目标值", "单位", "比较", "年份", "领域", "原文", "章节"]

CSS = """
.notice {border-radius: 6px; padding: 10px 14px; margin: 6px 0; line-height: 1.6}
.notice-related {background: #fffbea; border: 1px dashed #d4a017; color: #6b4e00}
.notice-notfound {background: #fff4e5; border: 1px solid #f0a040; color: #7a4100}
.notice-rewritten {background: #eaf3ff; border: 1px solid #8bb8f0; color: #123e6e}
.notice-error {background: #fdecec; border: 1px solid #e08080; color: #7a1010}
.notice-ok {background: #eef8ee; border: 1px solid #8cc88c; color: #1d531d}
.notice-info {background: #f4f4f5; border: 1px solid #d4d4d8; color: #3f3f46}
.source-card {border: 1px solid #e4e4e7; border-radius: 6px; padding: 8px 12px; margin: 8px 0; background: #fff}
.source-head {font-weight: 600}
.source-marker {color: #1d4ed8; margin-right: 4px}
.source-title {color: #71717a; font-size: 0.85em}
.source-plan {display: inline-block; background: #eef2ff; color: #1e3a8a; border-radius: 4px; padding: 0 6px;
  font-size: 0.85em; margin: 2px 0}
.sources-related .source-card {border-style: dashed; background: #fffdf5}
.tech-details {font-size: 0.85em; color: #52525b; margin-top: 10px; border-top: 1px solid #e4e4e7; padding-top: 6px}
.tech-details ul {margin: 4px 0; padding-left: 1.2em}
.source-context {margin: 6px 0; line-height: 1.7; color: #3f3f46}
.source-context mark, .plan-text mark {background: #fde68a; color: #111; padding: 0 1px}
.source-actions a {color: #1d4ed8; text-decoration: underline; cursor: pointer; font-size: 0.9em}
.source-card details {font-size: 0.85em; color: #52525b; margin-top: 4px}
.plan-text {white-space: pre-wrap; line-height: 1.8; max-height: 70vh; overflow-y: auto;
  border: 1px solid #e4e4e7; border-radius: 6px; padding: 12px 16px; background: #fff; color: #18181b}
.plan-heading {font-weight: 700; color: #1e3a8a}
.plan-outline {max-height: 70vh; overflow-y: auto; font-size: 0.9em; border: 1px solid #e4e4e7;
  border-radius: 6px; padding: 8px; background: #fafafa}
.plan-outline ul {list-style: none; padding-left: 0; margin: 0}
.plan-outline li {margin: 2px 0}
.plan-outline a {color: #1e3a8a; text-decoration: none; cursor: pointer}
.plan-outline a:hover {text-decoration: underline}
.plan-outline .lvl-2 {padding-left: 1em} .plan-outline .lvl-3 {padding-left: 2em}
.plan-outline .lvl-4 {padding-left: 3em}
#targets-table *, #failed-table *, #metrics-table *, #docs-table * {font-family: var(--font)}
.startup-bar {height: 8px; background: #e4e4e7; border-radius: 4px; overflow: hidden; margin-top: 6px}
.startup-bar > div {height: 100%; background: #2563eb}
"""

SOURCES_JS = """
element.addEventListener('click', (event) => {
  const link = event.target.closest('[data-source]');
  if (!link) return;
  event.preventDefault();
  trigger('click', {source: link.dataset.source});
});
"""

OUTLINE_JS = """
element.addEventListener('click', (event) => {
  const link = event.target.closest('[data-target]');
  if (!link) return;
  event.preventDefault();
  const target = document.getElementById(link.dataset.target);
  if (target) target.scrollIntoView({block: 'start'});
});
"""

VIEWER_JS = """
const toMark = () => setTimeout(() => {
  const mark = element.querySelector('mark');
  if (mark) mark.scrollIntoView({block: 'center'});
}, 150);
toMark();
watch('value', toMark);
"""

SCROLL_TO_MARK_JS = """() => { setTimeout(() => {
  const mark = document.querySelector('#plan-viewer mark');
  if (mark) mark.scrollIntoView({block: 'center'});
}, 400); }"""


# ---- turning exceptions into messages (the only place) -----------------------------------
def user_message(exc: BaseException) -> str:
    if isinstance(exc, AssistantError):
        return str(exc)
    log.error("unexpected error in the app", exc_info=exc)
    return GENERIC_ERROR


def fail(exc: BaseException) -> gr.Error:
    """For handlers outside the chat: a gr.Error carrying the user message only."""
    return gr.Error(user_message(exc), print_exception=False)


# ---- start-up: build/load the index in the background, report progress ------------------
class Startup:
    """Builds the index (if missing or stale) and warms the model up, off the request path,
    so the page is served at once and shows the progress instead of a blank screen."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self.fraction = 0.0
        self.message = "等待启动…"
        self.notices: list[str] = []  # what the index check said: repaired, stale, waited
        self.error: str | None = None
        self.done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Startup:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="index-startup", daemon=True)
            self._thread.start()
        return self

    def _update(self, fraction: float, message: str) -> None:
        self.fraction, self.message = max(0.0, min(1.0, float(fraction))), message

    def _notice(self, message: str) -> None:
        self.notices.append(message)
        self.message = message

    def _run(self) -> None:
        try:
            self._update(0.0, "检查索引…")
            self.assistant.ensure(self._update, notify=self._notice)
            self._update(1.0, "索引就绪，正在加载模型…")
            self.assistant.warm_up()
            self._update(1.0, "就绪")
        except Exception as exc:  # noqa: BLE001 - shown on the page, logged by user_message
            self.error = user_message(exc)
        finally:
            self.done.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)

    @property
    def ready(self) -> bool:
        return self.done.is_set() and self.error is None


# ---- rendering -------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_<|~$]|\](?=\())")
_MD_LINE_START = re.compile(r"^([ \t]*)(\d+\.(?=\s)|[-+>#])", re.MULTILINE)


def md_escape(text: str) -> str:
    """Plan text shown verbatim in the Markdown chat: no emphasis, links, lists, headings or
    HTML come from it. Markers like [1] stay as they are (no link without a following "(")."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: m[1] + "\\" + m[2] if not m[2][0].isdigit()
                              else m[1] + m[2][:-1] + "\\.", text)


_TEMPLATE_CHARS = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;"})


def esc(text) -> str:
    """html.escape, and braces/dollars as entities so gr.HTML's template syntax never fires."""
    return html.escape(str(text), quote=True).translate(_TEMPLATE_CHARS)


def chat_text(answer, shown: str, complete: bool) -> str:
    parts = []
    if answer.rewritten_question:
        parts.append(f"*按上下文理解为：{md_escape(answer.rewritten_question)}*")
    if answer.answer_state == "related" and shown.startswith(RELATED_HEAD):
        parts.append("> ⚠️ **规划中未找到直接回答**，以下原文可能相关（仅供参考，不是回答）：")
        shown = shown[len(RELATED_HEAD):].lstrip()
    parts.append(md_escape(shown) + ("" if complete else " ▌"))
    if complete and answer.note:
        parts.append(f"> 说明：{md_escape(answer.note)}")
    return "\n\n".join(parts)


def excerpt_html(text: str, start: int, end: int, quote: str) -> str:
    """The quote marked inside its paragraph, with up to CONTEXT_CHARS characters around it."""
    if not (0 <= start < end <= len(text)):
        return f"<mark>{esc(quote)}</mark>"
    before = text[max(0, start - CONTEXT_CHARS):start]
    after = text[end:end + CONTEXT_CHARS]
    cut_before = "\n" not in before and start - CONTEXT_CHARS > 0
    cut_after = "\n" not in after and end + CONTEXT_CHARS < len(text)
    before = before[before.rfind("\n") + 1:]
    after = after.split("\n", 1)[0]
    return ("…" if cut_before else "") + esc(before) + f"<mark>{esc(text[start:end])}</mark>" + \
        esc(after) + ("…" if cut_after else "")


STATE_NAMES = {"answered": "已作答", "related": "未找到直接回答，列出可能相关的原文", "not_found": "规划中未找到"}


def sources_html(answer, documents: dict, model_id: str = "") -> str:
    """The sources panel: a notice for the answer state, one card per source (with its plan
    when more than one plan is indexed), and a folded 技术细节 for staff."""
    state = answer.answer_state
    parts = []
    if answer.error:
        parts.append(f'<div class="notice notice-error"><b>未能作答</b>：{esc(answer.error)}。'
                     '这不是规划的内容问题，已记录到服务器日志。</div>')
    elif state == "related":
        parts.append('<div class="notice notice-related"><b>规划中未找到直接回答</b>，以下原文可能相关，'
                     '仅供参考，请核对原文后再使用。</div>')
    elif not answer.found:
        parts.append('<div class="notice notice-notfound"><b>规划中未找到</b>：已索引的规划中没有能直接回答这个问题的内容，'
                     '助手不作推测。可以换个说法，或到“原文”页查看规划全文。</div>')
    if answer.rewritten_question:
        parts.append(f'<div class="notice notice-rewritten">按上下文理解为：{esc(answer.rewritten_question)}</div>')
    cards = []
    many = len(documents) > 1
    for i, s in enumerate(answer.sources):
        doc = documents.get(s.doc)
        context = excerpt_html(doc.text, s.start, s.end, s.quote) if doc else f"<mark>{esc(s.quote)}</mark>"
        plan = f'<div class="source-plan">规划：《{esc(s.title)}》</div>' if many else \
            f'<div class="source-title">《{esc(s.title)}》</div>'
        cards.append(
            f'<div class="source-card" data-index="{i}">'
            f'<div class="source-head"><span class="source-marker">[{i + 1}]</span>'
            f'<span class="source-section">{esc(s.section)}</span></div>'
            f'{plan}<p class="source-context">{context}</p>'
            f'<div class="source-actions"><a href="#" data-source="{i}" class="open-source">在原文中查看</a></div>'
            "</div>")
    if cards:
        heading = "可能相关的原文" if state == "related" else "出处"
        kind = "sources-related" if state == "related" else "sources-answered"
        parts.append(f'<div class="{kind}"><div class="sources-title"><b>{heading}（{len(cards)}）</b></div>'
                     f'{"".join(cards)}</div>')
    parts.append(tech_details_html(answer, model_id))
    return "".join(parts)


def tech_details_html(answer, model_id: str = "") -> str:
    """Confidence, model and retrieval ranks, folded away: for staff checking an answer."""
    rows = [f"<li>回答状态：{esc(STATE_NAMES.get(answer.answer_state, answer.answer_state))}</li>"]
    if answer.confidence is not None:
        rows.append(f"<li>置信度 {answer.answer_confidence:.0%}：按评测集校准的估计，"
                    "表示检索到的原文确实能回答该问题的把握</li>")
    else:
        rows.append("<li>置信度：不适用（按规划结构直接列出的内容，如章节或指标清单）</li>")
    rows.append(f"<li>回答方式：{esc(answer.mode)}</li>")
    if model_id:
        rows.append(f"<li>检索模型：{esc(model_id)}</li>")
    why = "".join(f"<li>[{i}] 融合得分 {s.score:.4f}；{esc(s.why) or '—'}</li>"
                  for i, s in enumerate(answer.sources, 1))
    if why:
        rows.append(f"<li>为什么检索到它（检索名次与得分）：<ul>{why}</ul></li>")
    return (f'<details class="tech-details"><summary>技术细节</summary><ul>{"".join(rows)}</ul>'
            "</details>")


def input_notice_html(message: str) -> str:
    return f'<div class="notice notice-error input-notice"><b>未能提问</b>：{esc(message)}</div>'


def plan_notice(message: str, kind: str = "info") -> str:
    return f'<div class="notice notice-{kind} plan-notice">{esc(message)}</div>'


FOLLOW_UP = re.compile(r"^(那|那么|还有|另外|其他|其它)|呢[？?]?$")


def standalone(question: str) -> bool:
    """A question that makes sense on an empty chat (not “那建筑呢？”)."""
    return len(question.strip()) >= 6 and not FOLLOW_UP.search(question.strip())


PLAN_VIEW_OUTPUTS = 10 + EXAMPLE_SLOTS


def empty_sources_html(message: str = "提问后，这里列出回答所依据的规划原文（出处）。") -> str:
    return f'<div class="notice notice-info">{esc(message)}</div>'


def outline_html(parsed) -> str:
    items = []
    for i, h in enumerate(parsed.headings()):
        level = min(len(h.section_path), 4)
        label = h.section_path[-1] if h.section_path else parsed.document.text[h.start:h.end]
        items.append(f'<li class="lvl-{level}"><a href="#" data-target="plan-sec-{i}">{esc(label)}</a></li>')
    return f'<div class="plan-outline"><b>章节目录</b><ul>{"".join(items)}</ul></div>'


def plan_html(parsed, highlight: tuple[int, int] | None = None) -> str:
    """The full plan text, escaped, line breaks kept; headings are anchors; one passage marked."""
    text = parsed.document.text
    cuts: list[tuple[int, int, str]] = []  # (position, order: closes before opens, tag)
    hl = highlight if highlight and 0 <= highlight[0] < highlight[1] <= len(text) else None
    for i, h in enumerate(parsed.headings()):
        if hl and h.start < hl[1] and hl[0] < h.end:  # overlapping spans cannot both be elements
            cuts.append((h.start, 1, f'<span id="plan-sec-{i}" class="plan-anchor"></span>'))
        else:
            cuts.append((h.start, 1, f'<span id="plan-sec-{i}" class="plan-heading">'))
            cuts.append((h.end, 0, "</span>"))
    if hl:
        cuts.append((hl[0], 2, '<mark id="plan-highlight">'))
        cuts.append((hl[1], 0, "</mark>"))
    cuts.sort(key=lambda c: (c[0], c[1]))
    out, pos = [], 0
    for at, _, tag in cuts:
        out.append(esc(text[pos:at]))
        out.append(tag)
        pos = at
    out.append(esc(text[pos:]))
    return f'<div class="plan-text">{"".join(out)}</div>'


def fmt_metric(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value <= 1:
        return f"{value:.3f}"
    return str(value)


# ---- the app -----------------------------------------------------------------------------
class App:
    """Handlers for the Blocks; each turns the facade's results into component values."""

    def __init__(self, assistant: Assistant, feedback_dir: Path | None = None,
                 startup: Startup | None = None, host: str | None = None,
                 users: dict[str, str] | None = None):
        self.assistant = assistant
        self.settings = assistant.settings
        self.feedback_dir = Path(feedback_dir or self.settings.feedback_dir)
        self.startup = startup or Startup(assistant)
        self.host = host or self.settings.host
        self.users = users or {}
        self.out_dir = Path(tempfile.mkdtemp(prefix="plan-qa-app-"))
        self._out_lock = threading.Lock()

    def _out_path(self, name: str) -> Path:
        """A fresh folder per eval run or export; only the latest OUT_RUNS_KEPT are kept."""
        with self._out_lock:
            runs = sorted((p for p in self.out_dir.glob("run-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
            for old in runs[:max(0, len(runs) - OUT_RUNS_KEPT + 1)]:
                shutil.rmtree(old, ignore_errors=True)
            folder = self.out_dir / f"run-{time.time_ns()}-{uuid.uuid4().hex[:6]}"
            folder.mkdir(parents=True)
        return folder / name

    def _content_path(self, name: str, content: bytes) -> Path:
        """A file named by its content: the same CSV asked for again (every page load asks
        for the full list) is written once, not once per request."""
        folder = self.out_dir / "csv" / hashlib.sha256(content).hexdigest()[:20]
        path = folder / name
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{uuid.uuid4().hex[:6]}"
            tmp.write_bytes(content)
            tmp.replace(path)
        return path

    def require_access(self, request: gr.Request | None, action: str) -> None:
        """Rebuild and feedback export change or reveal server data: with users configured
        they need a signed-in user; without, the app must listen on loopback only."""
        if self.users:
            if request is None or getattr(request, "username", None) not in self.users:
                raise AccessDenied(f"{action}需要登录：请用管理员账号登录后重试。")
            return
        if self.host not in LOOPBACK:
            raise AccessDenied(f"{action}已停用：网页服务监听在 {self.host}，但没有配置登录用户。"
                               "请设置 ASSISTANT_AUTH_FILE 或 ASSISTANT_USERS 后重启（见 README）。")

    # -- start-up status -------------------------------------------------------------------
    def startup_html(self) -> str:
        s = self.startup
        notices = "".join(f'<div class="notice notice-notfound index-notice">{esc(n)}</div>'
                          for n in dict.fromkeys(s.notices[-3:]))
        if s.error:
            return f'<div class="notice notice-error"><b>索引不可用</b>：{esc(s.error)}</div>' + notices
        if s.ready:
            m = self.assistant.status()
            detail = f"{m.chunk_count} 个片段 · 模型 {m.model_id} · 构建于 {m.built_at}" if m else ""
            return f'<div class="notice notice-ok" id="startup-ready">索引就绪。{esc(detail)}</div>' + notices
        pct = int(s.fraction * 100)
        return (f'<div class="notice notice-rewritten" id="startup-building"><b>正在准备索引</b>'
                f'（首次启动需构建，约十几秒；期间提出的问题会在就绪后自动回答）：{esc(s.message)} · {pct}%'
                f'<div class="startup-bar"><div style="width:{pct}%"></div></div></div>')

    def watch_startup(self):
        """Streams the start-up box (message and bar) until the index is ready."""
        while not self.startup.wait(0.4):
            yield self.startup_html()
        yield self.startup_html()

    # -- chat ------------------------------------------------------------------------------
    def respond(self, message, chat, turns, plans=None):
        chat, turns = list(chat or []), list(turns or [])[-TURNS_KEPT:]
        question = message if isinstance(message, str) else ""
        try:
            self.assistant.validate(question)
        except InvalidQuestion as exc:  # refused: its own notice, the chat untouched, the question kept
            yield chat, turns, input_notice_html(user_message(exc)), gr.skip(), question
            return
        try:
            self.assistant.check_conversation(len(chat), sum(len(str(m.get("content", ""))) if isinstance(m, dict)
                                                              else len(str(m)) for m in chat))
        except InvalidQuestion as exc:  # the old conversation is dropped, the question still answered
            chat, turns = [{"role": "assistant", "content": "⚠️ " + md_escape(f"{exc}已开始新的对话，本题按新对话回答。")}], []
        shown_q = question.strip()
        if len(shown_q) > 200:
            shown_q = shown_q[:200] + f"…（共 {len(shown_q)} 字）"
        if shown_q:
            chat.append({"role": "user", "content": md_escape(shown_q)})
        chat.append({"role": "assistant", "content": "⏳ 正在检索规划原文…"})
        yield chat, turns, empty_sources_html("正在检索…"), [], ""

        while not self.startup.wait(0.5):
            chat[-1] = {"role": "assistant",
                        "content": f"⏳ 索引准备中（{int(self.startup.fraction * 100)}%）：{self.startup.message}。"
                                   "完成后自动回答。"}
            yield chat, turns, gr.skip(), gr.skip(), gr.skip()

        history = [(t["question"], t["answer"]["answer"]) for t in turns][-HISTORY_TURNS:]
        try:
            live = self.assistant.live  # the answer and the texts it is shown in come from one build
            documents = live.documents
            answer = self.assistant.ask(question, history, live=live, docs=self.chosen_plans(plans, documents))
        except Exception as exc:  # noqa: BLE001 - turned into a message in the chat
            chat[-1] = {"role": "assistant", "content": "⚠️ " + md_escape(user_message(exc))}
            yield chat, turns, empty_sources_html(), [], ""
            return

        text = answer.text
        for cut in range(STREAM_STEP, len(text), STREAM_STEP):
            chat[-1] = {"role": "assistant", "content": chat_text(answer, text[:cut], complete=False)}
            yield chat, turns, gr.skip(), gr.skip(), gr.skip()
            time.sleep(STREAM_DELAY)
        chat[-1] = {"role": "assistant", "content": chat_text(answer, text, complete=True)}
        data = answer.to_json()
        turns.append({"index": len(chat) - 1, "question": question.strip(), "answer": data})
        yield (chat, turns[-TURNS_KEPT:], sources_html(answer, documents, live.manifest.model_id),
               data["sources"], "")

    @staticmethod
    def chosen_plans(plans, documents) -> list[str] | None:
        """The plan filter as `docs=`: None when it holds all plans (or none), so a question
        that names a plan still chooses it."""
        chosen = [d for d in (plans or []) if d in documents]
        return chosen if chosen and set(chosen) != set(documents) else None

    @staticmethod
    def clear():
        return [], [], empty_sources_html(), [], ""

    def on_like(self, turns, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = next((t for t in turns or [] if t["index"] == index), None)
        if turn is None:
            return "这条消息不是助手的回答，未记录反馈。"
        if turn["answer"].get("state", "answered") != "answered":
            return "只对给出回答的消息记录 👍/👎；“规划中未找到”或仅列出可能相关原文的消息不记录。"
        if data.liked is True or data.liked == "Like":
            vote = "up"
        elif data.liked is False or data.liked == "Dislike":
            vote = "down"
        else:
            return "已取消评价（之前的记录保留在反馈文件中；再次评价会取代它）。"
        try:
            feedback_store.record(self.feedback_dir, turn["question"], turn["answer"], vote)
        except OSError as exc:
            log.error("cannot write feedback", exc_info=exc)
            return f"无法写入反馈文件（{esc(self.feedback_dir)}），请检查目录权限。"
        mark = "👍" if vote == "up" else "👎"
        return f"已记录 {mark} 反馈：“{md_escape(turn['question'][:60])}”（改投时以最后一次为准）。"

    def export_feedback(self, request: gr.Request = None):
        try:
            self.require_access(request, "导出反馈")
            out = self._out_path("feedback_downvotes_eval.jsonl")
            count = feedback_store.export_downvotes(self.feedback_dir, out)
        except (AssistantError, OSError) as exc:
            raise fail(exc) from None
        if not count:
            return "还没有 👎 反馈可以导出。", gr.File(value=None, visible=False)
        return (f"已导出 {count} 条 👎 反馈为评测题（key_facts / evidence 待人工补充，见各条的 todo 字段）。",
                gr.File(value=str(out), visible=True))

    # -- opening a source in the plan viewer -------------------------------------------------
    def open_source(self, sources, evt: gr.EventData):
        try:
            i = int((evt._data or {}).get("source"))
            s = sources[i]
        except (TypeError, ValueError, IndexError, AttributeError):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), "未能定位该出处，请重新提问后再试。"
        return self._show(s["doc"], (s["start"], s["end"]), f"[{i + 1}] {s['section']}")

    def _show(self, doc_id: str, highlight=None, label: str = ""):
        try:
            parsed = self.assistant.parsed.get(doc_id)
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        if parsed is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), "该文档不在当前索引中。"
        info = f"已定位出处 {md_escape(label)}（黄色标记）" if highlight else ""
        return (gr.Tabs(selected="plan"), gr.Dropdown(value=doc_id), outline_html(parsed),
                plan_html(parsed, highlight), info)

    def show_document(self, doc_id):
        if not doc_id:
            return gr.skip(), gr.skip(), ""
        _, _, outline, viewer, info = self._show(doc_id)
        return outline, viewer, info

    # -- the plan tab ----------------------------------------------------------------------
    def documents_rows(self):
        try:
            documents = self.assistant.documents
            manifest = self.assistant.status()
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        counts = manifest.documents if manifest else {}
        return [[d.doc_id, d.meta.title, d.meta.issuer, d.meta.number, d.meta.date, counts.get(d.doc_id, 0)]
                for d in documents.values()]

    def status_markdown(self) -> str:
        m = self.assistant.status()
        if m is None:
            return "索引尚未构建。"
        return (f"**索引状态**：模型 `{m.model_id}` · 构建于 {m.built_at} · 用时 {m.build_seconds} 秒 · "
                f"{len(m.documents)} 个文档、{m.chunk_count} 个片段 · 回答模式 {self.assistant.mode}")

    # -- plans: add, remove, choose, examples ---------------------------------------------
    def plan_choices(self) -> list[tuple[str, str]]:
        return [(d.meta.title or d.doc_id, d.doc_id) for d in self.assistant.documents.values()]

    def examples(self) -> list[str]:
        """Standalone example questions from the indexed plans (cached per build); a
        follow-up (“那建筑呢？”) needs an earlier turn, so it is never offered on its own."""
        m = self.assistant.status()
        key = m.build_id if m else ""
        if getattr(self, "_examples", (None,))[0] != key:
            try:
                questions = self.assistant.example_questions(EXAMPLE_SLOTS * 2)
            except Exception as exc:  # noqa: BLE001 - examples are optional; logged
                log.warning("no example questions: %s", exc)
                questions = []
            self._examples = (key, [q for q in questions if standalone(q)][:EXAMPLE_SLOTS])
        return self._examples[1]

    def example_updates(self):
        questions = self.examples()
        return [gr.Button(value=questions[i], visible=True) if i < len(questions) else gr.Button(visible=False)
                for i in range(EXAMPLE_SLOTS)]

    def plans_view(self, message: str = "", select: str | None = None):
        """Everything that lists the plans, refreshed after an add or a remove."""
        try:
            choices = self.plan_choices()
        except Exception as exc:  # noqa: BLE001 - the index is not available: say why
            return (plan_notice(user_message(exc), "error"), *[gr.skip()] * (PLAN_VIEW_OUTPUTS - 1))
        ids = [c[1] for c in choices]
        first = select if select in ids else (ids[0] if ids else None)
        outline, viewer, _ = self.show_document(first) if first else ("", "", "")
        return (message, self.documents_rows(), self.status_markdown(), gr.Dropdown(choices=choices, value=first),
                outline, viewer, "", gr.Dropdown(choices=choices, value=ids), gr.Row(visible=False),
                self.startup_html(), *self.example_updates())

    def add_plans(self, files, request: gr.Request = None, progress=gr.Progress()):  # noqa: B008
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]
        if not paths:
            return (plan_notice("请先选择要添加的规划文件（pdf、docx、txt 或 md）。", "error"),
                    *[gr.skip()] * (PLAN_VIEW_OUTPUTS - 1))
        try:
            self.require_access(request, "添加规划")
            progress(0.0, desc="读取并校验文件…")
            added = self.assistant.add_plans(paths, lambda f, m: progress(max(0.0, min(1.0, f)), desc=m),
                                             notify=lambda m: progress(0.0, desc=m))
        except Exception as exc:  # noqa: BLE001 - the file's problem, in Chinese; nothing changed
            return (plan_notice(f"未添加：{user_message(exc)}（语料库和索引均未改动）", "error"),
                    *[gr.skip()] * (PLAN_VIEW_OUTPUTS - 1))
        titles = "、".join(f"《{d.meta.title or d.doc_id}》" for d in added)
        return self.plans_view(plan_notice(f"已添加 {len(added)} 份规划：{titles}，索引已更新。", "ok"),
                               select=added[0].doc_id if added else None)

    def ask_remove(self, doc_id):
        doc = self.assistant.documents.get(doc_id or "")
        if doc is None:
            return plan_notice("请先在“文档”中选择要删除的规划。", "error"), gr.Row(visible=False)
        return (plan_notice(f"确认要删除《{doc.meta.title or doc_id}》吗？它的原文、片段和指标会从语料库和索引中移除，"
                            "之后不会再被引用。", "notfound"), gr.Row(visible=True))

    def remove_plan(self, doc_id, request: gr.Request = None, progress=gr.Progress()):  # noqa: B008
        try:
            self.require_access(request, "删除规划")
            doc = self.assistant.documents.get(doc_id or "")
            title = doc.meta.title if doc else doc_id
            progress(0.0, desc="删除规划并更新索引…")
            self.assistant.remove_plan(doc_id, lambda f, m: progress(max(0.0, min(1.0, f)), desc=m),
                                       notify=lambda m: progress(0.0, desc=m))
        except Exception as exc:  # noqa: BLE001
            return (plan_notice(f"未删除：{user_message(exc)}", "error"), *[gr.skip()] * (PLAN_VIEW_OUTPUTS - 1))
        return self.plans_view(plan_notice(f"已删除《{title}》，索引已更新。", "ok"))

    def rebuild(self, request: gr.Request = None, progress=gr.Progress()):  # noqa: B008 - how gradio injects it
        try:
            self.require_access(request, "重建索引")
            progress(0.0, desc="开始重建索引…")
            self.assistant.rebuild(lambda f, m: progress(max(0.0, min(1.0, f)), desc=m),
                                   notify=lambda m: progress(0.0, desc=m))
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        gr.Info("索引已重建并切换到新版本。")
        return self.documents_rows(), self.status_markdown()

    # -- targets -----------------------------------------------------------------------------
    def filter_choices(self):
        try:
            sectors = self.assistant.sectors
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        return ([ALL, *sectors.sectors], [ALL, *sectors.departments()])

    def targets_view(self, sector, department):
        sector = "" if sector in (None, "", ALL) else sector
        department = "" if department in (None, "", ALL) else department
        try:
            from assistant.targets import to_csv

            targets = self.assistant.targets(sector=sector or None, department=department or None)
            if department:
                mapped = "、".join(self.assistant.sectors.sectors_of_department(department)) or "无"
                scope = f"部门“{department}”（经本地对照表对应领域：{mapped}）"
            else:
                scope = f"领域“{sector}”" if sector else "全部领域"
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        rows = [[t.indicator, t.value, t.unit, t.comparator, t.year or "未写明", t.sector, t.quote, t.section]
                for t in targets]
        name = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", department or sector or "全部")
        path = self._content_path(f"规划指标_{name}.csv", to_csv(targets).encode("utf-8-sig"))  # BOM: for spreadsheets
        summary = f"{scope}：共 {len(targets)} 项目标。"
        return rows, summary, gr.DownloadButton(value=str(path), interactive=True)

    def on_sector(self, sector):
        rows, summary, download = self.targets_view(sector, ALL)
        return gr.Dropdown(value=ALL), rows, summary, download

    def on_department(self, department):
        rows, summary, download = self.targets_view(ALL, department)
        return gr.Dropdown(value=ALL), rows, summary, download

    # -- evals -------------------------------------------------------------------------------
    def run_eval(self, which, upload, progress=gr.Progress()):  # noqa: B008
        """A generator: it yields after every item, so a cancelled run (the stop button, a
        closed page, a client's cancel) stops at the next item instead of running on."""
        from assistant.evaluate import iter_eval, load_eval_set, metrics
        from assistant.report import chart_png, report_data, write_report

        if which == UPLOADED:
            if not upload:
                raise gr.Error("请先上传评测集文件（.jsonl 或 .csv），或选择内置评测集。", print_exception=False)
            path = Path(upload if isinstance(upload, str) else upload.name)
        else:
            path = BUILTIN_EVAL_SET
        name = path.name if which == UPLOADED else BUILTIN_EVAL_SET.name
        try:
            items = load_eval_set(path, self.settings.max_eval_items, self.settings.max_eval_bytes)
            self.startup.wait()
            progress(0, desc=f"共 {len(items)} 题，开始评测…")
            results = []
            for result in iter_eval(self.assistant, items):
                results.append(result)
                progress(len(results) / len(items), desc=f"第 {len(results)}/{len(items)} 题")
                yield (f"正在评测：第 {len(results)}/{len(items)} 题…", gr.skip(), gr.skip(),
                       gr.skip(), gr.skip())
            summary = metrics(results)
            chart = self._out_path("metrics.png")
            chart.write_bytes(chart_png(summary, METRIC_NAMES, TYPE_NAMES))
            report_dir = self._out_path("report").with_suffix("")
            report = write_report(report_data(results, summary, name, self.assistant.mode), report_dir)
        except Exception as exc:  # noqa: BLE001
            raise fail(exc) from None
        yield self._eval_outputs(name, results, summary, chart, report)

    def _eval_outputs(self, name, results, summary, chart, report):
        from assistant.report import TABLE_METRICS, cjk_font

        table = [[f"{TYPE_NAMES.get(kind, kind)}（{kind}）", *(fmt_metric(values.get(m)) for m in TABLE_METRICS)]
                 for kind, values in summary.items()]
        failed = [r for r in results if not r.passed]
        failed_rows = [[r.item.id, TYPE_NAMES.get(r.item.type, r.item.type), r.item.question,
                        "、".join(r.item.key_facts) or "（应回答“规划中未找到”）",
                        "、".join(r.facts_missing) or "—",
                        r.answer.text,
                        "\n".join(f"[{i}] {s.section}：{s.quote}" for i, s in enumerate(r.answer.sources, 1)) or "—"]
                       for r in failed]
        if not failed_rows:
            failed_rows = [["—", "—", "全部通过", "—", "—", "—", "—"]]
        overall = summary["overall"]
        text = (f"**{esc(name)}**：{overall['questions']} 题，通过 {overall['questions'] - len(failed)} 题，"
                f"未通过 {len(failed)} 题；通过率 {fmt_metric(overall['passed'])}，"
                f"要点召回 {fmt_metric(overall['key_fact_recall'])}，hit@5 {fmt_metric(overall['hit@5'])}。")
        if cjk_font() is None:
            text += "\n\n指标图未能显示中文：本机没有中文字体（可安装 fonts-noto-cjk 后重新运行评测）。"
        errors = [r for r in results if r.answer.error]
        if errors:
            text += f"\n\n其中 {len(errors)} 题未能作答（计为未通过，原因见“未通过的题目”）。"
        return (text, gr.Dataframe(value=table, headers=["类型", *(METRIC_NAMES.get(m, m) for m in TABLE_METRICS)]),
                str(chart), failed_rows, gr.DownloadButton(value=str(report["html"]), visible=True))


def build_app(assistant: Assistant, feedback_dir: Path | None = None,
              startup: Startup | None = None, host: str | None = None,
              users: dict[str, str] | None = None) -> gr.Blocks:
    app = App(assistant, feedback_dir, startup, host=host, users=users)
    with gr.Blocks(title="规划问答助手", analytics_enabled=False, delete_cache=STALE_CACHE) as demo:
        demo.app_handlers = app  # for tests and for main()
        gr.Markdown("## 规划问答助手\n以规划原文为依据回答问题：每个回答都附出处（原文摘录与所在章节）；规划中没有写的，助手会说明未找到。")
        startup_box = gr.HTML(app.startup_html(), elem_id="startup-status")

        with gr.Tabs(selected="chat") as tabs:
            # 1-2. chat, sources, feedback
            with gr.Tab("问答", id="chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        plan_filter = gr.Dropdown([], value=[], multiselect=True, label="限定规划",
                                                  info="默认全部规划；可只保留其中几份", elem_id="plan-filter",
                                                  interactive=True)
                        chatbot = gr.Chatbot(label="对话", height=460, elem_id="chatbot", buttons=["copy"],
                                             feedback_options=("Like", "Dislike"),
                                             placeholder="请输入关于规划的问题，或点击下方的示例问题。")
                        with gr.Row():
                            question = gr.Textbox(show_label=False, scale=5, lines=1, max_lines=6,
                                                  placeholder="输入问题，例如：大宗固废综合利用率到2025年要达到多少？",
                                                  elem_id="question", submit_btn=False)
                            send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="send")
                            clear = gr.Button("清空对话", scale=1, min_width=80, elem_id="clear")
                        gr.Markdown("**示例问题**（点击即问）：")
                        with gr.Row():
                            example_buttons = [gr.Button("", size="sm", visible=False, elem_classes=["example-q"])
                                               for _ in range(EXAMPLE_SLOTS)]
                    with gr.Column(scale=2):
                        sources = gr.HTML(empty_sources_html(), elem_id="sources", js_on_load=SOURCES_JS,
                                          max_height=640)
                with gr.Accordion("反馈：在每个回答下方点赞或点踩；导出点踩的问题", open=False,
                                  elem_id="feedback-panel"):
                    feedback_status = gr.Markdown("对回答点赞（👍）或点踩（👎），反馈会保存在本机"
                                                  f"（{esc(app.feedback_dir / feedback_store.FILE_NAME)}）。")
                    export = gr.Button("导出 👎 反馈为评测题（JSONL）", elem_id="export-feedback")
                    export_file = gr.File(label="导出的文件", visible=False, elem_id="export-file")
            # 3. targets
            with gr.Tab("指标", id="targets"):
                with gr.Row():
                    sector = gr.Dropdown([ALL], value=ALL, label="按领域", elem_id="sector", interactive=True)
                    department = gr.Dropdown([ALL], value=ALL, label="按部门（经本地对照表）", elem_id="department",
                                             interactive=True)
                    download_csv = gr.DownloadButton("下载 CSV", elem_id="download-csv", interactive=False)
                targets_summary = gr.Markdown("")
                targets_table = gr.Dataframe(headers=TARGET_HEADERS, interactive=False, wrap=True,
                                             elem_id="targets-table", max_height=560,
                                             column_widths=["16%", "7%", "7%", "7%", "6%", "8%", "31%", "18%"])
            # 4. evals
            with gr.Tab("评测", id="evals"):
                with gr.Row():
                    which = gr.Radio([BUILTIN, UPLOADED], value=BUILTIN, label="评测集",
                                     info=f"内置：evals/{BUILTIN_EVAL_SET.name}（全部运行约需一分钟）")
                    upload = gr.File(label="上传评测集（.jsonl 或 .csv，格式同内置评测集）",
                                     file_types=[".jsonl", ".csv", ".json"], type="filepath", elem_id="eval-upload")
                with gr.Row():
                    run = gr.Button("运行评测", variant="primary", elem_id="run-eval")
                    stop_eval = gr.Button("停止评测", elem_id="stop-eval")
                eval_summary = gr.Markdown("", elem_id="eval-summary")
                metrics_table = gr.Dataframe(interactive=False, label="各类型指标", elem_id="metrics-table")
                chart = gr.Image(label="各类型指标图", type="filepath", interactive=False, elem_id="metrics-chart",
                                 buttons=["download"])
                failed_table = gr.Dataframe(headers=["编号", "类型", "问题", "期望要点", "缺少要点", "回答", "出处"],
                                            interactive=False, wrap=True, label="未通过的题目",
                                            elem_id="failed-table", max_height=600,
                                            column_widths=["6%", "6%", "16%", "10%", "8%", "30%", "24%"])
                report_download = gr.DownloadButton("下载评测报告（HTML）", visible=False, elem_id="download-report")
            # 5. the plan
            with gr.Tab("原文", id="plan"):
                status_md = gr.Markdown("", elem_id="index-status")
                docs_table = gr.Dataframe(headers=["文档", "标题", "发文单位", "文号", "日期", "片段数"],
                                          interactive=False, label="索引中的文档", elem_id="docs-table")
                plan_msg = gr.HTML("", elem_id="plan-notice")
                with gr.Row():
                    plan_upload = gr.File(label="添加规划（pdf、docx、txt、md；可多选）", file_types=PLAN_TYPES,
                                          file_count="multiple", type="filepath", elem_id="plan-upload")
                    with gr.Column(min_width=200):
                        remove = gr.Button("删除所选规划", variant="secondary", elem_id="remove-plan")
                        with gr.Row(visible=False) as confirm_row:
                            confirm_remove = gr.Button("确认删除", variant="stop", elem_id="confirm-remove")
                            cancel_remove = gr.Button("取消", elem_id="cancel-remove")
                        rebuild = gr.Button("重建索引", elem_id="rebuild")
                with gr.Row():
                    with gr.Column(scale=1, min_width=220):
                        doc_choice = gr.Dropdown([], label="文档", elem_id="doc-choice", interactive=True)
                        outline = gr.HTML("", elem_id="plan-outline", js_on_load=OUTLINE_JS)
                    with gr.Column(scale=3):
                        viewer_info = gr.Markdown("", elem_id="viewer-info")
                        viewer = gr.HTML("", elem_id="plan-viewer", js_on_load=VIEWER_JS)

        turns = gr.State([])
        source_list = gr.State([])

        # events: chat
        chat_outputs = [chatbot, turns, sources, source_list, question]
        chat_args = dict(fn=app.respond, inputs=[question, chatbot, turns, plan_filter], outputs=chat_outputs,
                         concurrency_id="ask", show_progress="hidden")
        question.submit(**chat_args, api_name="ask")
        send.click(**chat_args, api_visibility="private")
        for button in example_buttons:
            button.click(lambda t: t, inputs=button, outputs=question, api_visibility="private", queue=False).then(
                **chat_args, api_visibility="private")
        clear.click(app.clear, outputs=chat_outputs, api_visibility="private", queue=False)
        chatbot.clear(app.clear, outputs=chat_outputs, api_visibility="private", queue=False)
        chatbot.like(app.on_like, inputs=[turns], outputs=feedback_status, api_visibility="private")
        export.click(app.export_feedback, outputs=[feedback_status, export_file], api_visibility="private")
        plan_outputs = [tabs, doc_choice, outline, viewer, viewer_info]
        sources.click(app.open_source, inputs=[source_list], outputs=plan_outputs, api_visibility="private").then(
            None, js=SCROLL_TO_MARK_JS)

        # events: targets
        target_outputs = [targets_table, targets_summary, download_csv]
        sector.input(app.on_sector, inputs=sector, outputs=[department, *target_outputs], api_visibility="private")
        department.input(app.on_department, inputs=department, outputs=[sector, *target_outputs], api_visibility="private")

        # events: evals
        upload.upload(lambda: UPLOADED, outputs=which, api_visibility="private", queue=False)
        eval_run = run.click(app.run_eval, inputs=[which, upload],
                             outputs=[eval_summary, metrics_table, chart, failed_table, report_download],
                             concurrency_limit=1, concurrency_id="eval", api_name="evaluate")
        stop_eval.click(lambda: "评测已停止。", outputs=eval_summary, cancels=[eval_run], queue=False,
                        api_visibility="private")

        # events: plan
        doc_choice.input(app.show_document, inputs=doc_choice, outputs=[outline, viewer, viewer_info],
                         api_visibility="private")
        plans_outputs = [plan_msg, docs_table, status_md, doc_choice, outline, viewer, viewer_info, plan_filter,
                         confirm_row, startup_box, *example_buttons]
        plan_upload.upload(app.add_plans, inputs=plan_upload, outputs=plans_outputs, concurrency_limit=1,
                           concurrency_id="rebuild", api_visibility="private").then(
            lambda: None, outputs=plan_upload, api_visibility="private", queue=False)
        remove.click(app.ask_remove, inputs=doc_choice, outputs=[plan_msg, confirm_row], api_visibility="private",
                     queue=False)
        cancel_remove.click(lambda: ("", gr.Row(visible=False)), outputs=[plan_msg, confirm_row],
                            api_visibility="private", queue=False)
        confirm_remove.click(app.remove_plan, inputs=doc_choice, outputs=plans_outputs, concurrency_limit=1,
                             concurrency_id="rebuild", api_visibility="private")
        rebuild.click(app.rebuild, outputs=[docs_table, status_md], concurrency_limit=1,
                      concurrency_id="rebuild", api_visibility="private")

        # page load: the start-up progress, then fill the tabs
        def fill_filters():
            sectors, departments = app.filter_choices()
            rows, summary, download = app.targets_view(ALL, ALL)
            return (gr.Dropdown(choices=sectors, value=ALL), gr.Dropdown(choices=departments, value=ALL),
                    rows, summary, download)

        demo.load(app.watch_startup, outputs=startup_box, concurrency_limit=None, api_visibility="private",
                  show_progress="hidden").then(
            fill_filters, outputs=[sector, department, *target_outputs], api_visibility="private").then(
            app.plans_view, outputs=plans_outputs, api_visibility="private")
    return demo


THEME = gr.themes.Default(font=["system-ui", "-apple-system", "Segoe UI", "Noto Sans CJK SC", "Microsoft YaHei",
                                "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])

LAUNCH_OPTIONS = dict(theme=THEME, css=CSS, share=False, show_error=False, footer_links=["settings"],
                      mcp_server=False, pwa=False, ssr_mode=False, enable_monitoring=False)


def load_users(settings: Settings, env=None) -> dict[str, str]:
    """Users for the optional login: "name:password" lines in settings.auth_file (# starts a
    comment) and "name:password,name2:password2" in the variable settings.users_env
    (ASSISTANT_USERS). ConfigError names the file and the line of a malformed entry."""
    env = os.environ if env is None else env
    entries: list[tuple[str, str]] = []
    if settings.auth_file:
        path = Path(settings.auth_file)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConfigError(f"找不到登录用户文件 {path}（ASSISTANT_AUTH_FILE），请检查路径。") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"无法读取登录用户文件 {path}：请确认它是 UTF-8 文本且有读取权限。") from exc
        entries += [(f"{path.name} 第 {n} 行", line.strip()) for n, line in enumerate(text.split("\n"), start=1)
                    if line.strip() and not line.strip().startswith("#")]
    raw = env.get(settings.users_env, "")
    entries += [(f"环境变量 {settings.users_env} 第 {n} 项", item.strip())
                for n, item in enumerate(raw.split(","), start=1) if item.strip()]
    users: dict[str, str] = {}
    for where, entry in entries:
        name, sep, password = entry.partition(":")
        if not sep or not name.strip() or not password:
            raise ConfigError(f"登录用户设置有误（{where}）：应写成“用户名:密码”。")
        users[name.strip()] = password
    return users


def password_check(users: dict[str, str]):
    """Gradio's auth callable: constant-time comparison of the password."""
    def check(name: str, password: str) -> bool:
        expected = users.get(name)
        return expected is not None and hmac.compare_digest(expected.encode(), str(password).encode())
    return check


def launch(assistant: Assistant, host: str, port: int, feedback_dir: Path | None = None,
           block: bool = True, concurrency: int = 4, users: dict[str, str] | None = None) -> gr.Blocks:
    """Start the background index build and serve the app (used by main() and the tests).
    With users (from load_users by default) every page and API call needs a login."""
    settings = assistant.settings
    users = load_users(settings) if users is None else users
    startup = Startup(assistant).start()
    demo = build_app(assistant, feedback_dir=feedback_dir, startup=startup, host=host, users=users)
    demo.queue(default_concurrency_limit=concurrency)
    demo.launch(server_name=host, server_port=port, prevent_thread_lock=not block, quiet=not block,
                auth=password_check(users) if users else None, auth_message="请登录规划问答助手。",
                state_session_capacity=settings.app_max_sessions, max_file_size=settings.max_eval_bytes,
                **LAUNCH_OPTIONS)
    return demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="规划问答助手（Gradio 网页）")
    parser.add_argument("--config", help="配置文件（TOML），默认读取项目根目录的 assistant.toml")
    parser.add_argument("--host", help="监听地址，默认取配置 host")
    parser.add_argument("--port", type=int, help="端口，默认取配置 port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.load(args.config)
    except AssistantError as exc:
        print(f"错误：{exc}")
        return 2
    print(f"规划问答助手：http://{args.host or settings.host}:{args.port or settings.port}"
          "（首次启动会先构建索引，进度显示在网页上）", flush=True)
    try:
        launch(Assistant(settings), args.host or settings.host, args.port or settings.port)
    except AssistantError as exc:
        print(f"错误：{exc}")
        return 2
    except OSError as exc:
        print(f"错误：无法在 {args.host or settings.host}:{args.port or settings.port} 启动网页服务（{exc}）。"
              "可用 --port 或 ASSISTANT_PORT 换一个端口。")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
