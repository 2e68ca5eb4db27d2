"""Feedback and export in the 问答 tab: 赞/踩 on each answer, the 踩 exported as eval items, and
the conversation exported as a document (handlers mixed into ui.handlers.App, panels built by
ui.chat's tab)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import gradio as gr

from assistant import feedback as feedback_store
from assistant import transcript
from assistant.errors import AssistantError
from assistant.types import Exchange
from ui.common import esc, fail, log, md_escape


class FeedbackHandlers:
    def on_like(self, turns, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = next((t for t in turns or [] if t["index"] == index), None)
        if turn is None:
            return "这条消息不是助手的回答，未记录反馈。", gr.skip()
        if data.liked is True or data.liked == "Like":
            vote = "up"
        elif data.liked is False or data.liked == "Dislike":
            vote = "down"
        else:
            vote = "none"  # the highlighted button clicked again: the vote is taken back
        try:
            feedback_store.record(self.feedback_dir, turn["question"], turn["answer"], vote)
        except OSError as exc:
            log.error("cannot write feedback", exc_info=exc)
            return f"无法写入反馈文件（{esc(self.feedback_dir)}），请检查目录权限。", gr.skip()
        turn["vote"] = {"up": "Like", "down": "Dislike"}.get(vote)  # shown again when the chat is next sent
        question = md_escape(turn["question"][:60])
        if vote == "none":
            message = f"已取消对“{question}”的评价。"
        elif vote == "down" and turn["answer"].get("state", "answered") != "answered":
            message = (f"已记录“踩”：“{question}”。这是一个“未找到”的回答，导出时会作为待补充答案的评测题，"
                       "请核对规划是否写了。")
        else:
            message = f"已记录“{'赞' if vote == 'up' else '踩'}”：“{question}”（改投时以最后一次为准；再点一次同一按钮即取消）。"
        gr.Info(message, title="反馈")
        return message, turns

    def export_feedback(self, request: gr.Request = None):
        try:
            self.require_access(request, "导出反馈")
            out = self._out_path("feedback_downvotes_eval.jsonl")
            count = feedback_store.export_downvotes(self.feedback_dir, out)
        except (AssistantError, OSError) as exc:
            raise fail(exc) from None
        if not count:
            return "还没有“踩”的反馈可以导出。", gr.File(value=None, visible=False)
        return (f"已导出 {count} 条“踩”的反馈为评测题（每题的期望要点和原文依据待人工补充，见文件中各条的说明）。",
                gr.File(value=str(out), visible=True))


    def export_conversation(self, turns, kind: str):
        """The conversation so far (each answer with its quotes, sections and plan titles) as a
        Markdown or Word file to download."""
        exchanges = [Exchange.from_json(t["question"], t["answer"]) for t in turns or [] if t.get("question")]
        if not exchanges:
            return "还没有可以导出的问答：先提问，再导出。", gr.File(value=None, visible=False)
        stamp = datetime.now()
        name = f"规划问答记录-{stamp:%Y%m%d-%H%M}"
        try:
            if kind == "docx":
                out = transcript.write_docx(exchanges, self._out_path(f"{name}.docx"), f"{stamp:%Y-%m-%d %H:%M}")
            else:
                out = self._out_path(f"{name}.md")
                out.write_text(transcript.to_markdown(exchanges, f"{stamp:%Y-%m-%d %H:%M}"), encoding="utf-8")
        except OSError as exc:
            raise fail(exc) from None
        label = "DOCX 文档" if kind == "docx" else "MD 文本"
        return f"已导出 {len(exchanges)} 问（{label}），含每个回答的出处原文、章节与规划名称。", gr.File(value=str(out), visible=True)


def build_panels(app, turns) -> SimpleNamespace:
    """The 导出对话 and 反馈 panels (accordions under the chat) and their own events."""
    with gr.Accordion("导出对话：MD 文本或 DOCX 文档，含出处原文", open=False, elem_id="transcript-panel"):
        with gr.Row():
            export_md = gr.Button("导出为 MD 文本", size="sm", elem_id="export-md")
            export_docx = gr.Button("导出为 DOCX 文档", size="sm", elem_id="export-docx")
        transcript_status = gr.Markdown("", elem_id="transcript-status")
        transcript_file = gr.File(label="导出的对话", visible=False, elem_id="transcript-file")
    with gr.Accordion("反馈：在每个回答下方点赞或点踩；导出点踩的问题", open=False, elem_id="feedback-panel"):
        feedback_status = gr.Markdown("对回答点赞或点踩（每个回答下方的按钮，再点一次即取消），反馈保存在本机的反馈记录中；"
                                      "点踩的问题可以导出为评测题。")
        export = gr.Button("导出“踩”的反馈为评测题（JSONL）", elem_id="export-feedback")
        export_file = gr.File(label="导出的文件", visible=False, elem_id="export-file")
    export.click(app.export_feedback, outputs=[feedback_status, export_file], api_visibility="private")
    for button, kind in ((export_md, "md"), (export_docx, "docx")):
        button.click(lambda t, k=kind: app.export_conversation(t, k), inputs=[turns],
                     outputs=[transcript_status, transcript_file], api_visibility="private")
    return SimpleNamespace(feedback_status=feedback_status, export=export, export_file=export_file,
                           transcript_status=transcript_status, transcript_file=transcript_file)
