"""A resident waiting for a person who is no emergency: how long, and whether they were told lately.

「我要转人工」 puts the conversation in the queue at normal priority and pauses Rasa, which then only
records what the resident writes. Without an answer 「有人吗」 met silence for as long as the queue
took. The gateway now answers a message written while such a wait lasts
(:func:`bot.gateway.aftercare.keep_company`), at most once per :data:`TOLD_EVERY`: a resident
describing their case over several messages is not answered after each. An emergency's wait has its
own company, every message answered (:mod:`bot.conversations.escalation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.conversations.sla import respond_by
from bot.conversations.status import Priority, Status
from bot.storage.models import Conversation, Message

TOLD_EVERY = timedelta(seconds=60)  # at most one acknowledgement per minute of a wait
WAITING = "waiting"  # the acknowledgement's payload ``event``


@dataclass(frozen=True)
class PersonWait:
    """An unclaimed, non-emergency wait for an agent."""

    conversation_id: str
    waiting_since: datetime
    respond_by: datetime | None  # the queue's promise (DOMAIN §4: an agent within 5 minutes)

    def waited(self, now: datetime) -> timedelta:
        return max(as_utc(now) - as_utc(self.waiting_since), timedelta())

    def overdue(self, now: datetime) -> bool:
        return self.respond_by is not None and as_utc(now) > as_utc(self.respond_by)


def person_wait(session: Session, conversation_id: str, now: datetime) -> PersonWait | None:
    """The conversation's wait, when it waits unclaimed at normal or high priority and the resident
    has not been told about it within :data:`TOLD_EVERY`; else None."""
    row = session.execute(
        sa.select(Conversation.waiting_since, Conversation.priority).where(
            Conversation.id == conversation_id,
            Conversation.status == Status.PENDING,
            Conversation.priority != Priority.EMERGENCY,
            Conversation.waiting_since.is_not(None),
        )
    ).first()
    if row is None:
        return None
    told = session.execute(
        sa.select(Message.payload).where(
            Message.conversation_id == conversation_id, Message.role == "bot", Message.created_at > as_utc(now) - TOLD_EVERY
        )
    ).scalars()
    if any(isinstance(payload, dict) and payload.get("event") == WAITING for payload in told):
        return None
    return PersonWait(conversation_id, row.waiting_since, respond_by(row.priority, row.waiting_since, None))
