"""The resident REST channel: Rasa's RestInput with polite answers to malformed requests.

Mounted at ``/webhooks/rest/webhook`` (the standard REST channel URL). A request that is not
JSON, or lacks a sender or a text message, gets HTTP 400 and a polite bot message instead of a
stack trace; an empty message gets a polite prompt without touching the conversation (the
``message.*`` texts of bot/texts/zh_CN.yml); a body over :data:`MAX_BODY_BYTES` gets 413.

The body is read through the edge (bot.inbound.load_json), as the gateway reads its frames: a
message with a lone surrogate or a NUL reaches Rasa — its entity extractor, its tracker store —
with U+FFFD in their place, and is answered like any other (``clean_text`` says why).
"""

from __future__ import annotations

import logging
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import texts
from bot.inbound import MalformedJson, load_json

logger = logging.getLogger(__name__)

MAX_SENDER_LENGTH = 255
# The largest body the channel reads: a message longer than any resident writes (the gateway's
# frames stop at the same size), with its metadata. Rasa's server reads up to 100 MB by default.
MAX_BODY_BYTES = 256 * 1024


def _polite(text: str, status: int) -> HTTPResponse:
    return response.json([{"recipient_id": None, "text": text}], status=status)


def parse_request(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """Return ``(payload, None)`` or ``(None, reason)`` for a request body."""
    try:
        payload = load_json(body or b"")
    except MalformedJson:
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
    input_channel = payload.get("input_channel")
    if input_channel is not None and not (isinstance(input_channel, str) and len(input_channel) <= MAX_SENDER_LENGTH):
        return None, "input_channel is not a name"
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
            if len(request.body or b"") > MAX_BODY_BYTES:
                logger.info("Rejected a REST request of %d bytes", len(request.body))
                return _polite(texts.render("error.too_large"), 413)
            payload, problem = parse_request(request.body)
            if payload is None:
                logger.info("Rejected a malformed REST request: %s", problem)
                return _polite(texts.render("message.malformed"), 400)
            text = payload.get("message") or ""
            if not text.strip():
                return _polite(texts.render("message.empty_rest"), 200)
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
