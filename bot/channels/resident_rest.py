"""The resident REST channel: Rasa's RestInput with polite answers to malformed requests.

Mounted at ``/webhooks/rest/webhook`` (the standard REST channel URL). A request that is not
JSON, or lacks a sender or a text message, gets HTTP 400 and a polite bot message instead of a
stack trace; an empty message gets a polite prompt without touching the conversation.
"""

from __future__ import annotations

import json
import logging
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.politeness.scripts import company_name

logger = logging.getLogger(__name__)

MAX_SENDER_LENGTH = 255
MALFORMED_REPLY = "非常抱歉，您的消息格式有误，我们没能收到内容，请您重新发送一次，谢谢。"
EMPTY_REPLY = "您好，这里是{company}客户服务中心，请问有什么可以帮您？您可以直接输入想咨询、报修或投诉的内容。"


def _polite(text: str, status: int) -> HTTPResponse:
    return response.json([{"recipient_id": None, "text": text}], status=status)


def parse_request(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """Return ``(payload, None)`` or ``(None, reason)`` for a request body."""
    try:
        payload = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        return None, "body is not JSON"
    if not isinstance(payload, dict):
        return None, "body is not a JSON object"
    sender = payload.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_LENGTH:
        return None, "missing or invalid sender"
    message = payload.get("message", "")
    if message is None:
        message = ""
    if not isinstance(message, str):
        return None, "message is not text"
    metadata = payload.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return None, "metadata is not an object"
    return payload, None


class ResidentRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("resident_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            payload, problem = parse_request(request.body)
            if payload is None:
                logger.info("Rejected a malformed REST request: %s", problem)
                return _polite(MALFORMED_REPLY, 400)
            text = payload.get("message") or ""
            if not text.strip():
                return _polite(EMPTY_REPLY.format(company=company_name()), 200)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        payload["sender"],
                        input_channel=payload.get("input_channel") or self.name(),
                        metadata=payload.get("metadata"),
                    )
                )
            except CancelledError:
                logger.error("Message handling timed out for %s", payload["sender"])
            return response.json(collector.messages)

        return webhook
