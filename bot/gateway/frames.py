"""Parsing what a resident's browser sends over the WebSocket."""

from __future__ import annotations

import json
from dataclasses import dataclass

MALFORMED_REPLY = "非常抱歉，您的消息格式有误，我们没能收到内容，请您重新发送一次，谢谢。"
EMPTY_REPLY = "您好，请问有什么可以帮您？您可以直接输入想咨询、报修或投诉的内容。"
RATE_LIMIT_REPLY = "您发送得太快啦，请您稍等几秒再发送，我们会逐条认真处理，谢谢您的理解。"


@dataclass(frozen=True)
class ResidentFrame:
    text: str
    command: str | None = None  # a quick-reply button's payload, e.g. "/affirm"


def parse(raw: str | bytes) -> ResidentFrame | str:
    """A frame, or the polite notice to send back instead."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return MALFORMED_REPLY
    if not isinstance(data, dict) or data.get("type", "message") != "message" or not isinstance(data.get("text"), str):
        return MALFORMED_REPLY
    text = data["text"].strip()
    if not text:
        return EMPTY_REPLY
    command = data.get("payload")
    if command is not None and not (isinstance(command, str) and command.startswith("/") and len(command) <= 200):
        return MALFORMED_REPLY
    return ResidentFrame(text, command)
