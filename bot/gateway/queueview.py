"""What the console's queue shows: pending conversations (urgent first, longest waiting first)
and the conversations agents are handling."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.handoff.queue import PRIORITY_EMERGENCY, pending_queue
from bot.storage.models import Conversation, HandoffRequest, Message, Ticket
from bot.tickets.rules import EMERGENCY_DEADLINES, INQUIRY_DEADLINES

REASONS = {"emergency": "紧急情况", "request_human": "要求人工"}


def _respond_by(conversation: Conversation, request: HandoffRequest | None, ticket: Ticket | None) -> str | None:
    """The SLA deadline: the ticket's respond_by, else waiting_since plus the response rule (DOMAIN §4, §5)."""
    if ticket is not None and ticket.respond_by is not None:
        return ticket.respond_by.isoformat()
    if conversation.waiting_since is None:
        return None
    rule = EMERGENCY_DEADLINES if conversation.priority == PRIORITY_EMERGENCY else INQUIRY_DEADLINES
    return (conversation.waiting_since + rule.respond_within).isoformat() if rule.respond_within else None


def _latest_requests(session: Session, ids: list[str]) -> dict[str, HandoffRequest]:
    latest = (
        sa.select(sa.func.max(HandoffRequest.id)).where(HandoffRequest.conversation_id.in_(ids)).group_by(HandoffRequest.conversation_id)
    )
    requests = session.execute(sa.select(HandoffRequest).where(HandoffRequest.id.in_(latest))).scalars()
    return {r.conversation_id: r for r in requests}


def _last_resident_texts(session: Session, ids: list[str]) -> dict[str, str]:
    latest = (
        sa.select(sa.func.max(Message.id))
        .where(Message.conversation_id.in_(ids), Message.role == "resident")
        .group_by(Message.conversation_id)
    )
    rows = session.execute(sa.select(Message.conversation_id, Message.text).where(Message.id.in_(latest)))
    return {conversation_id: text for conversation_id, text in rows}


def _items(session: Session, conversations: list[Conversation]) -> list[dict[str, Any]]:
    """The queue rows, in four queries whatever the queue's length (it is rebuilt on every change)."""
    if not conversations:
        return []
    ids = [c.id for c in conversations]
    requests = _latest_requests(session, ids)
    texts = _last_resident_texts(session, ids)
    ticket_ids = [r.ticket_id for r in requests.values() if r.ticket_id]
    tickets = {t.id: t for t in session.execute(sa.select(Ticket).where(Ticket.id.in_(ticket_ids))).scalars()} if ticket_ids else {}
    items = []
    for conversation in conversations:
        request = requests.get(conversation.id)
        ticket = tickets.get(request.ticket_id) if request and request.ticket_id else None
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
            "respond_by": _respond_by(conversation, request, ticket),
        })
    return items


def snapshot(session: Session) -> dict[str, list[dict[str, Any]]]:
    assigned = session.execute(
        sa.select(Conversation).where(Conversation.status == "assigned").order_by(Conversation.priority, Conversation.updated_at)
    ).scalars()
    return {"pending": _items(session, pending_queue(session)), "assigned": _items(session, list(assigned))}
