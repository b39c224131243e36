"""Repair tickets: priority and deadline from DOMAIN.md §2, the summary and the reply."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.politeness import is_polite
from bot.politeness.scripts import honorific
from bot.storage import session_scope
from bot.tickets.masking import mask_phone
from bot.tickets.rules import (
    REPAIR_DEADLINES,
    local_deadline_text,
    repair_priority,
    repair_subcategory,
)
from bot.tickets.service import NewTicket, create_ticket


@dataclass(frozen=True)
class RepairRequest:
    problem: str
    address: str
    phone: str
    visit_time: str
    conversation_id: str
    surname: str | None = None
    title: str | None = None


_CLAUSES = re.compile(r"[，。,.!！?？；;、\n]+")
ECHO_WITHHELD = "已按您的原话记录，稍后由客服与您核实"


def echo(value: str) -> str:
    """The resident's own words, as repeated in a bot message.

    Residents write "你们快点来修，马桶堵了"; the bot must not say 你/快点 itself (DOMAIN §7), so the
    clauses the politeness checker would flag are left out of the echo (the ticket keeps the
    original). When nothing is left, a neutral note stands in for it.
    """
    clauses = [c.strip() for c in _CLAUSES.split(value or "") if c.strip()]
    kept = [c for c in clauses if is_polite(c)]
    if len(kept) == len(clauses):
        return value
    return "，".join(kept) if kept else ECHO_WITHHELD


def repair_summary(request: RepairRequest) -> str:
    priority = repair_priority(request.problem)
    return (
        "请您确认报修信息：\n"
        f"· 报修内容：{echo(request.problem)}\n"
        f"· 地址：{echo(request.address)}\n"
        f"· 联系电话：{echo(mask_phone(request.phone) or request.phone)}\n"
        f"· 上门时间：{echo(request.visit_time)}\n"
        f"· 预计类别：{priority}\n"
        "信息无误请点“确认”；需要修改请直接发送新的地址、电话或时间。"
    )


def create_repair_ticket(request: RepairRequest) -> str:
    """Create the ticket and return the reply with its number, priority and promised deadline."""
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
                department="工程部",
                deadlines=deadlines,
                address=request.address,
                contact_phone=request.phone,
                contact_name=honorific(request.surname, request.title) if request.surname else "",
                visit_time=request.visit_time,
                conversation_id=request.conversation_id,
            ),
        )
        number, resolve_by = ticket.number, ticket.resolve_by
    who = honorific(request.surname, request.title)
    lead = "" if who == "您" else f"{who}，"
    return (
        f"{lead}报修已登记，工单号 {number}，类别：{priority}。我们承诺{deadlines.promise}"
        f"（最迟 {local_deadline_text(resolve_by)} 前），工程部会按您约定的时间（{echo(request.visit_time)}）联系您。"
        "户内有偿维修会先报价，经您同意后再施工。感谢您的耐心，请问还有什么可以帮您？"
    )
