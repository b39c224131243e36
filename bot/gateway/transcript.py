"""The ``messages`` table as the gateway uses it: store before delivery, read a transcript."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.storage.models import Message

ROLES = ("resident", "bot", "agent", "system")


def store(session: Session, conversation_id: str, role: str, text: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """Insert one message and return it as delivered to browsers."""
    if role not in ROLES:
        raise ValueError(role)
    message = Message(conversation_id=conversation_id, role=role, text=text, payload=payload, created_at=utcnow())
    session.add(message)
    session.flush()
    return as_dict(message)


def as_dict(message: Message) -> dict[str, Any]:
    payload = message.payload or {}
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "role": message.role,
        "text": message.text,
        "buttons": payload.get("buttons", []),
        "agent": payload.get("agent"),
        "event": payload.get("event"),
        "attachment": payload.get("attachment"),
        "created_at": message.created_at.isoformat(),
    }


def history(session: Session, conversation_id: str, limit: int = 1000) -> list[dict[str, Any]]:
    query = sa.select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id.desc()).limit(limit)
    return [as_dict(m) for m in reversed(list(session.execute(query).scalars()))]
