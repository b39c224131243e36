"""The ``messages`` table as the gateway uses it: store before delivery, read a transcript."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.storage.models import Message

ROLES = ("resident", "bot", "agent", "system")


def store(session: Session, conversation_id: str, role: str, text: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """Insert one message and return it as delivered to browsers.

    A Core insert, not an ORM object: every message of a chat turn goes through here while the
    resident waits, and the ORM's unit of work cost more than the insert itself."""
    if role not in ROLES:
        raise ValueError(role)
    created_at = utcnow()
    values = {"conversation_id": conversation_id, "role": role, "text": text, "created_at": created_at}
    if payload is not None:  # absent, as an ORM message without one: SQL NULL
        values["payload"] = payload
    (message_id,) = session.execute(sa.insert(Message).values(**values)).inserted_primary_key
    return _frame(message_id, conversation_id, role, text, payload, created_at)


def as_dict(message: Message) -> dict[str, Any]:
    return _frame(message.id, message.conversation_id, message.role, message.text, message.payload, message.created_at)


def _frame(
    message_id: int, conversation_id: str, role: str, text: str, payload: dict[str, Any] | None, created_at: datetime
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
        "created_at": created_at.isoformat(),
    }


def history(session: Session, conversation_id: str, limit: int = 1000) -> list[dict[str, Any]]:
    query = sa.select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id.desc()).limit(limit)
    return [as_dict(m) for m in reversed(list(session.execute(query).scalars()))]
