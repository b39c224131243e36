"""Create, find, list and update tickets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import LOCAL_TZ, as_utc, utcnow
from bot.storage.models import Attachment, Conversation, Ticket, TicketEvent, community_id_of, community_or_default
from bot.tickets.masking import mask_phone
from bot.tickets.rules import Deadlines, deadline_times, deadlines_for

CATEGORIES = ("repair", "complaint", "inquiry", "emergency")
STATUSES = ("new", "dispatched", "in_progress", "resolved", "closed")
FINISHED = ("resolved", "closed")
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
        # Its conversation's community (community_id_of: the default, first one for a ticket
        # without a conversation or whose conversation was never bound), read by the INSERT itself.
        community_id=community_id_of(new.conversation_id),
    )
    session.add(ticket)
    session.flush()
    ticket.number = ticket_number(ticket.id, created)
    session.add(TicketEvent(ticket_id=ticket.id, status="new", note="受理", actor=actor, created_at=created))
    session.flush()
    link_attachments(session, ticket)
    return ticket


def follow_up_ticket(session: Session, ticket: Ticket, description: str, actor: str = "bot", conversation_id: str | None = None) -> Ticket:
    """A new ticket carrying on a finished one — a callback's follow-up (bot.callbacks.desk), a
    返修 (bot.intake.repair.rework): its category, priority, department, place and contact, fresh
    deadlines for its priority, ``description`` its text; of ``conversation_id`` when given (the
    resident's conversation now), else of the ticket's."""
    deadlines = deadlines_for(ticket.category, ticket.priority)
    new = NewTicket(
        category=ticket.category,
        subcategory=ticket.subcategory,
        priority=ticket.priority,
        description=description,
        department=ticket.department,
        deadlines=deadlines,
        address=ticket.address,
        contact_phone=ticket.contact_phone,
        contact_name=ticket.contact_name,
        visit_time=ticket.visit_time,
        conversation_id=conversation_id or ticket.conversation_id,
    )
    return create_ticket(session, new, actor=actor)


def case_start(conversation_id: str) -> sa.sql.expression.ScalarSelect:
    """When the conversation's current case began, as one SQL expression: the moment an agent last
    ended the conversation (``conversations.resolved_at``), or NULL when no agent ever did (the
    whole conversation is one case)."""
    return sa.select(Conversation.resolved_at).where(Conversation.id == conversation_id).scalar_subquery()


def in_current_case(created_at: sa.sql.ColumnElement, conversation_id: str) -> sa.sql.ColumnElement:
    """A row of the conversation (``created_at`` its time) belongs to its current case."""
    started = case_start(conversation_id)
    return sa.or_(started.is_(None), created_at > started)


def open_case_ticket(session: Session, conversation_id: str) -> Ticket | None:
    """The ticket a resident's photo or follow-up belongs to: the conversation's latest ticket that is
    not finished and was opened in its current case. A photo sent after an agent ended the
    conversation never lands on that case's ticket (issue 12 §2), even while the ticket is open."""
    query = sa.select(Ticket).where(
        Ticket.conversation_id == conversation_id, Ticket.status.not_in(FINISHED), in_current_case(Ticket.created_at, conversation_id)
    )
    return session.execute(query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1)).scalar_one_or_none()


