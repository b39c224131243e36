"""Tickets for tests that need some in the database (storage migrations, the ticket service)."""

from __future__ import annotations

from bot.storage import session_scope
from bot.storage.models import Ticket
from bot.tickets.rules import REPAIR_DEADLINES, Deadlines
from bot.tickets.service import NewTicket, create_ticket, get_ticket

PHONE = "13812345678"


def new_ticket(
    category: str = "repair",
    priority: str = "一般",
    deadlines: Deadlines = REPAIR_DEADLINES["一般"],
    phone: str = PHONE,
    description: str = "卧室窗户关不严",
    conversation_id: str = "conv-1",
) -> NewTicket:
    return NewTicket(
        category=category,
        subcategory="test",
        priority=priority,
        description=description,
        department="工程部",
        deadlines=deadlines,
        address="3-2-102",
        contact_phone=phone,
        contact_name="王先生",
        conversation_id=conversation_id,
    )


def make_ticket(**kwargs: object) -> str:
    """Create a ticket in its own transaction (on ``DATABASE_URL``) and return its number."""
    with session_scope() as session:
        return create_ticket(session, new_ticket(**kwargs)).number  # type: ignore[arg-type]


def load(number: str) -> Ticket:
    with session_scope() as session:
        ticket = get_ticket(session, number)
        assert ticket is not None, number
        return ticket
