"""Emergencies in the agents' queue: :func:`raise_alert` is the only function that queues one.

Two paths see a live emergency (DOMAIN §5): the gateway, which runs the guard's rules on the text
before Rasa answers (so the agents are alerted at once, not after Rasa's turn), and the emergency
action in the action server, which opens the emergency ticket. Whichever comes first queues the
conversation; the second joins that request (attaching its ticket) instead of adding another.

Announcing is separate from queueing, because the action server has no sockets: a request row
is announced to the consoles by the gateway process that claims it (:func:`claim_alerts`, a
conditional UPDATE of ``alerted_at``), after its early alert and after every Rasa turn that left
the conversation with the agents. So each request alerts the consoles exactly once, whichever
path queued it and however many gateway processes run.
"""

from __future__ import annotations

from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.conversations.events import Queued
from bot.conversations.lifecycle import add_request, conversation_status, enter_queue
from bot.conversations.status import Priority
from bot.safety import procedure_for
from bot.storage.models import Conversation, HandoffRequest

EMERGENCY = "emergency"  # the handoff request's reason


class AlertSource(str, Enum):
    GATEWAY = "gateway"  # the gateway's early alert: the guard's rules fired on the text before Rasa's answer
    ACTION = "action"  # action_handle_emergency: Rasa's turn, with the emergency ticket


# The queue's mark of an alert the danger words raised at once, before the assistant's own answer.
# Agents read it: in their words, not the system's (it said 网关预警, "gateway alert").
EARLY_TAG = "（危险词预警）"


def summary(kind: str, text: str, source: AlertSource) -> str:
    """What the queue shows: the procedure's label (``火警``), whether the gateway raised it before
    Rasa answered, and the resident's words."""
    tag = EARLY_TAG if source is AlertSource.GATEWAY else ""
    return f"{procedure_for(kind).label}{tag}：{text[:200]}"


def _open_emergency(session: Session, conversation_id: str) -> tuple[int, int | None] | None:
    """The emergency request of the conversation's current wait (requested since ``waiting_since``)."""
    row = session.execute(
        sa.select(HandoffRequest.id, HandoffRequest.ticket_id)
        .join(Conversation, Conversation.id == HandoffRequest.conversation_id)
        .where(
            HandoffRequest.conversation_id == conversation_id,
            HandoffRequest.reason == EMERGENCY,
            HandoffRequest.created_at >= Conversation.waiting_since,
        )
        .order_by(HandoffRequest.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row.id, row.ticket_id)


def raise_alert(
    session: Session, conversation_id: str, *, kind: str, text: str, source: AlertSource, ticket_id: int | None = None
) -> Queued | None:
    """Queue a live emergency at emergency priority; ``Queued`` when a request was inserted.
    From the gateway (``AlertSource.GATEWAY``) the request is inserted as announced: the caller
    publishes the returned ``Queued`` after commit, and no other process claims it.

    ``None`` when the conversation's current wait already has an emergency request: this call
    joined it, attaching ``ticket_id`` if the request had no ticket yet (the gateway's early alert
    has none; the action's ticket gives the queue its deadline)."""
    now = utcnow()
    status, started = enter_queue(session, conversation_id, Priority.EMERGENCY, now)
    if not started:
        joined = _open_emergency(session, conversation_id)
        if joined is not None:
            request_id, attached = joined
            if ticket_id is not None and attached is None:
                attach_ticket(session, request_id, ticket_id)
            return None
    # The gateway announces its early alert itself, right after this transaction: the request is
    # claimed for it at insert, as claim_alerts would (one statement instead of three).
    announced = source is AlertSource.GATEWAY
    request_id = add_request(
        session, conversation_id, EMERGENCY, Priority.EMERGENCY, summary(kind, text, source), ticket_id, now, kind=kind, announced=announced
    )
    return Queued(conversation_id, request_id, EMERGENCY, Priority.EMERGENCY, status)


def attach_ticket(session: Session, request_id: int, ticket_id: int) -> None:
    """The emergency's ticket on its request, unless it has one (the queue's deadline comes from it)."""
    session.execute(
        sa.update(HandoffRequest)
        .where(HandoffRequest.id == request_id, HandoffRequest.ticket_id.is_(None))
        .values(ticket_id=ticket_id)
        .execution_options(synchronize_session=False)
    )


def raise_early_alert(session: Session, conversation_id: str, *, kind: str, text: str) -> list[Queued]:
    """The gateway's early alert: queue the emergency and return what this process announces
    after commit — the request it inserted (claimed at insert), or, when it joined a request
    already open, that one if no process has announced it yet."""
    queued = raise_alert(session, conversation_id, kind=kind, text=text, source=AlertSource.GATEWAY)
    return [queued] if queued is not None else claim_alerts(session, conversation_id)


def claim_alerts(session: Session, conversation_id: str) -> list[Queued]:
    """The conversation's requests not yet announced to the consoles, claimed for this caller.

    Each row is claimed with ``UPDATE … WHERE alerted_at IS NULL``: of several gateway processes
    (or a retried turn) exactly one gets it. A request an agent already took needs no alert."""
    rows = session.execute(
        sa.select(HandoffRequest.id, HandoffRequest.reason, HandoffRequest.priority)
        .where(
            HandoffRequest.conversation_id == conversation_id,
            HandoffRequest.alerted_at.is_(None),
            HandoffRequest.handled_at.is_(None),
        )
        .order_by(HandoffRequest.id)
    ).all()
    if not rows:
        return []
    now, status = utcnow(), conversation_status(session, conversation_id)
    claimed = []
    for row in rows:
        won = session.execute(
            sa.update(HandoffRequest)
            .where(HandoffRequest.id == row.id, HandoffRequest.alerted_at.is_(None))
            .values(alerted_at=now)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount == 1:
            claimed.append(Queued(conversation_id, row.id, row.reason, Priority(row.priority), status))
    return claimed
