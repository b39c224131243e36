"""Complaint tickets: class and deadline from DOMAIN.md §3 (seed 003 「客户投诉管理制度」)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import utcnow
from bot.politeness.scripts import honorific
from bot.storage import session_scope
from bot.tickets.rules import (
    COMPLAINT_DEADLINES,
    Deadlines,
    complaint_class,
    complaint_department,
    complaint_subcategory,
    local_deadline_text,
    same_day_answer,
    same_day_window,
)
from bot.tickets.service import NewTicket, create_ticket

SUBJECT_HINTS = [
    ("工作人员服务", r"保安|保洁|客服|管家|前台|门岗|工作人员|态度"),
    ("维修进度", r"报修|维修|修|没人来|拖"),
    ("收费问题", r"收费|物业费|停车费|费用|涨价|乱收"),
    ("邻里噪音或占道", r"噪音|吵|扰民|装修|占道|停车|狗|宠物|群租|广场舞|消防通道"),
    ("环境卫生绿化", r"垃圾|卫生|脏|臭|绿化|蚊|老鼠|油烟"),
    ("停水停电", r"停水|停电|断水|断电|没水|没电"),
]


def subject_from_detail(detail: str | None) -> str | None:
    """The subject when the details already make it clear, so the form need not ask."""
    for subject, pattern in SUBJECT_HINTS:
        if detail and re.search(pattern, detail):
            return subject
    return None


@dataclass(frozen=True)
class ComplaintRequest:
    detail: str
    subject: str
    address: str
    phone: str
    conversation_id: str
    surname: str | None = None
    title: str | None = None


def create_complaint_ticket(request: ComplaintRequest) -> str:
    text = f"{request.subject} {request.detail}"
    level = complaint_class(text)
    deadlines = COMPLAINT_DEADLINES[level]
    if same_day_answer(text, level):
        window = min(deadlines.resolve_within or timedelta(days=1), same_day_window(utcnow()))
        deadlines = Deadlines(deadlines.respond_within, window, "今天之内给您答复")
    department = complaint_department(text)
    with session_scope() as session:
        ticket = create_ticket(
            session,
            NewTicket(
                category="complaint",
                subcategory=complaint_subcategory(text),
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
        number, resolve_by = ticket.number, ticket.resolve_by
    who = honorific(request.surname, request.title)
    lead = "" if who == "您" else f"{who}，"
    return (
        f"{lead}您的投诉已登记，工单号 {number}，等级：{level}。投诉单会在10分钟内转到{department}，"
        f"由专人跟进，我们承诺{deadlines.promise}（最迟 {local_deadline_text(resolve_by)}）。"
        "再次向您致歉，感谢您的监督，请问还有什么可以帮您？"
    )
