"""Emergencies: an emergency ticket and a place in the agent queue; the action gives the safety
instructions at once (bot.safety, ``emergency.*`` in bot/texts/zh_CN.yml)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.communities import community_of_conversation
from bot.conversations.alerts import AlertSource, raise_alert
from bot.nlu.emergency import assess
from bot.politeness.scripts import honorific
from bot.safety import procedure_for
from bot.storage import session_scope
from bot.tickets.rules import EMERGENCY_DEADLINES
from bot.tickets.service import NewTicket, create_ticket


@dataclass(frozen=True)
class EmergencyOutcome:
    """The ticket and what the resident must still tell us; the action words it (``emergency.*``)."""

    ticket_number: str
    kind: str  # the danger (bot.safety.PROCEDURES), whose instructions the resident gets at once
    address_missing: bool
    phone_missing: bool
    duty_phone: str = ""  # the resident's community's 24-hour duty phone (bot.communities)


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
        # Joins the request the gateway's early alert queued for this text, if it did (one queue
        # entry, one alert); otherwise queues the conversation.
        raise_alert(session, conversation_id, kind=kind, text=text, source=AlertSource.ACTION, ticket_id=ticket.id)
        number = ticket.number
        duty_phone = community_of_conversation(session, conversation_id).duty_phone
    return EmergencyOutcome(number, kind, address_missing=not address, phone_missing=not phone, duty_phone=duty_phone)
