"""Parsing what a resident's browser sends over the WebSocket (polite notices: ``message.*`` texts).

``{"type": "message", "text": "…", "payload": "/affirm"?, "client_id": "<uuid>"?}``: ``payload`` is
a quick-reply button's command; ``client_id`` the widget's id for the message, echoed back in the
stored message so its outbox matches the echo by id (``bot.gateway.transcript``).

Through the edge (bot.inbound.load_json): strict JSON, every string cleaned, so a text with a lone
surrogate or a NUL is stored and answered with U+FFFD in their place (see ``clean_text``)."""

from __future__ import annotations

from dataclasses import dataclass

from bot import texts
from bot.gateway.transcript import valid_client_id
from bot.inbound import MalformedJson, load_json


@dataclass(frozen=True)
class ResidentFrame:
    text: str
    command: str | None = None  # a quick-reply button's payload, e.g. "/affirm"
    client_id: str | None = None  # the widget's id for this message (a resend carries the same)


def parse(raw: str | bytes) -> ResidentFrame | str:
    """A frame, or the polite notice to send back instead."""
    try:
        data = load_json(raw)
    except MalformedJson:
        return texts.render("message.malformed")
    if not isinstance(data, dict) or data.get("type", "message") != "message" or not isinstance(data.get("text"), str):
        return texts.render("message.malformed")
    text = data["text"].strip()
    if not text:
        return texts.render("message.empty")
    command = data.get("payload")
    if command is not None and not (isinstance(command, str) and command.startswith("/") and len(command) <= 200):
        return texts.render("message.malformed")
    client_id = data.get("client_id")
    if client_id is not None and not valid_client_id(client_id):
        return texts.render("message.malformed")
    return ResidentFrame(text, command, client_id)
