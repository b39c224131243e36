"""Resolving a ticket schedules its callback (the rules: :mod:`bot.callbacks.rules`).

Called by whoever completes a ticket (the agents' ticket desk), in the same transaction as the
status change. A ticket re-resolved after an unhappy callback already has its next callback
waiting (:func:`bot.callbacks.desk.follow_up` scheduled it): its window is moved to start from the
new resolution instead of adding another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.callbacks import rules
from bot.callbacks.status import Channel, Status
from bot.clock import utcnow
from bot.roles import Role
from bot.storage.models import Callback, Message, Ticket


@dataclass(frozen=True)
class Scheduled:
    callback_id: int
    attempt: int
    due_from: datetime
    due_by: datetime
    assignee_role: Role
    channel: Channel


def writes_in_chat(session: Session, conversation_id: str) -> bool:
    """The resident wrote to us in the chat widget (the gateway stores every message of it), so
    the assistant can ask there; the REST channel keeps no messages."""
    if not conversation_id:
        return False
    found = session.execute(sa.select(Message.id).where(Message.conversation_id == conversation_id, Message.role == "resident").limit(1)).first()
    return found is not None


def _open_callback(session: Session, ticket_id: int) -> Callback | None:
    query = sa.select(Callback).where(Callback.ticket_id == ticket_id, Callback.status != Status.DONE).order_by(Callback.attempt.desc()).limit(1)
    return session.execute(query).scalar_one_or_none()


def _next_attempt(session: Session, ticket_id: int) -> int:
    last = session.execute(sa.select(sa.func.max(Callback.attempt)).where(Callback.ticket_id == ticket_id)).scalar()
    return int(last or 0) + 1


def insert(session: Session, ticket: Ticket, plan: rules.Plan, now: datetime, previous_id: int | None = None) -> Callback | None:
    """Insert the planned callback; None when a concurrent caller inserted the same attempt
    (the unique constraint on ticket and attempt decides)."""
    callback = Callback(
        ticket_id=ticket.id,
        conversation_id=ticket.conversation_id or "",
        kind=plan.kind,
        attempt=plan.attempt,
        assignee_role=plan.assignee_role.value,
        channel=plan.channel.value,
        status=Status.SCHEDULED.value,
        due_from=plan.due_from,
        due_by=plan.due_by,
        created_at=now,
        previous_id=previous_id,
        remark="",
    )
    try:
        with session.begin_nested():
            session.add(callback)
            session.flush()
    except IntegrityError:
        return None
    return callback


def schedule_after_resolution(session: Session, ticket: Ticket, now: datetime | None = None) -> Scheduled | None:
    """The callback of a ticket that was just resolved; None when it needs none."""
    now = now or utcnow()
    waiting = _open_callback(session, ticket.id)
    if waiting is not None:
        # The next callback after an unhappy answer: its window starts from this resolution.
        if Status(waiting.status) is Status.SCHEDULED:
            waiting.due_from, waiting.due_by = rules.WINDOWS[waiting.kind].times(now)
            session.flush()
        return _scheduled(waiting)
    in_chat = writes_in_chat(session, ticket.conversation_id)
    plan = rules.plan(ticket, now, in_chat=in_chat, attempt=_next_attempt(session, ticket.id))
    if plan is None:
        return None
    callback = insert(session, ticket, plan, now)
    return None if callback is None else _scheduled(callback)


def _scheduled(callback: Callback) -> Scheduled:
    return Scheduled(callback.id, callback.attempt, callback.due_from, callback.due_by, Role(callback.assignee_role), Channel(callback.channel))