def responded(session: Session, conversation_id: str, now: datetime) -> int:
    """A person answered the resident of ``conversation_id`` at ``now`` (an agent's reply): every
    ticket of the conversation opened by then, not finished and not answered before, has had its
    first response (``responded_at``, migration 0009); how many. The console's 响应 badge and the
    SLA follow it instead of ``respond_by`` alone."""
    result = session.execute(
        sa.update(Ticket)
        .where(
            Ticket.conversation_id == conversation_id,
            Ticket.responded_at.is_(None),
            Ticket.status.not_in(FINISHED),
            Ticket.created_at <= now,
        )
        .values(responded_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def responded_in_time(ticket: Ticket) -> bool | None:
    """Whether the first response came by ``respond_by`` (None: no response yet, or no deadline)."""
    if ticket.responded_at is None or ticket.respond_by is None:
        return None
    return as_utc(ticket.responded_at) <= as_utc(ticket.respond_by)


def link_attachments(session: Session, ticket: Ticket) -> int:
    """Give a new ticket the photos its conversation sent in the same case before it existed; how many."""
    if not ticket.conversation_id:
        return 0
    unlinked = sa.and_(
        Attachment.conversation_id == ticket.conversation_id,
        Attachment.ticket_id.is_(None),
        in_current_case(Attachment.created_at, ticket.conversation_id),
    )
    result = session.execute(
        sa.update(Attachment).where(unlinked).values(ticket_id=ticket.id).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def tickets_of_resident(session: Session, conversation_id: str, phone: str | None = None, category: str | None = None, limit: int = 5) -> list[Ticket]:
    """The resident's own earlier tickets, newest first: those opened in this conversation and,
    when the resident's phone is known, those left with that phone. Never another resident's
    (DOMAIN §4: no other resident's details)."""
    query = sa.select(Ticket).where(_of_resident(conversation_id, phone))
    if category:
        query = query.where(Ticket.category == category)
    return list(session.execute(query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)).scalars())


def _of_resident(conversation_id: str, phone: str | None) -> sa.sql.ColumnElement:
    """A ticket of the resident's own: opened in their conversation or, when they gave a phone, left
    with that phone in their community (a phone they typed: theirs — or anybody's they know)."""
    mine = Ticket.conversation_id == conversation_id
    if phone:
        mine = sa.or_(mine, sa.and_(Ticket.contact_phone == phone, in_community_of(conversation_id)))
    return mine


def resident_ticket(session: Session, number: str, conversation_id: str, phone: str | None = None) -> Ticket | None:
    """The ticket with this number when it is one of the resident's own (as :func:`tickets_of_resident`)."""
    query = sa.select(Ticket).where(Ticket.number == number.strip().upper(), _of_resident(conversation_id, phone))
    return session.execute(query).scalar_one_or_none()


def relate(session: Session, ticket: Ticket, related: Ticket, actor: str = "bot") -> None:
    """``ticket`` (a complaint) is about ``related`` (the late repair): an event on each naming the
    other, so whoever opens either sees the other (neither's status changes). The history is what
    the console shows with every ticket."""
    now = utcnow()
    session.add(TicketEvent(ticket_id=ticket.id, status=ticket.status, note=f"关联工单 {related.number}", actor=actor, created_at=now))
    session.add(TicketEvent(ticket_id=related.id, status=related.status, note=f"居民投诉处理进度，投诉工单 {ticket.number}", actor=actor, created_at=now))
    session.flush()


def add_note(session: Session, ticket: Ticket, note: str, actor: str = "bot") -> None:
    """An event on the ticket that changes nothing but records what was said (a resident's addition)."""
    session.add(TicketEvent(ticket_id=ticket.id, status=ticket.status, note=note[:2000], actor=actor, created_at=utcnow()))
    session.flush()


def note_on_open_case(session: Session, conversation_id: str, note: str) -> str | None:
    """Record what the resident said on their open case's ticket (:func:`open_case_ticket`), as an
    event its handlers see; the ticket's number, or None when the case has no open ticket."""
    ticket = open_case_ticket(session, conversation_id)
    if ticket is None:
        return None
    add_note(session, ticket, note, actor="resident")
    return ticket.number


def get_ticket(session: Session, number: str) -> Ticket | None:
    return session.execute(sa.select(Ticket).where(Ticket.number == number.strip().upper())).scalar_one_or_none()


def in_community_of(conversation_id: str) -> sa.sql.ColumnElement:
    """A ticket of the conversation's community (issue 13 §6: a resident never sees another
    community's tickets, whatever number or phone they type)."""
    return community_or_default(Ticket.community_id) == community_id_of(conversation_id)


def ticket_in_community(session: Session, number: str, conversation_id: str) -> Ticket | None:
    """The ticket with this number, when it is of the conversation's community."""
    query = sa.select(Ticket).where(Ticket.number == number.strip().upper(), in_community_of(conversation_id))
    return session.execute(query).scalar_one_or_none()


def tickets_for_phone(session: Session, phone: str, limit: int = 5, conversation_id: str | None = None) -> list[Ticket]:
    """The tickets left with this phone, newest first; of the conversation's community only when
    ``conversation_id`` is given (a resident's lookup)."""
    query = sa.select(Ticket).where(Ticket.contact_phone == phone)
    if conversation_id is not None:
        query = query.where(in_community_of(conversation_id))
    return list(session.execute(query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)).scalars())


def list_tickets(
    session: Session,
    category: str | None = None,
    priority: str | None = None,
    status: str | None = None,
    overdue: bool = False,
    limit: int = 200,
    where: Any = None,
) -> list[Ticket]:
    """The latest tickets matching the filters; ``where``: a further clause (what a console account
    may see, bot.gateway.visibility)."""
    query = sa.select(Ticket)
    if where is not None:
        query = query.where(where)
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
        "responded_at": _iso(ticket.responded_at),
        "responded_in_time": responded_in_time(ticket),
        "overdue": is_overdue(ticket),
        "history": [
            {"status": e.status, "note": e.note, "actor": e.actor, "at": _iso(e.created_at)}
            for e in ticket.events
        ],
    }
