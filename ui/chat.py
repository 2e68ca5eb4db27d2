"""The 问答 tab: the chat, the sources panel, feedback and example questions."""

from __future__ import annotations

import re
from types import SimpleNamespace

import gradio as gr
from gradio.components.chatbot import ChatbotDataMessages
from pydantic import ValidationError

from assistant.answer import RELATED_HEAD
from assistant.errors import InvalidQuestion
from ui import feedback
from ui.common import ANSWER_MODES, esc, log, md_escape, user_message

EXAMPLE_SLOTS = 5  # example-question buttons; their texts come from assistant.example_questions
USAGE = """\
- **怎么问**：用自己的话问规划里的内容，例如某项指标到哪年要达到多少、某个部门要做什么、某一章讲了什么、
  表中某一行的数值、文件的文号和印发单位；也可以问几份规划的对比。说“你好”或“你能做什么”会看到介绍和示例问题。
- **回答的三种状态**：**已作答**——回答逐句引用规划原文，“出处”栏列出每条引文和它所在的章节；
  **可能相关**——规划中没有直接的回答，列出可能有关的原文，仅供参考；**规划中未找到**——已索引的规划没有写到，助手不作推测。
- **出处**：点击出处卡片中的“在原文中查看”，会在“原文”页打开规划全文并定位到这句话；点击对话中较早的回答，
  出处栏换成那个回答的出处。
- **限定规划**：索引了多份规划时，可在上方“限定规划”中只保留其中几份；问题里点名了地区或规划名时，只从那份规划回答。
- **其他页面**：“指标”页按领域、部门列出全部量化目标，并可对比同一指标在各规划中的目标、对照上级规划；
  “评测”页用评测集检查回答的准确率；“原文”页查看规划全文、添加或移除规划。
- **反馈**：在回答下方点赞或点踩，点踩的问题可以导出为评测题。
- **导出对话**：在下方“导出对话”中把本次问答（每个回答连同出处原文、章节和规划名称）导出为 MD 文本或 DOCX 文档，便于写进材料。"""
HISTORY_TURNS = 6  # follow-ups need the last few turns, not the whole conversation
TURNS_KEPT = 100  # per session: the turns feedback can still refer to
CONTEXT_CHARS = 120  # characters of the surrounding paragraph shown around a quote

SOURCES_JS = """
element.addEventListener('click', (event) => {
  const link = event.target.closest('[data-source]');
  if (!link) return;
  event.preventDefault();
  trigger('click', {source: link.dataset.source});
});
// A click on a marker [n] in an answer: the conversation's select event brings that answer's
// sources back to this panel; then card n is scrolled into view and flashed.
let wanted = 0, clicks = 0;
const showCard = () => {
  if (!wanted) return;
  const marker = [...element.querySelectorAll('.source-marker')].find((m) => m.textContent === `[${wanted}]`);
  const card = marker && marker.closest('.source-card');
  if (!card) return;
  card.scrollIntoView({block: 'nearest', behavior: 'smooth'});
  element.querySelectorAll('.card-flash').forEach((c) => c.classList.remove('card-flash'));
  card.classList.add('card-flash');
};
const markerAt = (event) => {
  const caret = document.caretRangeFromPoint ? document.caretRangeFromPoint(event.clientX, event.clientY)
    : document.caretPositionFromPoint && document.caretPositionFromPoint(event.clientX, event.clientY);
  const node = caret && (caret.startContainer || caret.offsetNode), at = caret && (caret.startOffset ?? caret.offset);
  if (!node || node.nodeType !== 3) return 0;
  for (const m of node.nodeValue.matchAll(/\\[(\\d+)\\]/g)) {
    if (m.index <= at && at <= m.index + m[0].length) return Number(m[1]);
  }
  return 0;
};
document.addEventListener('click', (event) => {
  if (!event.target.closest('#chatbot .message.bot')) return;
  wanted = markerAt(event);
  const click = ++clicks;
  if (wanted) [400, 1200, 2500].forEach((ms) => setTimeout(() => {
    showCard();
    if (ms === 2500 && click === clicks) wanted = 0;  // a later answer's panel is not scrolled
  }, ms));
}, true);
new MutationObserver(showCard).observe(element, {childList: true, subtree: true});
"""


# ---- rendering -----------------------------------------------------------------------
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef"
_CUT = "\ue000"  # marks where a shown text is split (before / quote / after); never in a plan
_PDF_SPACE = re.compile(f"(?<=[{_CJK}])({_CUT}?)[ \t\u00a0\u3000]+({_CUT}?)(?=[{_CJK}])")


