"""An emergency waiting for an agent: how long it has waited, and its escalation when nobody claims it.

DOMAIN §5: a human takes over at once, and nobody shifts the responsibility (严禁推诿). The
assistant cannot take over, but it must not leave the resident alone either (issue 12 §1): while
the emergency waits in the queue the gateway answers every message at once from
:func:`emergency_wait` (who is coming, how long it has been, what to do now), and when nobody has
claimed it after ``EMERGENCY_ESCALATION_SECONDS`` it says so honestly and sounds a louder alarm on
every console — again after each further such period, up to :data:`MAX_STEPS` times.

Each step is claimed with one conditional UPDATE of the emergency request (``escalations = n`` →
``n + 1``), like :func:`bot.conversations.alerts.claim_alerts`: of several gateway processes
sweeping at the same moment exactly one gets it, so the resident is told and the consoles are
alarmed once per step. The request's ``handled_at`` (an agent claimed, handed back or resolved the
conversation) ends the escalation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot.clock import as_utc
from bot.conversations.alerts import EMERGENCY
from bot.conversations.events import Escalated
from bot.conversations.status import Status
from bot.storage.models import Conversation, HandoffRequest, Ticket

MAX_STEPS = 3  # after the third unanswered alarm the duty phone has been given three times; no more noise
OTHER = "other"  # the danger of a request stored without one (bot.safety.PROCEDURES)


@dataclass(frozen=True)
class EmergencyWait:
    """A conversation waiting in the queue for an emergency that no agent has taken yet."""

    conversation_id: str
    request_id: int
    kind: str
    waiting_since: datetime
    escalations: int
    ticket_number: str | None

    def waited(self, now: datetime) -> timedelta:
        return max(as_utc(now) - as_utc(self.waiting_since), timedelta())


def _waits() -> Select:
    """Open emergency requests of the conversations' current waits, newest request first."""
    return (
        sa.select(
            HandoffRequest.conversation_id,
            HandoffRequest.id,
            HandoffRequest.kind,
            HandoffRequest.escalations,
            Conversation.waiting_since,
            Ticket.number,
        )
        .join(Conversation, Conversation.id == HandoffRequest.conversation_id)
        .outerjoin(Ticket, Ticket.id == HandoffRequest.ticket_id)
        .where(
            Conversation.status == Status.PENDING,
            Conversation.waiting_since.is_not(None),
            HandoffRequest.reason == EMERGENCY,
            HandoffRequest.handled_at.is_(None),
            HandoffRequest.created_at >= Conversation.waiting_since,
        )
        .order_by(HandoffRequest.id.desc())
    )


def _wait(row: Row) -> EmergencyWait:
    return EmergencyWait(row.conversation_id, row.id, row.kind or OTHER, row.waiting_since, row.escalations, row.number)


def emergency_wait(session: Session, conversation_id: str) -> EmergencyWait | None:
    """The conversation's emergency while it waits unclaimed (status pending), else None: a request
    for a human that is no emergency, or an agent who has it already, needs no company from the bot."""
    row = session.execute(_waits().where(HandoffRequest.conversation_id == conversation_id).limit(1)).first()
    return None if row is None else _wait(row)


def step_due(wait: EmergencyWait, now: datetime, every: timedelta) -> int | None:
    """The escalation step this wait has reached and not yet had, or None. A process that comes
    late (the clock moved, the gateway restarted) takes the step reached at once, not each one
    it missed: the resident hears one honest notice, not three in a row."""
    reached = min(int(wait.waited(now) / every), MAX_STEPS)
    return reached if reached > wait.escalations else None


def due(session: Session, now: datetime, every: timedelta) -> list[tuple[EmergencyWait, int]]:
    """Waits with an escalation step due, and the step (one per conversation: its newest request)."""
    seen: set[str] = set()
    found = []
    for row in session.execute(_waits().where(HandoffRequest.escalations < MAX_STEPS)):
        if row.conversation_id in seen:
            continue
        seen.add(row.conversation_id)
        wait = _wait(row)
        step = step_due(wait, now, every)
        if step is not None:
            found.append((wait, step))
    return found


def claim_step(session: Session, wait: EmergencyWait, step: int, now: datetime) -> Escalated | None:
    """Take ``step`` of this wait for the caller: ``Escalated`` for exactly one of racing callers,
    None when another took a step meanwhile or an agent has dealt with the request."""
    won = session.execute(
        sa.update(HandoffRequest)
        .where(HandoffRequest.id == wait.request_id, HandoffRequest.escalations == wait.escalations, HandoffRequest.handled_at.is_(None))
        .values(escalations=step, escalated_at=now)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:
        return None
    return Escalated(wait.conversation_id, wait.request_id, step, int(wait.waited(now).total_seconds()), wait.kind)
