"""Repair tickets: priority and deadline from DOMAIN.md §2, what the summary shows, and the 返修 of
a repair that did not hold.

The wording (the summary, the ticket's confirmation) is the action's, from the catalogue
(``repair.*`` in bot/texts/zh_CN.yml); this module returns the facts.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.intake.results import Reworked, TicketCreated
from bot.politeness.scripts import honorific
from bot.storage import session_scope
from bot.tickets.masking import mask_phone
from bot.tickets.rules import REPAIR_DEADLINES, deadlines_for, repair_priority, repair_subcategory
from bot.tickets.service import FINISHED, NewTicket, add_note, create_ticket, follow_up_ticket, resident_ticket

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


def rework(request: RepairRequest, original: str) -> Reworked | None:
    """「修完还是漏」 about the resident's repair ``original``: seed 000_9f7d19d4d8a4ed5d.txt
    「因修理质量引起的返修不得再收费用」 — the 返修 is a ticket of the original's priority, place
    and contact with fresh deadlines, marked 【返修】 (no charge) and noted on the original; while
    the original is still open, the resident's words go on it instead. None when ``original`` is
    not one of the resident's own tickets (DOMAIN §4)."""
    with session_scope() as session:
        ticket = resident_ticket(session, original, request.conversation_id, request.phone or None)
        if ticket is None or ticket.category != "repair":
            return None
        said = f"居民反映维修后问题仍在：{request.problem}"
        if ticket.status not in FINISHED:
            add_note(session, ticket, said, actor="resident")
            target = ticket
        else:
            description = f"【返修 {ticket.number}，不收费】{request.problem}\n原报修：{ticket.description}"
            target = follow_up_ticket(session, ticket, description, conversation_id=request.conversation_id)
            add_note(session, ticket, f"{said}；已开返修工单 {target.number}", actor="resident")
        return Reworked(
            number=target.number,
            original=ticket.number,
            new=target is not ticket,
            priority=target.priority,
            department=target.department or DEPARTMENT,
            promise=deadlines_for(target.category, target.priority).promise,
            resolve_by=target.resolve_by,
        )
