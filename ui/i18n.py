"""The page in Chinese whatever the browser's language.

Gradio picks its UI language from `navigator.language`; a small script placed first in the
page's <head> (by `ForceChinese`, an ASGI middleware) makes that zh-CN before gradio starts.
`I18N` adds the strings gradio's own zh-CN table lacks. A few labels are hard-coded in English
inside gradio's components (no translation key, no option): the same script rewrites those
attributes and texts as they appear (`FIXED`)."""

from __future__ import annotations

import json

import gradio as gr

LOCALE = "zh-CN"

# keys gradio's frontend looks up that its zh-CN table does not have (it would show English or the key)
I18N = gr.I18n(**{LOCALE: {
    "common": {"complete": "完成"},
    "chatbot": {"complete": "完成", "copy_message": "复制消息", "copied_message": "已复制"},
}})

# English that gradio writes without a translation key: exact strings, and prefixes
FIXED = {
    "Click to upload or drop files": "点击上传或拖放文件",
    "Copy table data": "复制表格数据",
    "Copied to clipboard": "已复制到剪贴板",
    "Copy message": "复制消息",
    "Copied message": "已复制",
    "Copy": "复制",
    "Copied": "已复制",
    "Empty value": "空",
    "No value": "无",
    "Fullscreen": "全屏",
    "Exit fullscreen": "退出全屏",
    "Exit full screen": "退出全屏",
    "Table actions": "表格操作",
    "Gradio footer navigation": "页脚导航",
    "chatbot conversation": "对话记录",
    "Scroll down": "滚动到底部",
    "Download": "下载",
    "Share": "分享",
    "Clear": "清除",
    "Remove": "移除",
    "Upload": "上传",
    "Info": "提示",
    "Warning": "注意",
    "Error": "错误",
    "Close": "关闭",
    "Like": "赞",
    "Dislike": "踩",
    "Liked": "已赞",
    "Disliked": "已踩",
    "More tabs": "更多页面",
    "processing": "处理中",
    "Settings": "设置",
    "Search": "搜索",
    "Sort": "排序",
}
PREFIXES = {"user's message: ": "提问：", "bot's message: ": "回答：", "Download ": "下载 ", "queue: ": "排队：",
            "processing ": "处理中 ",
            "File(s) exceed the maximum allowed size of ": "文件超过上传大小上限 "}

_SCRIPT = """<script>(() => {
  const lang = %(locale)s;
  try {
    Object.defineProperty(Navigator.prototype, 'language', {get: () => lang, configurable: true});
    Object.defineProperty(Navigator.prototype, 'languages', {get: () => [lang, 'zh'], configurable: true});
  } catch (e) { /* an older browser keeps its own language; the texts below are still rewritten */ }
  const fixed = %(fixed)s, prefixes = %(prefixes)s, attrs = ['aria-label', 'title', 'placeholder'];
  const zh = (s) => {
    if (s == null) return null;
    const t = s.trim();
    if (Object.prototype.hasOwnProperty.call(fixed, t)) return s.replace(t, fixed[t]);
    for (const p in prefixes) if (s.startsWith(p)) return prefixes[p] + s.slice(p.length);
    return null;
  };
  const fix = (el) => {
    for (const a of attrs) {
      const v = el.getAttribute && el.getAttribute(a), z = zh(v);
      if (z !== null && z !== v) el.setAttribute(a, z);
    }
  };
  const fixText = (node) => {
    const z = zh(node.nodeValue);
    if (z !== null && z !== node.nodeValue) node.nodeValue = z;
  };
  const sweep = (root) => {
    if (root.nodeType === 3) { fixText(root); return; }
    if (root.nodeType !== 1) return;
    fix(root);
    root.querySelectorAll('[aria-label], [title], [placeholder]').forEach(fix);
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) fixText(n);
  };
  const start = () => {
    sweep(document.body);
    new MutationObserver((changes) => {
      for (const c of changes) {
        if (c.type === 'attributes') fix(c.target);
        else if (c.type === 'characterData') fixText(c.target);
        else c.addedNodes.forEach(sweep);
      }
    }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true,
                               attributeFilter: attrs});
  };
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
})();</script>"""

HEAD_SCRIPT = _SCRIPT % {"locale": json.dumps(LOCALE), "fixed": json.dumps(FIXED, ensure_ascii=False),
                         "prefixes": json.dumps(PREFIXES, ensure_ascii=False)}


class ForceChinese:
    """ASGI middleware: every HTML page gradio serves gets HEAD_SCRIPT first in its <head>
    (before gradio's own scripts read the browser's language). Other responses pass untouched."""

    def __init__(self, app):
        self.app = app
        self.script = HEAD_SCRIPT.encode("utf-8")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "GET" or "/gradio_api/" in scope.get("path", ""):
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        chunks: list[bytes] = []

        async def patched_send(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                if not headers.get(b"content-type", b"").startswith(b"text/html"):
                    await send(message)  # not a page: pass everything through
                    start = {"pass": True}
                    return
                start = message
                return
            if message["type"] != "http.response.body" or start is None or start.get("pass"):
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            head = body.find(b"<head>")
            if head >= 0:
                body = body[:head + 6] + self.script + body[head + 6:]
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, patched_send)
