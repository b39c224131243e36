"""Ticket status by ticket number or by the phone number left with the ticket."""

from __future__ import annotations

import re

from bot.clock import local_text
from bot.storage import session_scope
from bot.storage.models import Ticket
from bot.tickets.service import (
    CATEGORY_LABELS,
    STATUS_LABELS,
    get_ticket,
    is_overdue,
    tickets_for_phone,
)

TICKET_NUMBER = re.compile(r"^WY\d{12,14}$")


def _line(ticket: Ticket) -> str:
    deadline = f"，预计 {local_text(ticket.resolve_by)} 前完成" if ticket.resolve_by else ""
    overdue = "（已超时，我们正在加急督办）" if is_overdue(ticket) else ""
    return (
        f"工单 {ticket.number}（{CATEGORY_LABELS.get(ticket.category, ticket.category)}，{ticket.priority}）："
        f"{STATUS_LABELS.get(ticket.status, ticket.status)}，负责部门 {ticket.department or '客服中心'}{deadline}{overdue}"
    )


def status_reply(lookup_key: str) -> str:
    key = lookup_key.strip().upper()
    with session_scope() as session:
        if TICKET_NUMBER.match(key):
            ticket = get_ticket(session, key)
            tickets = [ticket] if ticket else []
        else:
            tickets = tickets_for_phone(session, re.sub(r"\D", "", key) if key[:1] == "1" else key)
        lines = [_line(t) for t in tickets]
    if not lines:
        return (
            "非常抱歉，暂时没有查到相关工单，请您核对一下工单号或手机号码；"
            "也可以回复“转人工”，由客服同事为您查询。"
        )
    return "为您查到以下工单：\n" + "\n".join(lines) + "\n请问还有什么可以帮您？"
