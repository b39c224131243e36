"""Repair tickets: priority and deadline from DOMAIN.md §2, and what the summary shows.

The wording (the summary, the ticket's confirmation) is the action's, from the catalogue
(``repair.*`` in bot/texts/zh_CN.yml); this module returns the facts.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.intake.results import TicketCreated
from bot.politeness.scripts import honorific
from bot.storage import session_scope
from bot.tickets.masking import mask_phone
from bot.tickets.rules import REPAIR_DEADLINES, repair_priority, repair_subcategory
from bot.tickets.service import NewTicket, create_ticket

DEPARTMENT = "工程部"


@dataclass(frozen=True)
class RepairRequest:
    problem: str
    address: str
    phone: str
    visit_time: str
    conversation_id: str
    surname: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class RepairSummary:
    """What the resident confirms before the ticket is opened (the resident's words, phone masked)."""

    problem: str
    address: str
    phone: str
    visit_time: str
    priority: str


def summarise(request: RepairRequest) -> RepairSummary:
    return RepairSummary(
        problem=request.problem,
        address=request.address,
        phone=mask_phone(request.phone) or request.phone,
        visit_time=request.visit_time,
        priority=repair_priority(request.problem),
    )


def create_repair_ticket(request: RepairRequest) -> TicketCreated:
    """Create the ticket; its number, priority and promised deadline go back to the action."""
    priority = repair_priority(request.problem)
    deadlines = REPAIR_DEADLINES[priority]
    with session_scope() as session:
        ticket = create_ticket(
            session,
            NewTicket(
                category="repair",
                subcategory=repair_subcategory(request.problem),
                priority=priority,
                description=request.problem,
                department=DEPARTMENT,
                deadlines=deadlines,
                address=request.address,
                contact_phone=request.phone,
                contact_name=honorific(request.surname, request.title) if request.surname else "",
                visit_time=request.visit_time,
                conversation_id=request.conversation_id,
            ),
        )
        return TicketCreated(ticket.number, priority, DEPARTMENT, deadlines.promise, ticket.resolve_by)
