"""llm: the optional LLM answer mode, on top of the extractive answer.

The extractive pipeline finds the evidence; a chat model behind any OpenAI-compatible
endpoint (Ollama, vLLM, llama.cpp server, a hosted API) only rephrases it. The model is
never asked without evidence, and its reply is shown only if it passes the checks: at least
one marker, every marker [n] one of the sources it was given, and then each sentence on its
own (`support.SupportChecker`): it cites a source (unless it is framing with no content,
“根据规划原文：”), every quantity in it, however written (40%、百分之四十、四成、一半), is
stated by the quotes it cites, and a fitted model finds it supported by those quotes. So
a reply that follows an instruction injected into the question or the quotes fails on its
own words, whatever the prompt said. When some sentences fail and the rest still cites
and answers (its first sentence with content passed), the failed ones are dropped and the
note says so; otherwise, and on a timeout, a refused connection or an HTTP error, the
extractive answer comes back with a short Chinese note saying why (`Answer.note`) and the
reason as a code (`Answer.fallback_reason`).

    llm = LLMAnswerer(settings)          # cheap: nothing is loaded or contacted yet
    answer = llm.answer(extractive)      # an Answer, mode "llm" or "extractive"

Streaming for a UI: `llm.stream(extractive)` returns an `AnswerStream`; iterate it for
text pieces as they arrive, then read `.answer` for the verified result (or write
`final = yield from llm.stream(extractive)` inside a generator). The pieces arrive before
the check, so once the loop ends the UI replaces what it showed with `.answer.text` (and
shows `.answer.note`): the extractive text when `.answer.mode` is "extractive", the reply
with its markers normalised ([1,2] -> [1][2]) when it is "llm".

Prompts are Markdown files in `settings.prompts_dir` (see prompts/README.md). A prompt
file that lacks one of its variables fails loudly with `PromptError` on first use.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from pathlib import Path

import openai

from .answer import NOT_FOUND
from .errors import ConfigError
from .numbers import unsupported_quantities
from .support import BAD_MARKER, FRAMING, NUMBER, UNCITED, UNSUPPORTED, Judgement, SupportChecker
from .text import numbers_in
from .types import Answer, Source

log = logging.getLogger(__name__)


def _http_libraries() -> tuple:
    """openai 3 talks through httpx2, openai 1-2 through httpx: catch whichever is raised
    (openai wraps most of them in its own errors, not all when a stream breaks)."""
    found = []
    for name in ("httpx", "httpx2"):
        try:
            found.append(importlib.import_module(name))
        except ImportError:
            pass
    return tuple(found)


_HTTP = _http_libraries()
TIMEOUT_ERRORS = (openai.APITimeoutError, *(m.TimeoutException for m in _HTTP))
CONNECTION_ERRORS = (openai.APIConnectionError, *(m.TransportError for m in _HTTP))
SERVICE_ERRORS = (openai.OpenAIError, *(m.HTTPError for m in _HTTP))  # whatever else the client raises
# A reply the client libraries cannot parse (not JSON, not UTF-8, fields of the wrong type):
# what openai / langchain-openai raise for it while reading the stream.
MALFORMED_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError)

ANSWER_PROMPT = "answer.zh.md"
REWRITE_PROMPT = "rewrite.zh.md"
ANSWER_VARIABLES = ("question", "sources")
REWRITE_VARIABLES = ("question", "history")
NOT_FOUND_PREFIX = "规划中未找到"
HISTORY_TURNS = 3
HISTORY_ANSWER_CHARS = 300

FALLBACK = "已改用原文摘录回答。"
TIMEOUT_NOTE = "模型服务超时，" + FALLBACK
CONNECTION_NOTE = "无法连接模型服务，" + FALLBACK
STATUS_NOTE = "模型服务返回错误，" + FALLBACK
SERVICE_NOTE = "模型服务出错，" + FALLBACK
EMPTY_NOTE = "模型没有给出回答，" + FALLBACK
MALFORMED_NOTE = "模型服务返回的内容格式无法识别，" + FALLBACK
NO_MARKER_NOTE = "模型回答没有标注出处，" + FALLBACK
BAD_MARKER_NOTE = "模型回答引用了未提供的出处 {markers}，" + FALLBACK
NUMBER_NOTE = "模型回答中有所引原文里没有的数字，" + FALLBACK  # no digits in a note
UNSUPPORTED_NOTE = "模型回答中有内容在所引原文中找不到依据，" + FALLBACK
UNCITED_NOTE = "模型回答中有句子没有标注出处，" + FALLBACK
DROPPED_NOTE = "已删去模型回答中{why}的句子；其余内容已与所引原文核对。"
DROP_WHY = {NUMBER: "数字与所引原文不符", UNSUPPORTED: "在所引原文中找不到依据", UNCITED: "没有标注出处"}
FAILURE_ORDER = (NUMBER, UNSUPPORTED, UNCITED)  # the most telling first
SENTENCE_NOTES = {NUMBER: NUMBER_NOTE, UNSUPPORTED: UNSUPPORTED_NOTE, UNCITED: UNCITED_NOTE}
# Answer.fallback_reason codes
EMPTY, NO_MARKER = "empty", "no_marker"
TIMEOUT, CONNECTION, STATUS, SERVICE, MALFORMED = "timeout", "connection", "status", "service", "malformed"

_ROLE_HEADING = re.compile(r"^#{1,3}\s*(system|user|human)\s*$", re.IGNORECASE | re.MULTILINE)
# [1] as the answer shows it; also [1,2], [1、2], 【1】, ［1］ as models sometimes write it
_MARKER_GROUP = re.compile(r"[\[［【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]］】]")
_MARKER = re.compile(r"\[(\d+)\]")
_FENCE = re.compile(r"[<＜]\s*(/?)\s*(sources|question|history)\s*[>＞]", re.IGNORECASE)
_THINK = re.compile(r"^\s*<think>.*?(</think>|$)", re.DOTALL)
_LEAD = " \t\r\n*#>"  # Markdown emphasis or heading before 规划中未找到


class PromptError(ConfigError):
    """A prompt file is missing, unreadable, or lacks (or adds) a template variable."""


# ---- prompts -------------------------------------------------------------------------------

def load_prompt(path: Path, required: Sequence[str]):
    """A ChatPromptTemplate from a Markdown prompt file.

    The file holds a `# system` section and a `# user` section (headings on a line of their
    own, one to three #); text before the first of them documents the prompt and is not sent.
    Variables are written {name}; a literal brace is written twice. Raises PromptError,
    naming the file and the variable, when a required variable is missing or an unknown one
    is present (it would fail only when the first question is asked)."""
    from langchain_core.prompts import ChatPromptTemplate

    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError(f"无法读取提示词文件 {path}：{exc.strerror or exc}") from exc
    parts = _ROLE_HEADING.split(content)
    messages = [("human" if role.lower() in ("user", "human") else "system", body.strip())
                for role, body in zip(parts[1::2], parts[2::2], strict=True) if body.strip()]
    if not any(role == "human" for role, _ in messages):
        raise PromptError(f"提示词文件 {path} 缺少“# user”一节（用户消息模板）。")
    try:
        template = ChatPromptTemplate.from_messages(messages)
    except (ValueError, KeyError) as exc:  # an unbalanced brace
        raise PromptError(f"提示词文件 {path} 的模板格式有误：{exc}（字面的花括号要写成两个）") from exc
    found = set(template.input_variables)
    missing = [v for v in required if v not in found]
    if missing:
        names = "、".join(f"{{{v}}}" for v in missing)
        raise PromptError(f"提示词文件 {path} 缺少模板变量 {names}。")
    unknown = sorted(found - set(required))
    if unknown:
        names = "、".join(f"{{{v}}}" for v in unknown)
        raise PromptError(f"提示词文件 {path} 含有未知的模板变量 {names}；"
                          f"可用的变量：{'、'.join(f'{{{v}}}' for v in required)}。")
    return template


def format_sources(sources: Sequence[Source]) -> str:
    """[1] section + quote, in the order of the answer's sources (its markers' numbering)."""
    blocks = []
    for i, s in enumerate(sources, start=1):
        where = s.section or s.title
        blocks.append(f"[{i}] 出处：{_fence(where)}\n原文：{_fence(s.quote)}")
    return "\n\n".join(blocks)


def format_history(history: Sequence[tuple[str, str]]) -> str:
    turns = []
    for question, answer in list(history)[-HISTORY_TURNS:]:
        answer = answer if len(answer) <= HISTORY_ANSWER_CHARS else answer[:HISTORY_ANSWER_CHARS] + "…"
        turns.append(f"用户：{_fence(question)}\n助手：{_fence(answer)}")
    return "\n\n".join(turns)


def _fence(text: str) -> str:
    """Data may not open or close the tags the prompt puts around it (nor look as if it
    did: < /sources >, ＜sources＞)."""
    return _FENCE.sub(lambda m: f"〈{m.group(1)}{m.group(2)}〉", text)


# ---- checking a reply --------------------------------------------------------------------

def normalise_markers(text: str) -> str:
    """[1,2] / [1、2] / 【1】 / ［1］ become [1][2] / [1]: the one form the UI and checks know."""
    return _MARKER_GROUP.sub(lambda m: "".join(f"[{n}]" for n in re.findall(r"\d+", m.group(1))), text)


def strip_thinking(text: str) -> str:
    """A reasoning model's leading <think>…</think> block is not part of the answer."""
    return _THINK.sub("", text, count=1).strip()


