"""Emergencies: an emergency ticket and a place in the agent queue; the action gives the safety
instructions at once (bot.safety, ``emergency.*`` in bot/texts/zh_CN.yml)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot import texts
from bot.communities import community_of_conversation
from bot.conversations.alerts import AlertSource, attach_ticket, claim_alerts, raise_alert
from bot.conversations.events import Queued
from bot.nlu.emergency import assess
from bot.nlu.entities import first_value
from bot.politeness.scripts import honorific
from bot.safety import procedure_for
from bot.storage import session_scope
from bot.storage.models import Ticket
from bot.tickets.masking import mask_phone
from bot.tickets.rules import EMERGENCY_DEADLINES
from bot.tickets.service import NewTicket, add_note, create_ticket, get_ticket


@dataclass(frozen=True)
class EmergencyOutcome:
    """The ticket and what the resident must still tell us; the action words it (``emergency.*``)."""

    ticket_number: str
    kind: str  # the danger (bot.safety.PROCEDURES), whose instructions the resident gets at once
    address_missing: bool
    phone_missing: bool
    duty_phone: str = ""  # the resident's community's 24-hour duty phone (bot.communities)

    @property
    def ask_key(self) -> str | None:
        """The catalogue's question for what is still missing (``emergency.ask_*``), None if nothing is."""
        if self.address_missing and self.phone_missing:
            return "emergency.ask_address_and_phone"
        if self.address_missing:
            return "emergency.ask_address"
        return "emergency.ask_phone" if self.phone_missing else None

    def text_values(self) -> dict[str, str]:
        """The placeholders of ``emergency.received`` (and its variant for a case an agent has):
        the danger's instructions, the duty phone, the ticket and what we still need to know."""
        ask = texts.render(self.ask_key) if self.ask_key else ""
        return {"instructions": procedure_for(self.kind).instructions, "duty_phone": self.duty_phone, "number": self.ticket_number, "ask": ask}


def handle_emergency(
    conversation_id: str,
    text: str,
    address: str | None,
    phone: str | None,
    surname: str | None = None,
    title: str | None = None,
) -> EmergencyOutcome:
    kind = assess(text).procedure_kind
    with session_scope() as session:
        ticket = _open_ticket(session, conversation_id, text, kind, address, phone, honorific(surname, title) if surname else "")
        # Joins the request the gateway's early alert queued for this text, if it did (one queue
        # entry, one alert); otherwise queues the conversation.
        raise_alert(session, conversation_id, kind=kind, text=text, source=AlertSource.ACTION, ticket_id=ticket.id)
        return _outcome(session, conversation_id, ticket, kind)


@dataclass(frozen=True)
class RaisedWithAgents:
    """A live emergency written while the conversation was with the agents: the alerts this
    process announces after commit, and the outcome — None when the conversation's current wait
    already had its emergency (the resident's words joined it; no second ticket)."""

    alerts: list[Queued] = field(default_factory=list)
    outcome: EmergencyOutcome | None = None


def raise_with_agents(session: Session, conversation_id: str, text: str, kind: str) -> RaisedWithAgents:
    """「厨房着火了」 from a resident waiting for an agent, or talking with one. Rasa is paused then
    (it only records the text), so no emergency action runs: the gateway raises the alert here, at
    emergency priority (the queue puts the case first; an agent who has it keeps it), and opens the
    emergency ticket with what the message says of the place and the phone — in the transaction
    that stores the message (DOMAIN §5: an emergency goes to a person at once, with its ticket)."""
    queued = raise_alert(session, conversation_id, kind=kind, text=text, source=AlertSource.GATEWAY)
    if queued is None:
        return RaisedWithAgents(claim_alerts(session, conversation_id))
    ticket = _open_ticket(session, conversation_id, text, kind, first_value(text, "address"), first_value(text, "phone"))
    attach_ticket(session, queued.request_id, ticket.id)
    return RaisedWithAgents([queued], _outcome(session, conversation_id, ticket, kind))


def _open_ticket(
    session: Session, conversation_id: str, text: str, kind: str, address: str | None, phone: str | None, contact_name: str = ""
) -> Ticket:
    return create_ticket(
        session,
        NewTicket(
            category="emergency",
            subcategory=kind,
            priority="紧急",
            description=text,
            department=procedure_for(kind).department,
            deadlines=EMERGENCY_DEADLINES,
            address=address or "",
            contact_phone=phone or "",
            contact_name=contact_name,
            conversation_id=conversation_id,
        ),
    )


def _outcome(session: Session, conversation_id: str, ticket: Ticket, kind: str) -> EmergencyOutcome:
    duty_phone = community_of_conversation(session, conversation_id).duty_phone
    return EmergencyOutcome(ticket.number, kind, address_missing=not ticket.address, phone_missing=not ticket.contact_phone, duty_phone=duty_phone)


@dataclass(frozen=True)
class ContactDetails:
    """What a later message added to an emergency's ticket (either may be empty)."""

    address: str
    phone: str


def add_contact_details(session: Session, ticket_number: str | None, text: str) -> ContactDetails | None:
    """The address or phone a resident writes while their emergency waits for an agent
    (「5栋2单元301 13812345678」, as the safety instructions asked) goes on the emergency's ticket
    where it is still missing, with a note in its history — so the agents' queue names the place at
    once. None when the message adds neither (a known value is never overwritten here: the agent
    who claims the case confirms any change with the resident)."""
    ticket = get_ticket(session, ticket_number) if ticket_number else None
    if ticket is None:
        return None
    address = "" if ticket.address else first_value(text, "address") or ""
    phone = "" if ticket.contact_phone else first_value(text, "phone") or ""
    if not (address or phone):
        return None
    if address:
        ticket.address = address
    if phone:
        ticket.contact_phone = phone
    details = ContactDetails(address, phone)
    add_note(session, ticket, f"居民补充：{details_text(details)}", actor="resident")
    return details


def details_text(details: ContactDetails) -> str:
    """「地址 5-2-301、电话 138****5678」: the details as the resident's acknowledgement and the
    ticket's history both name them (the phone masked)."""
    parts = (
        texts.render("aftercare.noted_address", address=details.address) if details.address else "",
        texts.render("aftercare.noted_phone", phone=mask_phone(details.phone)) if details.phone else "",
    )
    return "、".join(part for part in parts if part)
