"""The page's stylesheet (system fonts only: nothing is fetched from outside)."""

from ui.evals import FAILED_WIDTHS
from ui.plan import DOCS_WIDTHS
from ui.targets import PHONE_TABLE_CSS, phone_table_css

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
.source-card.card-flash {animation: card-flash 2s ease-out}
#chatbot .message-buttons button:is([aria-label="赞"], [aria-label="已赞"], [aria-label="踩"], [aria-label="已踩"]) {
  width: auto !important; min-width: max-content; overflow: visible; display: inline-flex; align-items: center;
  gap: 2px; padding: 0 6px}
/* the words beside the icons, in place of gradio's separator line after a button */
#chatbot .message-buttons button:is([aria-label="赞"], [aria-label="已赞"], [aria-label="踩"], [aria-label="已踩"])::after {
  content: attr(aria-label); font-size: 12px; line-height: 1;
  position: static !important; width: auto !important; height: auto !important; background: none !important}
@keyframes card-flash {from {box-shadow: 0 0 0 3px #f59e0b; background: #fef3c7} to {box-shadow: none}}
.tech-details {font-size: 0.85em; color: #52525b; margin-top: 10px; border-top: 1px solid #e4e4e7; padding-top: 6px}
.tech-details ul {margin: 4px 0; padding-left: 1.2em}
.source-context {margin: 6px 0; line-height: 1.7; color: #3f3f46}
.source-header {margin: -2px 0 6px; font-size: 0.9em; color: #52525b}
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
/* the 对话 label sits over the chat: opaque, above the messages that scroll under it */
#chatbot > label, #chatbot .block-label, #chatbot [data-testid="block-label"] {
  background: var(--block-background-fill); z-index: 5; opacity: 1}
#chatbot .bubble-wrap, #chatbot [role="log"] {padding-top: 28px}
/* a long plan title in a dropdown stops before the arrow instead of running under it */
#doc-choice input, #plan-filter input {padding-right: 28px; text-overflow: ellipsis}
#doc-choice .wrap-inner, #plan-filter .wrap-inner {padding-right: 4px}
/* phone width: the answer's sources right under the chat, before the input and the examples;
   the targets table keeps readable columns and scrolls sideways instead of squeezing them */
@media (max-width: 720px) {
  #chat-row {flex-direction: column; flex-wrap: nowrap}
  #chat-main {display: contents}
  #chat-main > *, #sources-col {width: 100%; min-width: 0}
  #plan-filter {order: 1} #chatbot {order: 2} #sources-col {order: 3}
  #ask-row {order: 4} #examples-title {order: 5} #examples-row {order: 6}
}
""" + PHONE_TABLE_CSS + phone_table_css(FAILED_WIDTHS, total=1000, table="#failed-table") + phone_table_css(
    DOCS_WIDTHS, total=1000, table="#docs-table")
