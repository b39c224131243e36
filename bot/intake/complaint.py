"""Complaints: what the form needs, the tickets, class and deadline from DOMAIN.md §3 (seed 003
「客户投诉管理制度」: time and place, who or which department, what the resident asks for, how to
reach them).

A complaint that a repair is late names that repair: the resident picks it from their own earlier
tickets (:func:`earlier_repairs`) and both tickets record the link (``bot.tickets.service.relate``).
Known details (an address and phone from an earlier repair) are shown in a summary for the resident
to confirm (:func:`summarise`), never reused silently. After an agent has handled the resident's
case, what the resident adds goes to that case's ticket (:func:`add_to_open_case`).

The wording is the actions' (``complaint.*`` in bot/texts/zh_CN.yml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.intake.earlier import NO_TICKET, EarlierTicket, earlier_repairs
from bot.intake.results import TicketCreated
from bot.intake.validation import says_more_than
from bot.politeness.scripts import honorific
from bot.storage import session_scope
from bot.storage.models import Ticket
from bot.tickets.masking import mask_phone
from bot.tickets.rules import (
    COMPLAINT_DEADLINES,
    DELAY,
    ENVIRONMENT,
    NEIGHBOUR_CONDUCT,
    SAME_DAY_PROMISE,
    Deadlines,
    complaint_class,
    complaint_department,
    complaint_subcategory,
    same_day_answer,
    same_day_window,
)
from bot.tickets.service import (
    NewTicket,
    create_ticket,
    note_on_open_case,
    relate,
    resident_ticket,
)

LATE_REPAIR = "维修进度"  # the subject whose complaint names the late repair's ticket
# The form's subjects (domain.yml's buttons), first match wins: fees before parking (停车费), a
# neighbour's renovation before repairs (装修 is not 修: a neighbour's noise is not 【维修进度】).
SUBJECT_HINTS = [
    ("工作人员服务", r"保安|保洁|客服|管家|前台|门岗|工作人员|态度"),
    ("收费问题", r"收费|物业费|停车费|费用|涨价|乱收"),
    ("邻里噪音或占道", rf"{NEIGHBOUR_CONDUCT}|占道|停车|消防通道"),
    (LATE_REPAIR, rf"报修|维修|(?<!装)修|没人来|{DELAY}"),
    ("环境卫生绿化", ENVIRONMENT),
    ("停水停电", r"停水|停电|断水|断电|没水|没电"),
]


# A bare opener (「我要投诉」, 「想投诉一下你们物业」) says nothing yet about what happened.
OPENER_WORDS = re.compile(r"我|要|想|投诉|一下|你们|物业|的|请|帮|反映|个|问题|[\s，。,.!！?？~]")


def says_what_happened(detail: str | None) -> bool:
    """Does the complaint's detail say what happened (「快递柜老是坏」), beyond the opener?"""
    return says_more_than(detail, OPENER_WORDS)


def is_bare_opener(text: str | None) -> bool:
    """Is the message only the opener (「我要投诉」), or nothing at all (the 投诉 button)?"""
    return not OPENER_WORDS.sub("", text or "")


def subject_from_detail(detail: str | None) -> str | None:
    """The subject when the details already make it clear, so the form need not ask."""
    for subject, pattern in SUBJECT_HINTS:
        if detail and re.search(pattern, detail):
            return subject
    return None


@dataclass(frozen=True)
class ComplaintSummary:
    """What the resident confirms before the complaint is registered (their words, phone masked)."""

    detail: str
    subject: str
    address: str
    phone: str
    ticket: EarlierTicket | None


@dataclass(frozen=True)
class ComplaintRequest:
    detail: str
    subject: str
    address: str
    phone: str
    conversation_id: str
    surname: str | None = None
    title: str | None = None
    related_ticket: str | None = None  # the late repair the complaint is about (its number)


def summarise(request: ComplaintRequest) -> ComplaintSummary:
    ticket = None
    if request.related_ticket and request.related_ticket != NO_TICKET:
        ticket = next((t for t in earlier_repairs(request.conversation_id, request.phone) if t.number == request.related_ticket), None)
    return ComplaintSummary(request.detail, request.subject, request.address, mask_phone(request.phone) or request.phone, ticket)


def create_complaint_ticket(request: ComplaintRequest) -> TicketCreated:
    text = f"{request.subject} {request.detail}"
    level = complaint_class(text)
    deadlines = COMPLAINT_DEADLINES[level]
    if same_day_answer(text, level):
        window = min(deadlines.resolve_within or timedelta(days=1), same_day_window(utcnow()))
        deadlines = Deadlines(deadlines.respond_within, window, SAME_DAY_PROMISE)
    department = complaint_department(request.detail, request.subject)
    with session_scope() as session:
        related = _resident_ticket(session, request)
        if related is not None:
            department = related.department or department  # the department complained about: the one that is late
        ticket = create_ticket(
            session,
            NewTicket(
                category="complaint",
                subcategory=complaint_subcategory(request.detail, request.subject),
                priority=level,
                description=f"【{request.subject}】{request.detail}",
                department=department,
                deadlines=deadlines,
                address=request.address,
                contact_phone=request.phone,
                contact_name=honorific(request.surname, request.title) if request.surname else "",
                conversation_id=request.conversation_id,
            ),
        )
        if related is not None:
            relate(session, ticket, related)
        return TicketCreated(ticket.number, level, department, deadlines.promise, ticket.resolve_by, related.number if related else None)


def _resident_ticket(session: Session, request: ComplaintRequest) -> Ticket | None:
    """The related ticket, if it is one of this resident's (never another resident's, DOMAIN §4)."""
    if not request.related_ticket or request.related_ticket == NO_TICKET:
        return None
    return resident_ticket(session, request.related_ticket, request.conversation_id, request.phone)


def add_to_open_case(conversation_id: str, text: str) -> str | None:
    """Record what the resident adds after an agent handled their case on that case's open ticket
    (an event the ticket's handlers see); the ticket's number, or None when the case has no open
    ticket (then the complaint is registered anew)."""
    with session_scope() as session:
        return note_on_open_case(session, conversation_id, f"居民补充：{text}")
