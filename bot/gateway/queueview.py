"""What the console's queue shows: pending conversations (urgent first, longest waiting first)
and the conversations agents are handling."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.gateway.transcript import last_message
from bot.handoff.queue import PRIORITY_EMERGENCY, pending_queue
from bot.storage.models import Conversation, HandoffRequest, Ticket
from bot.tickets.rules import EMERGENCY_DEADLINES, INQUIRY_DEADLINES

REASONS = {"emergency": "紧急情况", "request_human": "要求人工"}


def _respond_by(session: Session, conversation: Conversation, request: HandoffRequest | None) -> str | None:
    """The SLA deadline: the ticket's respond_by, else waiting_since plus the response rule (DOMAIN §4, §5)."""
    ticket = session.get(Ticket, request.ticket_id) if request and request.ticket_id else None
    if ticket is not None and ticket.respond_by is not None:
        return ticket.respond_by.isoformat()
    if conversation.waiting_since is None:
        return None
    rule = EMERGENCY_DEADLINES if conversation.priority == PRIORITY_EMERGENCY else INQUIRY_DEADLINES
    return (conversation.waiting_since + rule.respond_within).isoformat() if rule.respond_within else None


def _item(session: Session, conversation: Conversation) -> dict[str, Any]:
    request = session.execute(
        sa.select(HandoffRequest).where(HandoffRequest.conversation_id == conversation.id).order_by(HandoffRequest.id.desc()).limit(1)
    ).scalar_one_or_none()
    last = last_message(session, conversation.id)
    return {
        "id": conversation.id,
        "status": conversation.status,
        "priority": conversation.priority,
        "emergency": conversation.priority == PRIORITY_EMERGENCY,
        "waiting_since": conversation.waiting_since.isoformat() if conversation.waiting_since else None,
        "assigned_agent": conversation.assigned_agent,
        "reason": REASONS.get(request.reason, request.reason) if request else "",
        "summary": request.summary if request else "",
        "last_text": last.text[:120] if last else "",
        "respond_by": _respond_by(session, conversation, request),
    }


def snapshot(session: Session) -> dict[str, list[dict[str, Any]]]:
    assigned = session.execute(
        sa.select(Conversation).where(Conversation.status == "assigned").order_by(Conversation.priority, Conversation.updated_at)
    ).scalars()
    return {
        "pending": [_item(session, c) for c in pending_queue(session)],
        "assigned": [_item(session, c) for c in assigned],
    }