def check_reply(reply: str, sources: Sequence[Source]) -> str:
    """Why the reply as a whole cannot be shown ("" when it can, as far as this goes): empty,
    no marker, a marker outside 1..len(sources), or a quantity no cited quote states (by
    value: 百分之四十 is 40%). The sentence by sentence check is `SupportChecker.judge`."""
    note, _ = _check_markers(reply, sources)
    if note:
        return note
    quotes = [sources[n - 1].quote for n in sorted({int(n) for n in _MARKER.findall(reply)})]
    return NUMBER_NOTE if unsupported_quantities(reply, quotes) else ""


def _check_markers(reply: str, sources: Sequence[Source]) -> tuple[str, str]:
    """(note, reason) for a reply that is empty, cites nothing, or cites a source it was
    not given; ("", "") otherwise."""
    if not reply.strip():
        return EMPTY_NOTE, EMPTY
    cited = [int(n) for n in _MARKER.findall(reply)]
    if not cited:
        return NO_MARKER_NOTE, NO_MARKER
    invalid = sorted({n for n in cited if not 1 <= n <= len(sources)})
    if invalid:
        return BAD_MARKER_NOTE.format(markers="".join(f"[{n}]" for n in invalid)), BAD_MARKER
    return "", ""


def trim(reply: str, judgements: Sequence[Judgement]) -> str | None:
    """The reply without its failed sentences, if what is left still cites and answers: its
    first sentence with content passed, and a cited one is kept. None otherwise."""
    content = [j for j in judgements if j.reason != FRAMING]
    if not content or not content[0].ok:
        return None
    text = reply
    for j in sorted((j for j in judgements if not j.ok), key=lambda j: -j.sentence.start):
        text = text[:j.sentence.start] + text[j.sentence.end:]
    text = re.sub(r"[ \t]+\n", "\n", re.sub(r"\n{3,}", "\n\n", text)).strip()
    return text if _MARKER.search(text) else None


