"""What happens to a callback: asked in the chat, claimed and recorded by an agent, answered by the
resident, followed up when the answer is unhappy, moved to the phone list when unanswered.

Every change of status is a conditional UPDATE (``… WHERE status IN (…)``), as the conversation
lifecycle's (:mod:`bot.conversations.lifecycle`): of two gateway processes sending the same due
callback, or two agents claiming it, exactly one wins; a callback is answered once. The sender
stores the chat message in the transaction of its claim, so a callback is asked once even across
a crash or a restart (the message waits in the history if the resident is not online).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.callbacks import rules
from bot.callbacks.schedule import insert
from bot.callbacks.status import AGENT_METHODS, Channel, Method, State, Status, state_of
from bot.clock import as_utc
from bot.satisfaction import Level, by_label
from bot.storage.models import Callback, SatisfactionRating, Ticket
from bot.surveys.form import CASE_ITEMS
from bot.tickets.masking import mask_phone
from bot.tickets.service import follow_up_ticket, update_status
from bot.tickets.transitions import allowed

MAX_REMARK = 500
RESIDENT = "resident"  # done_by of an answer in the chat


class Account(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...


class Refusal(str, Enum):
    """Why a callback action did not happen (the gateway words it)."""

    NOT_FOUND = "not_found"
    ALREADY_DONE = "already_done"
    NOT_CLAIMABLE = "not_claimable"  # not due, taken by someone else, or another role's
    NOT_YOURS = "not_yours"  # recording a callback someone else claimed
    BAD_INPUT = "bad_input"


@dataclass(frozen=True)
class FollowUp:
    """What an unhappy answer started: the reopened (or new) ticket and the next callback."""

    ticket_number: str
    department: str
    reopened: bool  # False: the ticket was closed, a follow-up ticket was opened
    next_callback_id: int | None


@dataclass(frozen=True)
class Completed:
    callback_id: int
    ticket_number: str
    conversation_id: str
    resolved: bool
    level: Level
    follow_up: FollowUp | None

    @property
    def unhappy(self) -> bool:
        return self.follow_up is not None


@dataclass(frozen=True)
class ChatCallback:
    """A callback this caller claimed for asking in the chat: what the question names."""

    callback_id: int
    conversation_id: str
    ticket_number: str
    kind: str
    description: str
    ticket_created_at: datetime
    attempt: int


# --------------------------------------------------------------------------- asking in the chat


def due_for_chat(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Callbacks whose window has opened and that the assistant is to ask in the chat."""
    query = (
        sa.select(Callback.id)
        .where(Callback.status == Status.SCHEDULED, Callback.channel == Channel.CHAT, Callback.due_from <= now)
        .order_by(Callback.due_from, Callback.id)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def conversations_of(session: Session, callback_ids: list[int]) -> dict[int, str]:
    """Each callback's conversation (the chat it is asked in: its turn lock is taken first), in the
    order of ``callback_ids``."""
    if not callback_ids:
        return {}
    found = dict(session.execute(sa.select(Callback.id, Callback.conversation_id).where(Callback.id.in_(callback_ids))).all())
    return {callback_id: found[callback_id] for callback_id in callback_ids if callback_id in found}


def claim_for_chat(session: Session, callback_id: int, now: datetime) -> ChatCallback | None:
    """Take a due chat callback for sending; exactly one of several gateway processes gets it."""
    won = session.execute(
        sa.update(Callback)
        .where(Callback.id == callback_id, Callback.status == Status.SCHEDULED, Callback.channel == Channel.CHAT, Callback.due_from <= now)
        .values(status=Status.SENT, sent_at=now)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:
        return None
    row = session.execute(
        sa.select(Callback.conversation_id, Callback.kind, Callback.attempt, Ticket.number, Ticket.description, Ticket.created_at)
        .join(Ticket, Ticket.id == Callback.ticket_id)
        .where(Callback.id == callback_id)
    ).one()
    return ChatCallback(callback_id, row.conversation_id, row.number, row.kind, row.description, row.created_at, row.attempt)


def attach_message(session: Session, callback_id: int, message_id: int) -> None:
    session.execute(sa.update(Callback).where(Callback.id == callback_id).values(message_id=message_id).execution_options(synchronize_session=False))


def move_unanswered(session: Session, now: datetime) -> int:
    """Chat callbacks the resident left unanswered for the set time go to the phone list; how many.

    The resident may still answer the question in the chat afterwards (it stays in the history)."""
    result = session.execute(
        sa.update(Callback)
        .where(Callback.status == Status.SENT, Callback.sent_at < now - rules.chat_timeout())
        .values(status=Status.SCHEDULED, channel=Channel.PHONE)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


# --------------------------------------------------------------------------- agents


def claimable(callback: Callback, account: Account, now: datetime) -> bool:
    """Due (its window has opened), not taken, on the phone list or already asked in the chat, and
    of the account's role (bot.callbacks.rules.may_make)."""
    status = Status(callback.status)
    return (
        status in (Status.SCHEDULED, Status.SENT)
        and (Channel(callback.channel) is Channel.PHONE or status is Status.SENT)
        and as_utc(callback.due_from) <= now
        and rules.may_make(callback.assignee_role, account.role)
    )


def recordable(callback: Callback, account: Account) -> bool:
    return Status(callback.status) is Status.CLAIMED and callback.claimed_by == account.name


def _callback(session: Session, callback_id: int) -> Callback | None:
    """The callback a request names (its id was read at the edge: bot.inbound.row_id)."""
    return session.get(Callback, callback_id)


def claim(session: Session, callback_id: int, account: Account, now: datetime) -> Refusal | None:
    """An agent takes a due callback to call or visit; of two racing agents exactly one wins."""
    callback = _callback(session, callback_id)
    if callback is None:
        return Refusal.NOT_FOUND
    if Status(callback.status) is Status.DONE:
        return Refusal.ALREADY_DONE
    if not claimable(callback, account, now):
        return Refusal.NOT_CLAIMABLE
    won = session.execute(
        sa.update(Callback)
        .where(
            Callback.id == callback_id,
            Callback.status.in_((Status.SCHEDULED, Status.SENT)),
            sa.or_(Callback.channel == Channel.PHONE, Callback.status == Status.SENT),
        )
        .values(status=Status.CLAIMED, claimed_by=account.name, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire(callback)
    return None if won.rowcount == 1 else Refusal.NOT_CLAIMABLE


def record(
    session: Session, callback_id: int, account: Account, *, method: object, resolved: object, level: object, remark: object, now: datetime
) -> Completed | Refusal:
    """The agent's record of a call or visit: method, whether it is fixed, the level, a remark."""
    chosen, fixed, note = by_label(level), resolved, remark if isinstance(remark, str) else ""
    if method not in {m.value for m in AGENT_METHODS} or chosen is None or not isinstance(fixed, bool) or len(note) > MAX_REMARK:
        return Refusal.BAD_INPUT
    callback = _callback(session, callback_id)
    if callback is None:
        return Refusal.NOT_FOUND
    if Status(callback.status) is Status.DONE:
        return Refusal.ALREADY_DONE
    if not recordable(callback, account):
        return Refusal.NOT_YOURS
    condition = (Callback.status == Status.CLAIMED, Callback.claimed_by == account.name)
    return _complete(session, callback, condition, Method(str(method)), account.name, fixed, chosen, note.strip(), now)


# --------------------------------------------------------------------------- the resident


def answer(
    session: Session, callback_id: int, conversation_id: str, *, resolved: object, level: object, remark: object, now: datetime
) -> Completed | Refusal:
    """The resident's answer in the chat (buttons and a remark), to a callback asked there."""
    chosen, note = by_label(level), remark if isinstance(remark, str) else ""
    if chosen is None or not isinstance(resolved, bool) or len(note) > MAX_REMARK:
        return Refusal.BAD_INPUT
    callback = _callback(session, callback_id)
    if callback is None or callback.conversation_id != conversation_id or callback.sent_at is None:
        return Refusal.NOT_FOUND
    if Status(callback.status) is Status.DONE:
        return Refusal.ALREADY_DONE
    # The resident's word counts even when an agent had claimed it to call meanwhile.
    condition = (Callback.status != Status.DONE,)
    return _complete(session, callback, condition, Method.CHAT, RESIDENT, resolved, chosen, note.strip(), now)


# --------------------------------------------------------------------------- completing


def _complete(
    session: Session, callback: Callback, condition: tuple[Any, ...], method: Method, by: str, resolved: bool, level: Level, remark: str, now: datetime
) -> Completed | Refusal:
    won = session.execute(
        sa.update(Callback)
        .where(Callback.id == callback.id, *condition)
        .values(status=Status.DONE, done_at=now, done_by=by, method=method, resolved=resolved, level=level.label, score=level.score, remark=remark)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:
        return Refusal.ALREADY_DONE
    session.expire(callback)
    area, item = CASE_ITEMS[callback.kind]
    session.add(
        SatisfactionRating(
            conversation_id=callback.conversation_id,
            level=level.label,
            score=level.score,
            source="callback",
            area=area,
            item=item,
            callback_id=callback.id,
            community_id=callback.community_id,
            created_at=now,
        )
    )
    ticket = session.get(Ticket, callback.ticket_id)
    follow = follow_up(session, callback, ticket, by, now) if rules.unhappy(resolved, level) else None
    session.flush()
    return Completed(callback.id, ticket.number, callback.conversation_id, resolved, level, follow)


def follow_up(session: Session, callback: Callback, ticket: Ticket, actor: str, now: datetime) -> FollowUp:
    """Reopen the ticket (or open a follow-up ticket when it was closed) and schedule the next
    callback, by the manager, by phone (bot.callbacks.rules: Unhappy)."""
    note = f"回访未解决或不满意（第{callback.attempt}次回访），重新处理"
    if allowed(ticket.status, "in_progress"):
        update_status(session, ticket, "in_progress", actor, note=note)
        target, reopened = ticket, True
    else:
        description = f"【回访跟进 {ticket.number}】{ticket.description}"
        target, reopened = follow_up_ticket(session, ticket, description, actor if actor != RESIDENT else "bot"), False
        session.execute(sa.update(Callback).where(Callback.id == callback.id).values(follow_up_ticket_id=target.id).execution_options(synchronize_session=False))
    # The case's next callback (a second, third …), also on a follow-up ticket.
    plan = rules.follow_up_plan(callback.kind, callback.attempt + 1, now)
    scheduled = insert(session, target, plan, now, previous_id=callback.id)
    return FollowUp(target.number, target.department, reopened, None if scheduled is None else scheduled.id)


# --------------------------------------------------------------------------- the agents' list


def as_item(callback: Callback, ticket: Ticket, account: Account, now: datetime) -> dict[str, Any]:
    """A callback for the console: the case, the window, the state, and what the account may do.
    The phone number is shown whole only to the agent who claimed the callback (to call it)."""
    mine = Status(callback.status) is Status.CLAIMED and callback.claimed_by == account.name
    return {
        "id": callback.id,
        "ticket": ticket.number,
        "kind": callback.kind,
        "priority": ticket.priority,
        "description": ticket.description,
        "address": ticket.address,
        "contact_name": ticket.contact_name,
        "contact_phone": ticket.contact_phone if mine else mask_phone(ticket.contact_phone),
        "conversation_id": callback.conversation_id,
        "attempt": callback.attempt,
        "assignee_role": callback.assignee_role,
        "channel": callback.channel,
        "status": callback.status,
        "state": state_of(callback, now).value,
        "due_from": as_utc(callback.due_from).isoformat(),
        "due_by": as_utc(callback.due_by).isoformat(),
        "sent_at": None if callback.sent_at is None else as_utc(callback.sent_at).isoformat(),
        "claimed_by": callback.claimed_by,
        "done_at": None if callback.done_at is None else as_utc(callback.done_at).isoformat(),
        "done_by": callback.done_by,
        "method": callback.method,
        "method_label": None if callback.method is None else Method(callback.method).label,
        "resolved": callback.resolved,
        "level": callback.level,
        "remark": callback.remark,
        "capabilities": {"claim": claimable(callback, account, now), "record": recordable(callback, account)},
    }


LIST_STATES = (State.DUE, State.AWAITING, State.OVERDUE, State.DONE)
DONE_SHOWN = 50  # the most recent done callbacks the list keeps


def listing(session: Session, account: Account, now: datetime) -> list[dict[str, Any]]:
    """The agents' 回访 list: due and awaiting (window open), overdue, and the latest done; the
    callbacks whose window has not opened are not shown. Overdue first, then by due time."""
    open_rows = session.execute(
        sa.select(Callback, Ticket).join(Ticket, Ticket.id == Callback.ticket_id).where(Callback.status != Status.DONE, Callback.due_from <= now)
    ).all()
    done_rows = session.execute(
        sa.select(Callback, Ticket).join(Ticket, Ticket.id == Callback.ticket_id).where(Callback.status == Status.DONE).order_by(Callback.done_at.desc()).limit(DONE_SHOWN)
    ).all()
    items = [as_item(c, t, account, now) for c, t in [*open_rows, *done_rows]]
    order = {state.value: index for index, state in enumerate((State.OVERDUE, State.DUE, State.AWAITING, State.DONE))}
    return sorted(items, key=lambda i: (order[i["state"]], i["due_by"] if i["state"] != "done" else "", i["id"]))


def item(session: Session, callback_id: int, account: Account, now: datetime) -> dict[str, Any] | None:
    row = session.execute(sa.select(Callback, Ticket).join(Ticket, Ticket.id == Callback.ticket_id).where(Callback.id == callback_id)).first()
    return None if row is None else as_item(row[0], row[1], account, now)
