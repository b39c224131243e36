"""Ticket status by ticket number or by the phone number left with the ticket — or, asked without
either, the tickets of the resident's own conversation (「我的报修什么时候来」 right after it was
registered: the resident is not asked for the number they were just given).

The action words the answer (``status.*`` in bot/texts/zh_CN.yml) from :class:`TicketStatus`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.intake.coverage import things
from bot.storage import session_scope
from bot.storage.models import Ticket
from bot.tickets.service import (
    CATEGORY_LABELS,
    FINISHED,
    STATUS_LABELS,
    is_overdue,
    ticket_in_community,
    tickets_for_phone,
    tickets_of_resident,
)

TICKET_NUMBER = re.compile(r"^WY\d{12,14}$")
DEFAULT_DEPARTMENT = "客服中心"  # a ticket not yet dispatched is with the service desk


@dataclass(frozen=True)
class TicketStatus:
    number: str
    category: str  # as residents call it: 报修, 投诉 … (bot.tickets.service.CATEGORY_LABELS)
    priority: str
    status: str  # 已受理, 处理中 … (bot.tickets.service.STATUS_LABELS)
    department: str
    resolve_by: datetime | None
    overdue: bool
    visit_time: str = ""  # the visit agreed with the resident while the ticket is open (报修's 上门时间)


def _status(ticket: Ticket) -> TicketStatus:
    return TicketStatus(
        number=ticket.number,
        category=CATEGORY_LABELS.get(ticket.category, ticket.category),
        priority=ticket.priority,
        status=STATUS_LABELS.get(ticket.status, ticket.status),
        department=ticket.department or DEFAULT_DEPARTMENT,
        resolve_by=ticket.resolve_by,
        overdue=is_overdue(ticket),
        visit_time=(ticket.visit_time or "") if ticket.status not in FINISHED else "",
    )


def find_tickets(lookup_key: str, conversation_id: str) -> list[TicketStatus]:
    """The ticket with this number, or every ticket left with this phone number — of the
    conversation's community only (another community's is "not found", as a number nobody has)."""
    key = lookup_key.strip().upper()
    with session_scope() as session:
        if TICKET_NUMBER.match(key):
            ticket = ticket_in_community(session, key, conversation_id)
            tickets = [ticket] if ticket else []
        else:
            tickets = tickets_for_phone(session, re.sub(r"\D", "", key) if key[:1] == "1" else key, conversation_id=conversation_id)
        return [_status(t) for t in tickets]


def own_tickets(conversation_id: str, phone: str | None = None) -> list[TicketStatus]:
    """The resident's own tickets, newest first: this conversation's, and their phone's when known."""
    with session_scope() as session:
        return [_status(t) for t in tickets_of_resident(session, conversation_id, phone)]


# What a resident calls the case just registered when asking when it will be done: 「师傅几点到」
# 「多久有结果」「什么时候能修好」 (「多久能处理」「大概要多久」 name nothing at all).
CASE_WORDS = frozenset({"师傅", "结果", "修好", "修", "处理", "答复", "回复", "回音", "来人", "人", "工单", "投诉", "报修", "维修"})


WHEN = re.compile(r"多久|多长时间|多少天|几天|什么时候|啥时候?|何时|几点|哪天")
OPENING_HOURS = re.compile(r"上班|下班|开门|关门|营业|开放")  # 「物业几点下班」 asks about the office, not the case


def asks_when_done(question: str) -> bool:
    """Does the question ask when the case will be seen to, naming nothing but the case?"""
    return bool(WHEN.search(question)) and not OPENING_HOURS.search(question) and set(things(question)) <= CASE_WORDS