def cjk_tidy(*pieces: str) -> tuple[str, ...] | str:
    """The PDF's stray spaces between two CJK characters removed ("数据中心示 范" -> "数据中心示范"),
    for display only: quotes in the JSON stay the verbatim span. A space next to a digit or a
    Latin letter ("2025 年", "PUE 值") stays. Several pieces are tidied as one text, so a space
    at a boundary between them goes too; one piece in, one string out."""
    joined = _PDF_SPACE.sub(r"\1\2", _CUT.join(pieces))
    out = tuple(joined.split(_CUT))
    return out[0] if len(pieces) == 1 else out


def chat_text(answer) -> str:
    """The answer as the chat shows it, whole: it is sent the moment it is ready (an
    extractive answer is never typed out, which only kept a worker busy)."""
    parts = []
    shown = answer.text
    if answer.rewritten_question:
        parts.append(f"*按上下文理解为：{md_escape(answer.rewritten_question)}*")
    if answer.answer_state == "related" and shown.startswith(RELATED_HEAD):
        parts.append("> ⚠️ **规划中未找到直接回答**，以下原文可能相关（仅供参考，不是回答）：")
        shown = shown[len(RELATED_HEAD):].lstrip()
    parts.append(md_escape(cjk_tidy(shown)))
    if answer.note:
        parts.append(f"> 说明：{md_escape(answer.note)}")
    return "\n\n".join(parts)


CLAUSE_ENDS = "。！？；，：!?;,:"  # where a context cut may fall: never inside a word


def excerpt_html(text: str, start: int, end: int, quote: str) -> str:
    """The quote marked inside its paragraph, with up to CONTEXT_CHARS characters around it,
    cut at a sentence or clause boundary (not mid-word: “…数据中心示”), marked “…”; a cut that
    finds no boundary in the window falls where the window ends."""
    if not (0 <= start < end <= len(text)):
        return f"<mark>{esc(cjk_tidy(quote))}</mark>"
    before = text[max(0, start - CONTEXT_CHARS):start]
    after = text[end:end + CONTEXT_CHARS]
    cut_before = "\n" not in before and start - CONTEXT_CHARS > 0
    cut_after = "\n" not in after and end + CONTEXT_CHARS < len(text)
    before = before[before.rfind("\n") + 1:]
    after = after.split("\n", 1)[0]
    if cut_before and any(c in before for c in CLAUSE_ENDS):  # still “…”: the paragraph goes on before it
        before = before[min(i for i in (before.find(c) for c in CLAUSE_ENDS) if i >= 0) + 1:]
    if cut_after and any(c in after for c in CLAUSE_ENDS):
        after = after[:max(after.rfind(c) for c in CLAUSE_ENDS) + 1]
    before, quoted, after = cjk_tidy(before, text[start:end], after)
    return ("…" if cut_before else "") + esc(before) + f"<mark>{esc(quoted)}</mark>" + \
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
    elif answer.intent == "help":
        parts.append('<div class="notice notice-info"><b>使用说明</b>：这是助手的介绍，不是规划内容的回答。'
                     '直接输入关于规划的问题即可，例如左侧列出的示例问题。</div>')
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
    headers, row_tables = _headers_by_table(answer.sources), _row_tables(answer.sources)
    for i, s in enumerate(answer.sources):
        if s.table_header and (s.doc, s.section) in row_tables:
            continue  # shown inside its rows' cards, as their citation
        doc = documents.get(s.doc)
        context = excerpt_html(doc.text, s.start, s.end, s.quote) if doc else f"<mark>{esc(s.quote)}</mark>"
        plan = f'<div class="source-plan">规划：《{esc(s.title)}》</div>' if many else \
            f'<div class="source-title">《{esc(s.title)}》</div>'
        header = "" if s.table_header else "".join(
            f'<div class="source-header"><span class="source-marker">[{h + 1}]</span>表头：'
            f"{esc(answer.sources[h].quote)}</div>" for h in headers.get((s.doc, s.section), ()))  # spaces part cells
        cards.append(
            f'<div class="source-card" data-index="{i}">'
            f'<div class="source-head"><span class="source-marker">[{i + 1}]</span>'
            f'<span class="source-section">{esc(s.section)}</span></div>'
            f'{plan}<p class="source-context">{context}</p>{header}'
            f'<div class="source-actions"><a href="#" data-source="{i}" class="open-source">在原文中查看</a></div>'
            "</div>")
    if cards:
        heading = "可能相关的原文" if state == "related" else "出处"
        kind = "sources-related" if state == "related" else "sources-answered"
        # the count is the answer's markers ([1]…[n]); a table header cites inside its rows' cards
        parts.append(f'<div class="{kind}"><div class="sources-title"><b>{heading}（{len(answer.sources)}）</b></div>'
                     f'{"".join(cards)}</div>')
    parts.append(tech_details_html(answer, model_id))
    return "".join(parts)


