"""Turns: whether the assistant still owes a resident's message an answer, and who is giving it.

A resident's message is stored before anything else happens (``bot.gateway.relay``); a crash of a
gateway process or of Rasa between that commit and the stored replies would otherwise leave it
unanswered for ever (the widget's resend is only echoed: its client id is stored). So every
resident message records its turn (``messages.turn_state``, migration 0006):

- ``pending``: stored while the bot steers; Rasa has not answered it yet;
- ``done``: Rasa answered and the replies are stored (in the same transaction as this state), or
  the gateway itself answered (a photo's acknowledgement);
- ``flagged``: it waited too long for the assistant (``TURN_STALE_SECONDS``): handed to the agents
  with a handoff request (reason :data:`UNANSWERED`) and a plain notice to the resident;
- ``agents``: written while the agents had the conversation; no Rasa turn is owed.

A pending turn carries a lease (``turn_owner``, ``turn_until``): the gateway process answering it
renews it while it works. Whoever finds a pending turn nobody holds — its process was killed, Rasa
was down, the gateway drained — claims it with one conditional UPDATE, as the lifecycle's
transitions do (of several processes exactly one wins), and runs it through the normal turn path.
A lease with no owner but a time in the future is a back-off: Rasa answered the turn with an error,
try again later. Turns of one conversation are run oldest first: a later one never overtakes a
waiting one (:func:`next_turn`).

Column reads and core statements, no ORM objects: :func:`claim` and :func:`finish` run on every
resident message while the resident waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.conversations.events import Queued
from bot.conversations.lifecycle import conversation_status, request_handoff
from bot.conversations.status import IDLE, Priority
from bot.storage.models import Message

UNANSWERED = "unanswered"  # the handoff request's reason: messages the assistant could not answer in time
MAX_QUOTED = 100  # characters of each message in the request's summary


class TurnState(str, Enum):
    PENDING = "pending"
    DONE = "done"
    FLAGGED = "flagged"
    AGENTS = "agents"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Lease:
    """A gateway process's hold on the turns it runs: its id and how long a hold lasts unrenewed."""

    owner: str
    seconds: float

    def until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class Turn:
    """A resident's message the assistant owes an answer."""

    message_id: int
    conversation_id: str
    text: str  # what the resident wrote (and sees)
    command: str | None  # a quick-reply button's payload: Rasa gets the command, not the title
    created_at: datetime


def begun(lease: Lease, now: datetime) -> dict[str, Any]:
    """The columns of a message stored while the bot steers: pending, held by the process storing it."""
    return {"turn_state": TurnState.PENDING.value, "turn_owner": lease.owner, "turn_until": lease.until(now)}


def settled(state: TurnState) -> dict[str, Any]:
    """The columns of a message that owes no Rasa turn (``done``: answered as it was stored;
    ``agents``: the agents have the conversation)."""
    return {"turn_state": state.value}


def _pending(conversation_id: str | None = None) -> ColumnElement:
    condition = Message.turn_state == TurnState.PENDING.value
    return condition if conversation_id is None else sa.and_(condition, Message.conversation_id == conversation_id)


def _free(owner: str, now: datetime) -> ColumnElement:
    """Held by ``owner``, or by nobody: never held, released, or its lease lapsed (the holder died)."""
    return sa.or_(Message.turn_owner == owner, Message.turn_until.is_(None), Message.turn_until < now)


def _turn(row: Any) -> Turn:
    command = (row.payload or {}).get("command") if isinstance(row.payload, dict) else None
    return Turn(row.id, row.conversation_id, row.text, command if isinstance(command, str) else None, row.created_at)


_TURN_COLUMNS = (Message.id, Message.conversation_id, Message.text, Message.payload, Message.created_at)


def next_turn(session: Session, conversation_id: str) -> Turn | None:
    """The conversation's oldest pending turn (its turns are run in the order they were stored)."""
    row = session.execute(sa.select(*_TURN_COLUMNS).where(_pending(conversation_id)).order_by(Message.id).limit(1)).first()
    return None if row is None else _turn(row)


def pending_turns(session: Session, conversation_id: str) -> list[Turn]:
    rows = session.execute(sa.select(*_TURN_COLUMNS).where(_pending(conversation_id)).order_by(Message.id))
    return [_turn(row) for row in rows]


def waiting_before(session: Session, conversation_id: str, message_id: int) -> bool:
    """Whether an earlier message of the conversation still waits for its turn (it goes first)."""
    query = sa.select(Message.id).where(_pending(conversation_id), Message.id < message_id).limit(1)
    return session.execute(query).first() is not None


def is_pending(session: Session, message_id: int) -> bool:
    return session.execute(sa.select(Message.id).where(Message.id == message_id, _pending())).first() is not None


