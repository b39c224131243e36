"""The resident's own earlier repairs, offered as buttons when they complain that a repair is late
(the complaint form's ``complaint_ticket``) or say that one did not hold (the repair form's
``repair_ticket``, a 返修), and which of them the resident chose."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.storage import session_scope
from bot.tickets.service import STATUS_LABELS, tickets_of_resident

NO_TICKET = "none"  # the resident's answer "none of these"
MAX_CHOICES = 5  # earlier repairs offered as buttons
WHAT_CHARS = 16  # of a ticket's description on its button


@dataclass(frozen=True)
class EarlierTicket:
    """One of the resident's earlier repairs, as offered when they complain that a repair is late or
    say that one did not hold."""

    number: str
    what: str  # the start of its description
    status: str  # 已受理 … 已完成 (bot.tickets.service.STATUS_LABELS)


def earlier_repairs(conversation_id: str, phone: str | None) -> list[EarlierTicket]:
    """The resident's own repair tickets, newest first (this conversation's, and their phone's)."""
    with session_scope() as session:
        found = tickets_of_resident(session, conversation_id, phone, category="repair", limit=MAX_CHOICES)
        return [EarlierTicket(t.number, t.description.strip().splitlines()[0][:WHAT_CHARS] if t.description.strip() else "", STATUS_LABELS.get(t.status, t.status)) for t in found]


def chosen_ticket(answer: str, candidates: list[EarlierTicket], agreed: bool = False) -> str | None:
    """Which of ``candidates`` the resident named: a ticket number in the answer (a button's or
    typed), the only candidate when the resident just agreed (「对，就是这个」), :data:`NO_TICKET`
    when the answer names none; None when it names a number that is not one of theirs."""
    numbers = re.findall(r"WY\d{8,}", answer.upper())
    if numbers:
        mine = {c.number for c in candidates}
        return numbers[0] if numbers[0] in mine else None
    if agreed and len(candidates) == 1:
        return candidates[0].number
    return NO_TICKET
