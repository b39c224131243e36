"""The widget's satisfaction rating: five levels, once per resolution of a conversation.

A resolution is the system message with ``event == "resolved"`` an agent's resolve stores. The
resident may rate the latest one, once: a rating of the conversation (from any source) made after
that message counts. The choice and the thanks are stored as a system message (``event: rated``),
so the widget knows on reload that the rating was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.gateway.transcript import store
from bot.intake.rating import rating_reply, score_of
from bot.politeness.scripts import SATISFACTION_LEVELS
from bot.storage.models import Message, SatisfactionRating

SOURCE = "widget"
BAD_LEVEL_REPLY = "请您从" + "、".join(SATISFACTION_LEVELS) + "中选择一项评价，谢谢！"
NOT_RESOLVED_REPLY = "本次服务还在进行中，服务结束后再请您评价，谢谢！"
ALREADY_RATED_REPLY = "您已经评价过本次服务，感谢您的支持！"
RATED_TEXT = "您的评价：{level}。{thanks}"


@dataclass(frozen=True)
class Outcome:
    status: int
    error: str = ""
    message: dict[str, Any] | None = None


def latest_resolution(session: Session, conversation_id: str) -> Message | None:
    query = (
        sa.select(Message)
        .where(Message.conversation_id == conversation_id, Message.role == "system")
        .order_by(Message.id.desc())
    )
    for message in session.execute(query).scalars():
        if (message.payload or {}).get("event") == "resolved":
            return message
    return None


def already_rated(session: Session, conversation_id: str, resolution: Message) -> bool:
    query = sa.select(sa.func.count(SatisfactionRating.id)).where(
        SatisfactionRating.conversation_id == conversation_id, SatisfactionRating.created_at >= resolution.created_at
    )
    return bool(session.execute(query).scalar_one())


def rate(session: Session, conversation_id: str, level: object, resolution_id: object = None) -> Outcome:
    """Store the resident's rating of the latest resolution (``resolution_id``, when given, must be it)."""
    if not isinstance(level, str) or score_of(level) is None:
        return Outcome(400, BAD_LEVEL_REPLY)
    resolution = latest_resolution(session, conversation_id)
    if resolution is None or (resolution_id is not None and resolution_id != resolution.id):
        return Outcome(409, NOT_RESOLVED_REPLY)
    if already_rated(session, conversation_id, resolution):
        return Outcome(409, ALREADY_RATED_REPLY)
    score = score_of(level)
    assert score is not None
    session.add(SatisfactionRating(conversation_id=conversation_id, level=level, score=score, source=SOURCE, created_at=utcnow()))
    text = RATED_TEXT.format(level=level, thanks=rating_reply(level))
    message = store(session, conversation_id, "system", text, {"event": "rated", "level": level})
    return Outcome(200, message=message)
