"""The resident's own earlier repairs, offered as buttons when they complain that a repair is late
(the complaint form's ``complaint_ticket``) or say that one did not hold (the repair form's
``repair_ticket``, a 返修), and which of them the resident chose."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.intake.coverage import things
from bot.storage import session_scope
from bot.tickets.service import STATUS_LABELS, resident_ticket, ticket_in_community, tickets_of_resident

NO_TICKET = "none"  # the resident's answer "none of these"
MAX_CHOICES = 5  # earlier repairs offered as buttons
WHAT_CHARS = 16  # of a ticket's description on its button
NUMBER_IN_ANSWER = re.compile(r"WY\d{8,}")  # a ticket number typed or a button's, in the resident's answer


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


# 「第一个」「第2张」: the buttons in the order shown; 「上次那个」「最近那次」: the newest (the first).
ORDINAL = re.compile(r"第\s*([一二两三四五1-5])\s*(?:个|张|次|条|单)?")
ORDINALS = {"一": 0, "1": 0, "二": 1, "两": 1, "2": 1, "三": 2, "3": 2, "四": 3, "4": 3, "五": 4, "5": 4}
LATEST = re.compile(r"上次|上一次|最近|刚才|刚刚|最新|最后")


def chosen_ticket(answer: str, candidates: list[EarlierTicket], agreed: bool = False) -> str | None:
    """Which of ``candidates`` the resident named: a ticket number in the answer (a button's or
    typed), the only candidate when the resident just agreed (「对，就是这个」), one by its place in
    the list (「第一个」, 「上次那个」: the newest) or by what it was (「厨房那个」: the only one whose
    description names each thing the answer names), else :data:`NO_TICKET`; None when the answer
    names a number that is not one of theirs."""
    numbers = NUMBER_IN_ANSWER.findall(answer.upper())
    if numbers:
        mine = {c.number for c in candidates}
        return numbers[0] if numbers[0] in mine else None
    if agreed and len(candidates) == 1:
        return candidates[0].number
    place = ORDINAL.search(answer)
    if place and ORDINALS[place.group(1)] < len(candidates):
        return candidates[ORDINALS[place.group(1)]].number
    named = [thing for thing in things(answer) if not LATEST.fullmatch(thing)]
    described = [c for c in candidates if named and all(thing in c.what for thing in named)]
    if len(described) == 1:
        return described[0].number
    if candidates and LATEST.search(answer) and not named:
        return candidates[0].number
    return NO_TICKET


@dataclass(frozen=True)
class NamedRepair:
    """A repair ticket the resident named by its number, and whether it is one of their own."""

    number: str
    own: bool


def named_repair(answer: str, conversation_id: str, phone: str | None = None) -> NamedRepair | None:
    """The repair ticket whose number the resident typed (「WY202612080005」 while a complaint that it
    is late is being registered), when it is one of the community's repairs — as a status lookup by
    number finds it — else None; ``own`` when it is the resident's (this conversation's or their
    phone's), the only tickets a complaint is linked to (DOMAIN.md §4: never another resident's)."""
    numbers = NUMBER_IN_ANSWER.findall((answer or "").upper())
    if not numbers:
        return None
    with session_scope() as session:
        ticket = ticket_in_community(session, numbers[0], conversation_id)
        if ticket is None or ticket.category != "repair":
            return None
        return NamedRepair(ticket.number, resident_ticket(session, ticket.number, conversation_id, phone) is not None)
