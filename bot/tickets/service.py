"""Create, find, list and update tickets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import LOCAL_TZ, as_utc, utcnow
from bot.storage.models import Attachment, Ticket, TicketEvent
from bot.tickets.masking import mask_phone
from bot.tickets.rules import Deadlines, deadline_times

CATEGORIES = ("repair", "complaint", "inquiry", "emergency")
STATUSES = ("new", "dispatched", "in_progress", "resolved", "closed")
STATUS_LABELS = {
    "new": "已受理",
    "dispatched": "已派单",
    "in_progress": "处理中",
    "resolved": "已完成",
    "closed": "已关闭",
}
CATEGORY_LABELS = {"repair": "报修", "complaint": "投诉", "inquiry": "咨询", "emergency": "紧急求助"}
MAX_DESCRIPTION = 4000


@dataclass(frozen=True)
class NewTicket:
    category: str
    subcategory: str
    priority: str
    description: str
    department: str
    deadlines: Deadlines
    address: str = ""
    contact_phone: str = ""
    contact_name: str = ""
    visit_time: str = ""
    conversation_id: str = ""


def ticket_number(ticket_id: int, created_at: datetime) -> str:
    local = as_utc(created_at).astimezone(LOCAL_TZ)
    return f"WY{local:%Y%m%d}{ticket_id:04d}"


def create_ticket(session: Session, new: NewTicket, actor: str = "bot") -> Ticket:
    if new.category not in CATEGORIES:
        raise ValueError(f"unknown ticket category: {new.category}")
    created = utcnow()
    respond_by, resolve_by = deadline_times(created, new.deadlines)
    ticket = Ticket(
        category=new.category,
        subcategory=new.subcategory,
        priority=new.priority,
        status="new",
        address=new.address[:128],
        contact_name=new.contact_name[:32],
        contact_phone=new.contact_phone[:32],
        description=new.description[:MAX_DESCRIPTION],
        visit_time=new.visit_time[:64],
        department=new.department,
        conversation_id=new.conversation_id,
        created_at=created,
        updated_at=created,
        respond_by=respond_by,
        resolve_by=resolve_by,
    )
    session.add(ticket)
    session.flush()
    ticket.number = ticket_number(ticket.id, created)
    session.add(TicketEvent(ticket_id=ticket.id, status="new", note="受理", actor=actor, created_at=created))
    session.flush()
    link_attachments(session, ticket)
    return ticket


def link_attachments(session: Session, ticket: Ticket) -> int:
    """Give a new ticket the photos its conversation sent before it existed; how many."""
    if not ticket.conversation_id:
        return 0
    result = session.execute(
        sa.update(Attachment)
        .where(Attachment.conversation_id == ticket.conversation_id, Attachment.ticket_id.is_(None))
        .values(ticket_id=ticket.id)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def get_ticket(session: Session, number: str) -> Ticket | None:
    return session.execute(sa.select(Ticket).where(Ticket.number == number.strip().upper())).scalar_one_or_none()


def tickets_for_phone(session: Session, phone: str, limit: int = 5) -> list[Ticket]:
    query = (
        sa.select(Ticket)
        .where(Ticket.contact_phone == phone)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def list_tickets(
    session: Session,
    category: str | None = None,
    priority: str | None = None,
    status: str | None = None,
    overdue: bool = False,
    limit: int = 200,
) -> list[Ticket]:
    query = sa.select(Ticket)
    if category:
        query = query.where(Ticket.category == category)
    if priority:
        query = query.where(Ticket.priority == priority)
    if status:
        query = query.where(Ticket.status == status)
    if overdue:
        query = query.where(
            Ticket.resolve_by.is_not(None),
            Ticket.resolve_by < utcnow(),
            Ticket.status.not_in(("resolved", "closed")),
        )
    query = query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
    return list(session.execute(query).scalars())


def update_status(
    session: Session, ticket: Ticket, status: str, actor: str, note: str = "", department: str | None = None
) -> Ticket:
    if status not in STATUSES:
        raise ValueError(f"unknown ticket status: {status}")
    ticket.status = status
    if department:
        ticket.department = department
    ticket.events.append(TicketEvent(status=status, note=note, actor=actor, created_at=utcnow()))
    session.flush()
    return ticket


def is_overdue(ticket: Ticket) -> bool:
    return (
        ticket.resolve_by is not None
        and ticket.status not in ("resolved", "closed")
        and as_utc(ticket.resolve_by) < utcnow()
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat()


def ticket_to_dict(ticket: Ticket, mask: bool = True) -> dict[str, Any]:
    """A ticket for lists and JSON output; the phone is masked unless ``mask`` is False."""
    return {
        "number": ticket.number,
        "category": ticket.category,
        "subcategory": ticket.subcategory,
        "priority": ticket.priority,
        "status": ticket.status,
        "address": ticket.address,
        "contact_name": ticket.contact_name,
        "contact_phone": mask_phone(ticket.contact_phone) if mask else ticket.contact_phone,
        "description": ticket.description,
        "visit_time": ticket.visit_time,
        "department": ticket.department,
        "conversation_id": ticket.conversation_id,
        "created_at": _iso(ticket.created_at),
        "respond_by": _iso(ticket.respond_by),
        "resolve_by": _iso(ticket.resolve_by),
        "overdue": is_overdue(ticket),
        "history": [
            {"status": e.status, "note": e.note, "actor": e.actor, "at": _iso(e.created_at)}
            for e in ticket.events
        ],
    }
