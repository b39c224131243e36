"""The ``messages`` table as the gateway uses it: store before delivery, read a transcript.

Resident messages may carry the widget's client message id (``client_id``): the widget keeps a
message in its outbox until the server echoes the stored message with the same id, and resends it
after a reconnect. The UNIQUE index on ``(conversation_id, client_id)`` (migration 0005) makes
the second store of a resend fail; :func:`by_client_id` then finds the stored one to echo.
Readers ask for a whole transcript or for what came ``after`` the last id they hold (the widget
and the console after a reconnect).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.inbound import ROW_ID_MAX, row_id
from bot.storage.models import Message

ROLES = ("resident", "bot", "agent", "system")
HISTORY_LIMIT = 1000
# A client message id as the widget makes them (a UUID) or any short token of the same alphabet.
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
# The largest id an ``after`` may name: a 64-bit integer (what SQLite and PostgreSQL compare).
MAX_MESSAGE_ID = ROW_ID_MAX


def valid_client_id(value: object) -> bool:
    return isinstance(value, str) and CLIENT_ID.match(value) is not None


def parse_after(raw: str | None) -> int | None:
    """``?after=`` of a history request: None when absent, else a message id (0 … 2⁶³−1).

    Raises ValueError for anything else (negative, signs, spaces, not a number, too large), which
    the routes answer with a polite 400 instead of letting the database see it."""
    return None if raw is None else row_id(raw)  # the one rule for ids from outside (bot.inbound)


def store(
    session: Session,
    conversation_id: str,
    role: str,
    text: str,
    payload: dict[str, Any] | None = None,
    client_id: str | None = None,
    turn: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Insert one message and return it as delivered to browsers.

    A Core insert, not an ORM object: every message of a chat turn goes through here while the
    resident waits, and the ORM's unit of work cost more than the insert itself. With a
    ``client_id`` already stored in the conversation the insert raises ``IntegrityError``.
    ``turn``: a resident message's turn columns (``bot.conversations.turns.begun``/``settled``)."""
    if role not in ROLES:
        raise ValueError(role)
    if client_id is not None and not valid_client_id(client_id):
        raise ValueError("client_id")
    created_at = utcnow()
    values = {"conversation_id": conversation_id, "role": role, "text": text, "created_at": created_at}
    if payload is not None:  # absent, as an ORM message without one: SQL NULL
        values["payload"] = payload
    if client_id is not None:
        values["client_id"] = client_id
    values.update(turn or {})
    (message_id,) = session.execute(sa.insert(Message).values(**values)).inserted_primary_key
    return _frame(message_id, conversation_id, role, text, payload, created_at, client_id)


def by_client_id(session: Session, conversation_id: str, client_id: str) -> dict[str, Any] | None:
    """The stored message with this client id in the conversation, as delivered to browsers."""
    query = sa.select(Message).where(Message.conversation_id == conversation_id, Message.client_id == client_id)
    message = session.execute(query).scalar_one_or_none()
    return None if message is None else as_dict(message)


def as_dict(message: Message) -> dict[str, Any]:
    return _frame(
        message.id, message.conversation_id, message.role, message.text, message.payload, message.created_at, message.client_id
    )


def _frame(
    message_id: int,
    conversation_id: str,
    role: str,
    text: str,
    payload: dict[str, Any] | None,
    created_at: datetime,
    client_id: str | None = None,
) -> dict[str, Any]:
    payload = payload or {}
    return {
        "id": message_id,
        "conversation_id": conversation_id,
        "role": role,
        "text": text,
        "buttons": payload.get("buttons", []),
        "agent": payload.get("agent"),
        "event": payload.get("event"),
        "attachment": payload.get("attachment"),
        "callback": payload.get("callback"),  # a callback's question or answer (bot.gateway.callback_sender)
        "created_at": created_at.isoformat(),
        "client_id": client_id,
    }


def history(session: Session, conversation_id: str, limit: int = HISTORY_LIMIT, after: int | None = None) -> list[dict[str, Any]]:
    """The conversation in order: its last ``limit`` messages, or with ``after`` the first
    ``limit`` messages whose id is greater (what a reader missed while it was disconnected)."""
    query = sa.select(Message).where(Message.conversation_id == conversation_id)
    if after is not None:
        rows = session.execute(query.where(Message.id > after).order_by(Message.id).limit(limit)).scalars()
        return [as_dict(m) for m in rows]
    rows = session.execute(query.order_by(Message.id.desc()).limit(limit)).scalars()
    return [as_dict(m) for m in reversed(list(rows))]