def _headers_by_table(sources) -> dict[tuple[str, str], list[int]]:
    """(plan, table section) -> the positions of that table's header sources."""
    out: dict[tuple[str, str], list[int]] = {}
    for i, s in enumerate(sources):
        if s.table_header:
            out.setdefault((s.doc, s.section), []).append(i)
    return out


def _row_tables(sources) -> set[tuple[str, str]]:
    """The tables some non-header source quotes a row of: their headers need no card of their own."""
    return {(s.doc, s.section) for s in sources if not s.table_header}


def tech_details_html(answer, model_id: str = "") -> str:
    """Confidence, model and retrieval ranks, folded away: for staff checking an answer."""
    state = "使用说明（不是规划内容的回答）" if answer.intent == "help" else \
        STATE_NAMES.get(answer.answer_state, answer.answer_state)
    rows = [f"<li>回答状态：{esc(state)}</li>"]
    if answer.confidence is not None:
        rows.append(f"<li>置信度 {answer.answer_confidence:.0%}：按评测集校准的估计，"
                    "表示检索到的原文确实能回答该问题的把握</li>")
    else:
        rows.append("<li>置信度：不适用（按规划结构直接列出的内容，如章节或指标清单）</li>")
    rows.append(f"<li>回答方式：{esc(ANSWER_MODES.get(answer.mode, answer.mode))}</li>")
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



FOLLOW_UP = re.compile(r"^(那|那么|还有|另外|其他|其它)|呢[？?]?$")


def standalone(question: str) -> bool:
    """A question that makes sense on an empty chat (not “那建筑呢？”)."""
    return len(question.strip()) >= 6 and not FOLLOW_UP.search(question.strip())



def empty_sources_html(message: str = "提问后，这里列出回答所依据的规划原文（出处）。") -> str:
    return f'<div class="notice notice-info">{esc(message)}</div>'



class CheckedMessages(ChatbotDataMessages):
    """The chat history as a request sends it, checked as Gradio checks it, but a malformed
    one (an API client's bad messages) is refused in one log line and one Chinese message,
    not a traceback of one paragraph per message (a thousand bad messages: 6,000 lines)."""

    @classmethod
    def model_validate(cls, obj, *args, **kwargs):
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            first = exc.errors()[0]
            log.warning("refused a request with malformed chat messages: %d errors, the first at %s: %s",
                        exc.error_count(), ".".join(map(str, first["loc"])), first["msg"])
            raise gr.Error("对话记录格式不正确：每条消息须有 role（user 或 assistant）与 content。请清空对话后重试。",
                           print_exception=False) from None


# ---- handlers ----------------------------------------------------------------------------
class ChatHandlers:
    """问答 handlers (mixed into ui.handlers.App)."""

    def respond(self, message, chat, turns, plans=None):
        chat, turns = list(chat or []), list(turns or [])[-TURNS_KEPT:]
        question = message if isinstance(message, str) else ""
        try:
            self.assistant.validate(question)
        except InvalidQuestion as exc:  # refused: its own notice, the chat untouched, the question kept
            yield with_votes(chat, turns), turns, input_notice_html(user_message(exc)), gr.skip(), question
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
        yield with_votes(chat, turns), turns, empty_sources_html("正在检索…"), [], ""

        while not self.startup.wait(0.5):
            chat[-1] = {"role": "assistant",
                        "content": f"⏳ 索引准备中（{int(self.startup.fraction * 100)}%）：{self.startup.message}。"
                                   "完成后自动回答。"}
            yield with_votes(chat, turns), turns, gr.skip(), gr.skip(), gr.skip()

        history = [(t["question"], t["answer"]["answer"]) for t in turns][-HISTORY_TURNS:]
        try:
            live = self.assistant.live  # the answer and the texts it is shown in come from one build
            documents = live.documents
            answer = self.assistant.ask(question, history, live=live, docs=self.chosen_plans(plans, documents))
        except Exception as exc:  # noqa: BLE001 - turned into a message in the chat
            chat[-1] = {"role": "assistant", "content": "⚠️ " + md_escape(user_message(exc))}
            yield with_votes(chat, turns), turns, empty_sources_html(), [], ""
            return

        chat[-1] = {"role": "assistant", "content": chat_text(answer)}
        data = answer.to_json()
        panel = sources_html(answer, documents, live.manifest.model_id)
        turns.append({"index": len(chat) - 1, "question": question.strip(), "answer": data, "panel": panel})
        turns = turns[-TURNS_KEPT:]
        yield with_votes(chat, turns), turns, panel, data["sources"], ""

    @staticmethod
    def chosen_plans(plans, documents) -> list[str] | None:
        """The plan filter as `docs=`: None when it holds all plans (or none), so a question
        that names a plan still chooses it."""
        chosen = [d for d in (plans or []) if d in documents]
        return chosen if chosen and set(chosen) != set(documents) else None

    @staticmethod
    def clear():
        return [], [], empty_sources_html(), [], ""

    @staticmethod
    def show_turn_sources(turns, evt: gr.SelectData):
        """An earlier answer, clicked in the conversation: its own sources come back to the panel
        (and 在原文中查看 opens them)."""
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        turn = next((t for t in turns or [] if t["index"] == index and t.get("panel")), None)
        if turn is None:
            return gr.skip(), gr.skip()
        note = (f'<div class="notice notice-info turn-note">以下是第 {_ordinal(turns, turn)} 问'
                f"“{esc(turn['question'][:40])}”的出处。</div>")
        return note + turn["panel"], turn["answer"]["sources"]

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