def _dropped_note(reasons: Sequence[str]) -> str:
    return DROPPED_NOTE.format(why="或".join(DROP_WHY[r] for r in FAILURE_ORDER if r in reasons))


def is_abstention(reply: str) -> bool:
    return reply.lstrip(_LEAD).startswith(NOT_FOUND_PREFIX)


# ---- the answerer --------------------------------------------------------------------------

class AnswerStream:
    """Text pieces of the model's reply as they arrive; after the loop, `.answer` holds the
    verified Answer (None before). `yield from` on it also returns that Answer."""

    def __init__(self, pieces: Iterator[str]):
        self._pieces = pieces
        self.answer: Answer | None = None

    def __iter__(self):
        if self.answer is None:
            self.answer = yield from self._pieces
        return self.answer

    def result(self) -> Answer:
        """Consume what is left and return the verified Answer."""
        for _ in self:
            pass
        return self.answer


class LLMAnswerer:
    def __init__(self, settings, make_checker: Callable[[], SupportChecker] | None = None):
        """`make_checker` builds the sentence checker on first use (the facade passes one
        with its segmenter and its index's embedder); by default one is made from settings."""
        self.settings = settings
        self._lock = threading.Lock()
        self._answer_chain = None
        self._rewrite_chain = None
        self._make_checker = make_checker or (lambda: default_checker(settings))

    @cached_property
    def checker(self) -> SupportChecker:
        return self._make_checker()

    # the chains are built on first use: constructing an LLMAnswerer costs nothing
    def _model(self):
        from langchain_openai import ChatOpenAI

        s = self.settings
        return ChatOpenAI(base_url=s.llm_base_url, model=s.llm_model,
                          api_key=os.environ.get(s.llm_api_key_env) or "not-needed",
                          timeout=s.llm_timeout, temperature=s.llm_temperature, max_retries=0)

    def _chain(self, which: str):
        from langchain_core.output_parsers import StrOutputParser

        attr = f"_{which}_chain"
        with self._lock:
            if getattr(self, attr) is None:
                name, variables = ((ANSWER_PROMPT, ANSWER_VARIABLES) if which == "answer"
                                   else (REWRITE_PROMPT, REWRITE_VARIABLES))
                prompt = load_prompt(Path(self.settings.prompts_dir) / name, variables)
                setattr(self, attr, prompt | self._model() | StrOutputParser())
            return getattr(self, attr)

    def check_prompts(self) -> None:
        """Load both prompt files now (an entry point may call it at start-up): PromptError
        if either is broken."""
        self._chain("answer")
        self._chain("rewrite")

    def answer(self, extractive: Answer) -> Answer:
        """The model's answer if it passes every check, else the extractive one with a note.
        Returned unchanged when there is no evidence or LLM mode is not configured."""
        return self.stream(extractive).result()

    def stream(self, extractive: Answer) -> AnswerStream:
        return AnswerStream(self._generate(extractive))

    def _generate(self, extractive: Answer):
        if not (extractive.found and extractive.sources and self.settings.llm_enabled):
            return extractive
        chain = self._chain("answer")  # a broken prompt file raises PromptError here
        inputs = {"question": _fence(extractive.rewritten_question or extractive.question),
                  "sources": format_sources(extractive.sources)}
        shown: list[str] = []
        hide = _ThinkFilter()
        try:
            for chunk in chain.stream(inputs):
                piece = hide.feed(chunk)
                if piece:
                    shown.append(piece)
                    yield piece
            piece = hide.flush()
            if piece:
                shown.append(piece)
                yield piece
        except TIMEOUT_ERRORS as exc:
            return self._fallback(extractive, TIMEOUT_NOTE, exc, TIMEOUT)
        except CONNECTION_ERRORS as exc:
            return self._fallback(extractive, CONNECTION_NOTE, exc, CONNECTION)
        except openai.APIStatusError as exc:
            return self._fallback(extractive, STATUS_NOTE, exc, STATUS)
        except SERVICE_ERRORS as exc:
            return self._fallback(extractive, SERVICE_NOTE, exc, SERVICE)
        except MALFORMED_ERRORS as exc:
            return self._fallback(extractive, MALFORMED_NOTE, exc, MALFORMED)
        return self.verify(extractive, "".join(shown))

    def verify(self, extractive: Answer, reply: str) -> Answer:
        """The Answer a finished reply gives (see the module docstring)."""
        reply = normalise_markers(strip_thinking(reply))
        if is_abstention(reply):
            text = _MARKER.sub("", reply).strip()
            if numbers_in(text):  # a number with no quote beside it may not be shown
                text = NOT_FOUND
            return dataclasses.replace(extractive, found=False, text=text, sources=(), mode="llm")
        note, reason = _check_markers(reply, extractive.sources)
        if note:
            return self._fallback(extractive, note, reason=reason)
        judgements = self.checker.judge(reply, [s.quote for s in extractive.sources], _known(extractive))
        failed = [j.reason for j in judgements if not j.ok]
        if not failed:
            return dataclasses.replace(extractive, text=reply, mode="llm", sources=extractive.sources)
        kept = trim(reply, judgements)
        first = next((r for r in FAILURE_ORDER if r in failed), UNSUPPORTED)
        if kept is None:
            return self._fallback(extractive, SENTENCE_NOTES[first], reason=first)
        log.info("LLM answer trimmed: %d sentence(s) dropped (%s)", len(failed), ", ".join(failed))
        note = _dropped_note(failed)
        return dataclasses.replace(extractive, text=kept, mode="llm", sources=extractive.sources,
                                   note=f"{extractive.note}\n{note}" if extractive.note else note,
                                   dropped=tuple(failed))

    def _fallback(self, extractive: Answer, note: str, exc: BaseException | None = None,
                  reason: str = "") -> Answer:
        detail = ""
        if exc is not None:
            status = getattr(exc, "status_code", None)
            detail = f" ({type(exc).__name__}{f', HTTP {status}' if status else ''}: {self._redact(str(exc))[:200]})"
        log.warning("LLM answer not used, extractive answer kept: %s%s", note, detail)
        note = f"{extractive.note}\n{note}" if extractive.note else note
        return dataclasses.replace(extractive, mode="extractive", note=note, fallback_reason=reason)

    def _redact(self, text: str) -> str:
        key = os.environ.get(self.settings.llm_api_key_env)
        return text.replace(key, "***") if key else text

    # ---- follow-up questions ---------------------------------------------------------------
    def rewrite_follow_up(self, question: str, history: Sequence[tuple[str, str]]) -> str | None:
        """A follow-up (“那建筑呢？”) rewritten by the model into a question that stands alone.
        None when there is no history, the model keeps the question as it is, or anything
        goes wrong (the caller then uses its own rule-based rewrite or the question)."""
        if not history or not self.settings.llm_enabled:
            return None
        try:
            reply = self._chain("rewrite").invoke(
                {"question": _fence(question), "history": format_history(history)})
        except PromptError as exc:
            log.warning("follow-up rewrite skipped: %s", exc)
            return None
        except (*SERVICE_ERRORS, *MALFORMED_ERRORS) as exc:
            log.warning("follow-up rewrite failed (%s: %s)", type(exc).__name__, self._redact(str(exc))[:200])
            return None
        lines = [ln.strip() for ln in strip_thinking(reply).splitlines() if ln.strip()]
        rewritten = lines[0].strip("“”\"'「」 ") if lines else ""
        rewritten = re.sub(r"^(改写后的问题|改写|问题)[:：]\s*", "", rewritten)
        if not rewritten or rewritten == question.strip() or len(rewritten) > self.settings.max_question_chars:
            return None
        return rewritten


