"""Resolved tickets with their callbacks, for the callback, gateway and dashboard tests."""

from __future__ import annotations

from bot.callbacks.schedule import schedule_after_resolution
from bot.clock import utcnow
from bot.gateway.transcript import store
from bot.storage import session_scope
from bot.storage.models import Callback, Ticket
from bot.tickets.rules import COMPLAINT_DEADLINES, REPAIR_DEADLINES
from bot.tickets.service import create_ticket, get_ticket, update_status
from tests.ticket_support import new_ticket


def chat_ticket(conversation_id: str, category: str = "complaint", priority: str = "一般", description: str = "楼下装修噪音太吵", phone: str = "13812345678") -> str:
    """A ticket opened in the chat (the resident's message is stored, as the gateway does)."""
    deadlines = (COMPLAINT_DEADLINES if category == "complaint" else REPAIR_DEADLINES)[priority]
    with session_scope() as session:
        if conversation_id:
            store(session, conversation_id, "resident", description)
        ticket = create_ticket(session, new_ticket(category=category, priority=priority, deadlines=deadlines, description=description, phone=phone, conversation_id=conversation_id))
        return ticket.number


def resolve_ticket(number: str, agent: str = "客服甲") -> int | None:
    """Resolve the ticket as the console does; the callback's id (None when it needs none)."""
    with session_scope() as session:
        ticket = get_ticket(session, number)
        assert ticket is not None
        update_status(session, ticket, "resolved", agent)
        scheduled = schedule_after_resolution(session, ticket, utcnow())
        return None if scheduled is None else scheduled.callback_id


def callback_row(callback_id: int) -> Callback:
    with session_scope() as session:
        row = session.get(Callback, callback_id)
        assert row is not None
        return row


def ticket_row(number: str) -> Ticket:
    with session_scope() as session:
        ticket = get_ticket(session, number)
        assert ticket is not None
        return ticket
