"""The widget's satisfaction rating: the five levels of bot.satisfaction, once per resolution.

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

from bot import texts
from bot.clock import utcnow
from bot.gateway.transcript import store
from bot.intake.rating import thanks_key
from bot.satisfaction import LABELS, by_label
from bot.storage.models import Message, SatisfactionRating
from bot.surveys.form import CONVERSATION_ITEM

SOURCE = "widget"


def bad_level_reply() -> str:
    return texts.render("rating.choose_level", levels="、".join(LABELS))


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
    chosen = by_label(level)
    if chosen is None:
        return Outcome(400, bad_level_reply())
    resolution = latest_resolution(session, conversation_id)
    if resolution is None or (resolution_id is not None and resolution_id != resolution.id):
        return Outcome(409, texts.render("rating.not_resolved"))
    if already_rated(session, conversation_id, resolution):
        return Outcome(409, texts.render("rating.already_rated"))
    area, item = CONVERSATION_ITEM
    agent = (resolution.payload or {}).get("agent")  # who resolved it: the supervision's satisfaction (seed 004)
    session.add(
        SatisfactionRating(
            conversation_id=conversation_id, level=chosen.label, score=chosen.score, source=SOURCE, area=area, item=item, agent=agent, created_at=utcnow()
        )
    )
    text = texts.render("rating.rated", level=chosen.label, thanks=texts.render(thanks_key(chosen)))
    message = store(session, conversation_id, "system", text, {"event": "rated", "level": chosen.label})
    return Outcome(200, message=message)
