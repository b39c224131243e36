"""What the console's queue shows: pending conversations (urgent first, longest waiting first)
and the conversations agents are handling.

The snapshot is rebuilt and sent to every console on each change to the queue, so it reads
columns, not ORM objects: five queries whatever the queue's length."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from bot.handoff.queue import PENDING_ORDER, PRIORITY_EMERGENCY
from bot.storage.models import Conversation, HandoffRequest, Message, Ticket
from bot.tickets.rules import EMERGENCY_DEADLINES, INQUIRY_DEADLINES

REASONS = {"emergency": "紧急情况", "request_human": "要求人工"}
CONVERSATION_COLUMNS = (Conversation.id, Conversation.status, Conversation.priority, Conversation.waiting_since, Conversation.assigned_agent)


def _respond_by(conversation: Row, ticket_respond_by: datetime | None) -> str | None:
    """The SLA deadline: the ticket's respond_by, else waiting_since plus the response rule (DOMAIN §4, §5)."""
    if ticket_respond_by is not None:
        return ticket_respond_by.isoformat()
    if conversation.waiting_since is None:
        return None
    rule = EMERGENCY_DEADLINES if conversation.priority == PRIORITY_EMERGENCY else INQUIRY_DEADLINES
    return (conversation.waiting_since + rule.respond_within).isoformat() if rule.respond_within else None


def _latest_requests(session: Session, ids: list[str]) -> dict[str, Row]:
    latest = (
        sa.select(sa.func.max(HandoffRequest.id)).where(HandoffRequest.conversation_id.in_(ids)).group_by(HandoffRequest.conversation_id)
    )
    columns = (HandoffRequest.conversation_id, HandoffRequest.reason, HandoffRequest.summary, HandoffRequest.ticket_id)
    return {r.conversation_id: r for r in session.execute(sa.select(*columns).where(HandoffRequest.id.in_(latest)))}


def _last_resident_texts(session: Session, ids: list[str]) -> dict[str, str]:
    latest = (
        sa.select(sa.func.max(Message.id))
        .where(Message.conversation_id.in_(ids), Message.role == "resident")
        .group_by(Message.conversation_id)
    )
    rows = session.execute(sa.select(Message.conversation_id, Message.text).where(Message.id.in_(latest)))
    return {conversation_id: text for conversation_id, text in rows}


def _respond_by_of_tickets(session: Session, ticket_ids: list[int]) -> dict[int, datetime | None]:
    if not ticket_ids:
        return {}
    return dict(session.execute(sa.select(Ticket.id, Ticket.respond_by).where(Ticket.id.in_(ticket_ids))).all())


def _items(session: Session, conversations: list[Row]) -> list[dict[str, Any]]:
    """The queue rows, in at most three more queries whatever the queue's length."""
    if not conversations:
        return []
    ids = [c.id for c in conversations]
    requests = _latest_requests(session, ids)
    texts = _last_resident_texts(session, ids)
    deadlines = _respond_by_of_tickets(session, [r.ticket_id for r in requests.values() if r.ticket_id])
    items = []
    for conversation in conversations:
        request = requests.get(conversation.id)
        items.append({
            "id": conversation.id,
            "status": conversation.status,
            "priority": conversation.priority,
            "emergency": conversation.priority == PRIORITY_EMERGENCY,
            "waiting_since": conversation.waiting_since.isoformat() if conversation.waiting_since else None,
            "assigned_agent": conversation.assigned_agent,
            "reason": REASONS.get(request.reason, request.reason) if request else "",
            "summary": request.summary if request else "",
            "last_text": texts.get(conversation.id, "")[:120],
            "respond_by": _respond_by(conversation, deadlines.get(request.ticket_id) if request else None),
        })
    return items


def snapshot(session: Session) -> dict[str, list[dict[str, Any]]]:
    pending = session.execute(sa.select(*CONVERSATION_COLUMNS).where(Conversation.status == "pending").order_by(*PENDING_ORDER)).all()
    assigned = session.execute(
        sa.select(*CONVERSATION_COLUMNS).where(Conversation.status == "assigned").order_by(Conversation.priority, Conversation.updated_at)
    ).all()
    return {"pending": _items(session, pending), "assigned": _items(session, assigned)}
