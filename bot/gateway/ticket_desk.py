"""Agent-side ticket work: filtered lists, status/department changes, class corrections of messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.storage.models import Annotation, Message, Ticket
from bot.tickets.rules import DEPARTMENTS
from bot.tickets.service import CATEGORIES, STATUSES, get_ticket, list_tickets, ticket_to_dict, update_status
from bot.tickets.transitions import allowed

LABELS = ("inquiry", "repair", "complaint", "emergency")


@dataclass(frozen=True)
class DeskResult:
    ok: bool
    status: int = 200
    error: str = ""
    data: dict[str, Any] | None = None


def filtered_tickets(session: Session, query: dict[str, str]) -> DeskResult:
    category, priority, status = (query.get(k, "").strip() for k in ("category", "priority", "status"))
    if category and category not in CATEGORIES:
        return DeskResult(False, 400, "工单类别不正确")
    if status and status not in STATUSES:
        return DeskResult(False, 400, "工单状态不正确")
    overdue = query.get("overdue", "") in ("1", "true")
    rows = list_tickets(session, category or None, priority or None, status or None, overdue)
    return DeskResult(True, data={"tickets": [ticket_to_dict(t) for t in rows]})


def tickets_of_conversation(session: Session, conversation_id: str) -> list[dict[str, Any]]:
    query = sa.select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id)
    return [ticket_to_dict(t) for t in session.execute(query).scalars()]


def change_ticket(session: Session, number: str, status: str, department: str, actor: str) -> DeskResult:
    ticket = get_ticket(session, number)
    if ticket is None:
        return DeskResult(False, 404, "没有找到这个工单")
    status = status or ticket.status
    if status not in STATUSES:
        return DeskResult(False, 400, "工单状态不正确")
    if department and department not in DEPARTMENTS:
        return DeskResult(False, 400, "部门不正确")
    if status == ticket.status:
        if not department or department == ticket.department or ticket.status == "closed":
            return DeskResult(False, 409, "工单没有可保存的变化")
    elif not allowed(ticket.status, status):
        return DeskResult(False, 409, "工单当前状态不能改为所选状态")
    note = f"转{department}" if department and department != ticket.department else ""
    completed = status == "resolved" and ticket.status != "resolved"
    update_status(session, ticket, status, actor, note=note, department=department or None)
    return DeskResult(True, data={"ticket": ticket_to_dict(ticket), "completed": completed})


def label_message(session: Session, message_id: int, intent: str, author: str) -> DeskResult:
    if intent not in LABELS:
        return DeskResult(False, 400, "类别不正确")
    message = session.get(Message, message_id)
    if message is None or message.role != "resident":
        return DeskResult(False, 404, "没有找到这条居民消息")
    annotation = Annotation(
        message_id=message.id,
        conversation_id=message.conversation_id,
        text=message.text,
        intent=intent,
        source="agent",
        author=author,
    )
    session.add(annotation)
    session.flush()
    return DeskResult(True, data={"annotation_id": annotation.id})
