"""Emergencies: safety instructions at once, an emergency ticket, a place in the agent queue."""

from __future__ import annotations

from dataclasses import dataclass

from bot.handoff.queue import PRIORITY_EMERGENCY, request_handoff
from bot.nlu.emergency import assess
from bot.politeness.scripts import honorific
from bot.safety import procedure_for
from bot.storage import session_scope
from bot.tickets.rules import EMERGENCY_DEADLINES
from bot.tickets.service import NewTicket, create_ticket


@dataclass(frozen=True)
class EmergencyOutcome:
    ticket_number: str
    kind: str
    reply: str


def emergency_reply(kind: str, ticket_number: str, have_address: bool, have_phone: bool, who: str = "您") -> str:
    procedure = procedure_for(kind)
    missing = []
    if not have_address:
        missing.append("具体地址（楼号、单元、房号）")
    if not have_phone:
        missing.append("联系电话")
    ask = f"请您马上告诉我们{'和'.join(missing)}，" if missing else ""
    lead = "" if who == "您" else f"{who}，"
    return (
        f"{lead}我们已收到您的紧急求助（工单号 {ticket_number}），值班人员正在接入，请您不要离开对话。"
        f"{procedure.instructions}"
        f"{ask}我们会第一时间赶到。"
    )


def handle_emergency(
    conversation_id: str,
    text: str,
    address: str | None,
    phone: str | None,
    surname: str | None = None,
    title: str | None = None,
) -> EmergencyOutcome:
    kind = assess(text).primary_type
    procedure = procedure_for(kind)
    with session_scope() as session:
        ticket = create_ticket(
            session,
            NewTicket(
                category="emergency",
                subcategory=kind,
                priority="紧急",
                description=text,
                department=procedure.department,
                deadlines=EMERGENCY_DEADLINES,
                address=address or "",
                contact_phone=phone or "",
                contact_name=honorific(surname, title) if surname else "",
                conversation_id=conversation_id,
            ),
        )
        request_handoff(
            session,
            conversation_id,
            reason="emergency",
            priority=PRIORITY_EMERGENCY,
            summary=f"{procedure.label}：{text[:200]}",
            ticket_id=ticket.id,
        )
        number = ticket.number
    reply = emergency_reply(kind, number, bool(address), bool(phone), honorific(surname, title))
    return EmergencyOutcome(number, kind, reply)
