"""规划问答助手 — the Gradio app: `python app.py`.

The entry point only: the views live in the `ui` package (one module per tab), every answer
comes from `assistant.Assistant`. Everything is served locally: system fonts, no CDN, no analytics.
"""

from __future__ import annotations

import argparse
import logging

import ui  # sets gradio's environment (no analytics, offline) before gradio is imported
from assistant import Assistant, Settings
from assistant.errors import AssistantError


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
        ui.launch(Assistant(settings), args.host or settings.host, args.port or settings.port)
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