def with_votes(chat: list, turns: list):
    """The chat as sent after a question, with each answer's 赞/踩 still highlighted once a vote
    has been given: the chat is sent whole, and without the votes the browser would show them
    as never given (a click on one would then record a second vote instead of taking the first
    back). With no vote, as for every `/ask` API call, the plain chat."""
    votes = {t["index"]: t.get("vote") for t in turns or []}
    if not any(votes.values()):
        return chat
    return gr.update(value=chat, feedback_value=[votes.get(i) for i, m in enumerate(chat)
                                                 if isinstance(m, dict) and m.get("role") == "assistant"])


def _ordinal(turns, turn) -> int:
    return next(n for n, t in enumerate(turns, start=1) if t is turn)


# ---- layout ------------------------------------------------------------------------------
def build_tab(app) -> SimpleNamespace:
    """The 问答 tab (inside the caller's gr.Tabs) and its own events; ui.layout wires the ones
    that reach other tabs. On a phone the columns stack as chat, sources, input, examples
    (ui.styles: the left column's children and the sources column are ordered in one flow)."""
    with gr.Tab("问答", id="chat"):
        turns = gr.State([])  # inside the tab: a State among gr.Tabs' children would count as a tab
        source_list = gr.State([])
        with gr.Row(elem_id="chat-row"):
            with gr.Column(scale=3, elem_id="chat-main"):
                plan_filter = gr.Dropdown([], value=[], multiselect=True, label="限定规划",
                                          info="默认全部规划；可只保留其中几份", elem_id="plan-filter",
                                          interactive=True)
                chatbot = gr.Chatbot(label="对话", height=460, elem_id="chatbot", buttons=["copy"],
                                     feedback_options=("Like", "Dislike"),
                                     placeholder="请输入关于规划的问题，或点击下方的示例问题。")
                chatbot.data_model = CheckedMessages
                with gr.Row(elem_id="ask-row"):
                    question = gr.Textbox(label="问题", show_label=False, scale=5, lines=1, max_lines=6,
                                          placeholder="输入问题，例如：大宗固废综合利用率到2025年要达到多少？",
                                          elem_id="question", submit_btn=False)
                    send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="send")
                    clear = gr.Button("清空对话", scale=1, min_width=80, elem_id="clear")
                gr.Markdown("**示例问题**（点击即问）：", elem_id="examples-title")
                with gr.Row(elem_id="examples-row"):
                    example_buttons = [gr.Button("", size="sm", visible=False, elem_classes=["example-q"])
                                       for _ in range(EXAMPLE_SLOTS)]
            with gr.Column(scale=2, elem_id="sources-col"):
                sources = gr.HTML(empty_sources_html(), elem_id="sources", js_on_load=SOURCES_JS,
                                  max_height=640)
        with gr.Accordion("使用说明", open=False, elem_id="usage-panel"):
            gr.Markdown(USAGE)
        panels = feedback.build_panels(app, turns)
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
    chatbot.like(app.on_like, inputs=[turns], outputs=[panels.feedback_status, turns], api_visibility="private")
    chatbot.select(app.show_turn_sources, inputs=[turns], outputs=[sources, source_list], api_visibility="private",
                   queue=False)
    return SimpleNamespace(turns=turns, source_list=source_list, plan_filter=plan_filter, chatbot=chatbot,
        question=question, send=send, clear=clear, sources=sources, feedback_status=panels.feedback_status,
        export=panels.export, export_file=panels.export_file, example_buttons=example_buttons)
