"""Agent-side ticket work: filtered lists, status/department changes, class corrections of messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.callbacks.schedule import schedule_after_resolution
from bot.clock import utcnow
from bot.gateway.errors import NO_SUCH
from bot.storage.models import Message, Ticket
from bot.tickets.rules import DEPARTMENTS
from bot.tickets.service import CATEGORIES, FINISHED, STATUSES, get_ticket, list_tickets, ticket_to_dict, update_status
from bot.tickets.transitions import allowed
from bot.trainer.annotations import AnnotationError, annotate
from bot.trainer.labels import AGENT_LABELS

LABELS = AGENT_LABELS  # the classes the console offers for a correction


@dataclass(frozen=True)
class DeskResult:
    ok: bool
    status: int = 200
    error: str = ""
    data: dict[str, Any] | None = None


def filtered_tickets(session: Session, query: dict[str, str], where: Any = None) -> DeskResult:
    category, priority, status = (query.get(k, "").strip() for k in ("category", "priority", "status"))
    if category and category not in CATEGORIES:
        return DeskResult(False, 400, "工单类别不正确")
    if status and status not in STATUSES:
        return DeskResult(False, 400, "工单状态不正确")
    overdue = query.get("overdue", "") in ("1", "true")
    rows = list_tickets(session, category or None, priority or None, status or None, overdue, where=where)
    return DeskResult(True, data={"tickets": [ticket_to_dict(t) for t in rows]})


def tickets_of_conversation(session: Session, conversation_id: str) -> list[dict[str, Any]]:
    query = sa.select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id)
    return [ticket_to_dict(t) for t in session.execute(query).scalars()]


def change_ticket(session: Session, number: str, status: str, department: str, actor: str) -> DeskResult:
    ticket = get_ticket(session, number)
    if ticket is None:
        return DeskResult(False, 404, NO_SUCH["ticket"])
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
    if ticket.responded_at is None and ticket.status not in FINISHED:  # an agent acting on it answers it too
        ticket.responded_at = utcnow()
    update_status(session, ticket, status, actor, note=note, department=department or None)
    # Resolving schedules the callback (回访) by the seed's rules (bot.callbacks.rules), in this transaction.
    scheduled = schedule_after_resolution(session, ticket) if completed else None
    callback = None if scheduled is None else {"id": scheduled.callback_id, "due_from": scheduled.due_from.isoformat(), "due_by": scheduled.due_by.isoformat()}
    return DeskResult(True, data={"ticket": ticket_to_dict(ticket), "completed": completed, "callback": callback})


def label_message(session: Session, message_id: int, intent: str, author: str) -> DeskResult:
    """An agent's class correction of a resident's message, saved through the trainer's ``annotate``
    (``source="agent"``), so it passes the same checks as a trainer's label.

    The agent's word stands against a label conflict or the emergency guard (``override``): the
    trainer sees every correction in the inbox (flag 客服纠正) and decides there. A text that is, holds
    or sits inside an evaluation sentence cannot be a label at all; the correction is then recorded
    as noise — never exported — and still answered as saved: the agent did what was asked of them,
    and which sentences the model is measured on is the trainer's business, not theirs. The answer
    says ``training: false`` for a console that wants to show it.
    """
    if intent not in LABELS:
        return DeskResult(False, 400, "类别不正确")
    message = session.get(Message, message_id)
    if message is None or message.role != "resident":
        return DeskResult(False, 404, NO_SUCH["resident_message"])
    text, conversation_id = message.text, message.conversation_id
    try:
        result = annotate(session, text=text, intent=intent, override=True, author=author, message_id=message.id, conversation_id=conversation_id, source="agent")
        training = not result.refused
        if not training:
            result = annotate(session, text=text, noise=True, author=author, message_id=message.id, conversation_id=conversation_id, source="agent")
    except AnnotationError as error:  # a message without words: nothing to correct
        return DeskResult(False, 400, str(error))
    return DeskResult(True, data={"annotation_id": result.annotation_id, "training": training})