def claim(session: Session, message_id: int, lease: Lease, now: datetime) -> bool:
    """Hold a pending turn for ``lease.owner``; of several processes claiming it at once one wins
    (on PostgreSQL the loser waits for the winner's row lock, then finds the lease taken)."""
    result = session.execute(
        sa.update(Message)
        .where(Message.id == message_id, _pending(), _free(lease.owner, now))
        .values(turn_owner=lease.owner, turn_until=lease.until(now))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def finish(session: Session, message_id: int, owner: str) -> bool:
    """The turn was answered (call it in the transaction that stores the replies). False when
    ``owner`` no longer holds it: its lease lapsed and another process took the turn over, whose
    answer then stands (the caller stores nothing)."""
    result = session.execute(
        sa.update(Message)
        .where(Message.id == message_id, _pending(), Message.turn_owner == owner)
        .values(turn_state=TurnState.DONE.value, turn_owner=None, turn_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(session: Session, conversation_id: str, owner: str, retry_at: datetime | None = None) -> int:
    """Let go of ``owner``'s pending turns in the conversation without answering them (Rasa could
    not): anyone may take them up again from ``retry_at`` (at once when None)."""
    result = session.execute(
        sa.update(Message)
        .where(_pending(conversation_id), Message.turn_owner == owner)
        .values(turn_owner=None, turn_until=retry_at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def renew(session: Session, message_ids: list[int], lease: Lease, now: datetime) -> int:
    """Extend the leases ``lease.owner`` still holds on these turns (it is alive and working)."""
    if not message_ids:
        return 0
    result = session.execute(
        sa.update(Message)
        .where(Message.id.in_(message_ids), _pending(), Message.turn_owner == lease.owner)
        .values(turn_until=lease.until(now))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _oldest_pending() -> sa.sql.Select:
    return sa.select(sa.func.min(Message.id)).where(_pending()).group_by(Message.conversation_id)


def orphaned(session: Session, now: datetime, limit: int = 50) -> list[str]:
    """Conversations whose oldest pending turn nobody holds (its process died, Rasa could not answer
    it, or it was never started), longest waiting first."""
    rows = session.execute(
        sa.select(Message.conversation_id)
        .where(Message.id.in_(_oldest_pending()), sa.or_(Message.turn_until.is_(None), Message.turn_until < now))
        .order_by(Message.id)
        .limit(limit)
    )
    return list(rows.scalars())


def overdue(session: Session, stored_before: datetime, limit: int = 50) -> list[str]:
    """Conversations whose oldest pending turn was stored before ``stored_before``, oldest first."""
    rows = session.execute(
        sa.select(Message.conversation_id)
        .where(Message.id.in_(_oldest_pending()), Message.created_at < stored_before)
        .order_by(Message.id)
        .limit(limit)
    )
    return list(rows.scalars())


@dataclass(frozen=True)
class Flagged:
    """Turns the assistant will not answer: the agents have them (``queued`` when this put the
    conversation in their queue; None when an agent already had it)."""

    conversation_id: str
    turns: list[Turn]
    queued: Queued | None


def summary(turns: list[Turn]) -> str:
    """What the agents' queue shows for the request: how many messages waited, and their words."""
    return f"智能助手未能及时回复的{len(turns)}条消息：" + "；".join(t.text[:MAX_QUOTED] for t in turns)


def flag_unanswered(session: Session, conversation_id: str, lease: Lease, now: datetime) -> Flagged | None:
    """Hand every pending turn of the conversation to the agents instead of the assistant.

    Used when the oldest waited longer than an answer from the bot still makes sense: a reply to a
    ten-minute-old message after newer ones would confuse, so they go to a human together. A turn
    another process holds alive is left alone (None: it is being answered). Each turn is flagged
    with a conditional UPDATE, so of two processes flagging at once each turn is flagged once.
    While the bot steers (or the conversation was resolved) a handoff request puts it in the
    agents' queue; a waiting or assigned conversation is theirs already."""
    held = sa.select(Message.id).where(_pending(conversation_id), sa.not_(_free(lease.owner, now))).limit(1)
    if session.execute(held).first() is not None:
        return None
    waiting = pending_turns(session, conversation_id)
    flagged = []
    for turn in waiting:
        won = session.execute(
            sa.update(Message)
            .where(Message.id == turn.message_id, _pending(), _free(lease.owner, now))
            .values(turn_state=TurnState.FLAGGED.value, turn_owner=None, turn_until=None)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount == 1:
            flagged.append(turn)
    if not flagged:
        return None
    status = conversation_status(session, conversation_id)
    queued = request_handoff(session, conversation_id, UNANSWERED, Priority.NORMAL, summary(flagged)) if status in IDLE else None
    return Flagged(conversation_id, flagged, queued)