def _known(extractive: Answer) -> str:
    """What the reader was told besides the quotes: the question and the plans' titles."""
    titles = dict.fromkeys(s.title for s in extractive.sources)
    return " ".join([extractive.rewritten_question or extractive.question, *titles])


def default_checker(settings) -> SupportChecker:
    from .embed import make_embeddings, uncached
    from .segment import make_segmenter

    return SupportChecker(make_segmenter(settings), uncached(make_embeddings(settings)))


class _ThinkFilter:
    """Holds back a leading <think>…</think> block while streaming (reasoning models such
    as those Ollama serves put it in the content); everything else passes at once."""

    OPEN, CLOSE = "<think>", "</think>"

    def __init__(self):
        self.state = "start"  # start | thinking | after | open
        self.buffer = ""

    def feed(self, piece: str) -> str:
        if self.state == "open":
            return piece
        if self.state == "after":  # the blank lines between </think> and the answer
            piece = piece.lstrip()
            if piece:
                self.state = "open"
            return piece
        self.buffer += piece
        if self.state == "start":
            head = self.buffer.lstrip()
            if head.startswith(self.OPEN):
                self.state = "thinking"
            elif self.OPEN.startswith(head):
                return ""  # not decided yet
            else:
                self.state, out, self.buffer = "open", self.buffer, ""
                return out
        end = self.buffer.find(self.CLOSE)
        if end < 0:
            return ""
        rest, self.buffer, self.state = self.buffer[end + len(self.CLOSE):], "", "after"
        return self.feed(rest)

    def flush(self) -> str:
        out = self.buffer if self.state == "start" else ""
        self.buffer = ""
        return out
