"""The transitions of a conversation and the queue's reads.

Every transition is a conditional UPDATE (``… WHERE status IN (…)``) so that concurrent callers,
in one process or several, cannot both win: of two agents claiming at the same moment exactly one
gets ``Claimed``, the other ``None``. Column reads and core statements, no ORM objects: these run
on every resident message while the resident waits.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot.clock import utcnow
from bot.conversations.events import Claimed, HandedBack, Queued, Released, Reopened, Resolved, Withdrawn
from bot.conversations.status import IDLE, WITH_AGENTS, Priority, Status
from bot.storage.models import Conversation, HandoffRequest, community_id_of, default_community_id

PENDING_ORDER = (Conversation.priority.asc(), Conversation.waiting_since.asc())  # most urgent, then longest waiting
ASSIGNED_ORDER = (Conversation.priority.asc(), Conversation.updated_at.asc())
MAX_SUMMARY = 2000


def ensure_conversation(session: Session, conversation_id: str, community_id: int | None = None) -> None:
    """Create the conversation (with the bot) unless it exists; safe against a concurrent creator.
    A new conversation belongs to ``community_id``, or to the default (first) community when the
    caller knows none (bot.communities; an existing conversation keeps its own)."""
    if session.execute(sa.select(Conversation.id).where(Conversation.id == conversation_id)).first() is None:
        _create(session, conversation_id, community_id)


def _create(session: Session, conversation_id: str, community_id: int | None = None) -> None:
    """INSERT … ON CONFLICT DO NOTHING: of two processes creating it at once, one does."""
    now = utcnow()
    community = community_id if community_id is not None else default_community_id()
    values = {"id": conversation_id, "status": Status.BOT, "priority": Priority.NORMAL, "created_at": now, "updated_at": now, "community_id": community}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(Conversation).values(**values).on_conflict_do_nothing(index_elements=["id"]))
    elif dialect == "sqlite":
        session.execute(sqlite.insert(Conversation).values(**values).on_conflict_do_nothing(index_elements=["id"]))
    else:
        session.execute(sa.insert(Conversation).values(**values))


def _stored_status(session: Session, conversation_id: str) -> Status | None:
    value = session.execute(sa.select(Conversation.status).where(Conversation.id == conversation_id)).scalar()
    return None if value is None else Status(value)


def conversation_status(session: Session, conversation_id: str) -> Status:
    """The stored status; a conversation never seen is with the bot."""
    return _stored_status(session, conversation_id) or Status.BOT


def enter_queue(session: Session, conversation_id: str, priority: Priority, now: datetime) -> tuple[Status, bool]:
    """Make the conversation wait for an agent, or raise its priority if a human already has it.

    Returns the status it has now and whether this call started the wait: the conditional UPDATE
    decides that among concurrent callers (on PostgreSQL the loser waits for the winner's row
    lock, then finds the row no longer idle). A conversation never seen is created first; one
    that exists costs no look before the UPDATE (this runs in a live emergency's transaction)."""
    if _start_wait(session, conversation_id, priority, now):
        return Status.PENDING, True
    status = _stored_status(session, conversation_id)
    if status is None:
        _create(session, conversation_id)
        if _start_wait(session, conversation_id, priority, now):
            return Status.PENDING, True
        status = conversation_status(session, conversation_id)  # another process created and queued it
    # Already waiting or assigned: a more urgent request raises the priority, a less urgent one
    # never lowers it; the conversation keeps its place in time.
    session.execute(
        sa.update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(priority=sa.case((Conversation.priority > int(priority), int(priority)), else_=Conversation.priority), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return status, False


def _start_wait(session: Session, conversation_id: str, priority: Priority, now: datetime) -> bool:
    """The conversation, if idle, now waits for an agent (True); False when it is not idle or absent."""
    started = session.execute(
        sa.update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.status.in_(IDLE))
        .values(status=Status.PENDING, priority=priority, waiting_since=now, assigned_agent=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return started.rowcount == 1


def add_request(
    session: Session,
    conversation_id: str,
    reason: str,
    priority: Priority,
    summary: str,
    ticket_id: int | None,
    now: datetime,
    kind: str | None = None,
    announced: bool = False,
) -> int:
    """Insert a handoff request row, not yet announced to the consoles (``alerted_at`` empty)
    unless ``announced``: the caller sends its alert itself once this transaction commits.
    ``kind``: an emergency's danger (``bot.safety.PROCEDURES``, or two joined: ``medical+lift``), for the advice while it waits."""
    result = session.execute(
        sa.insert(HandoffRequest).values(
            conversation_id=conversation_id,
            reason=reason,
            priority=priority,
            ticket_id=ticket_id,
            summary=summary[:MAX_SUMMARY],
            created_at=now,
            kind=kind,
            alerted_at=now if announced else None,
            community_id=community_id_of(conversation_id),
        )
    )
    return int(result.inserted_primary_key[0])


def request_handoff(
    session: Session,
    conversation_id: str,
    reason: str,
    priority: Priority | int,
    summary: str = "",
    ticket_id: int | None = None,
) -> Queued:
    """Queue: put the conversation in the agents' queue (or raise its priority if it is already
    there) with a new handoff request. Emergencies go through :func:`bot.conversations.alerts.raise_alert`,
    which joins an emergency already queued instead of adding a second request."""
    priority = Priority(priority)
    now = utcnow()
    status, _ = enter_queue(session, conversation_id, priority, now)
    request_id = add_request(session, conversation_id, reason, priority, summary, ticket_id, now)
    return Queued(conversation_id, request_id, reason, priority, status)


def _close_requests(session: Session, conversation_id: str, now: datetime) -> None:
    """An agent dealt with the open requests (claimed, handed back or resolved the conversation)."""
    session.execute(
        sa.update(HandoffRequest)
        .where(HandoffRequest.conversation_id == conversation_id, HandoffRequest.handled_at.is_(None))
        .values(handled_at=now)
        .execution_options(synchronize_session=False)
    )


def _move(
    session: Session, conversation_id: str, from_statuses: tuple[Status, ...], to: Status, *, handled: bool = True, **values: object
) -> bool:
    """The conditional UPDATE of every transition; ``handled``: an agent dealt with the open requests."""
    now = utcnow()
    result = session.execute(
        sa.update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.status.in_(from_statuses))
        .values(status=to, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    if handled:
        _close_requests(session, conversation_id, now)
    return True


def claim(session: Session, conversation_id: str, agent: str, display_name: str | None = None) -> Claimed | None:
    """Assign a waiting conversation; exactly one of two racing agents wins. ``agent`` is the login
    name; ``display_name`` what the resident is told (the claim notice names the agent)."""
    if _move(session, conversation_id, (Status.PENDING,), Status.ASSIGNED, assigned_agent=agent):
        return Claimed(conversation_id, agent, display_name)
    return None


def hand_back(session: Session, conversation_id: str, agent: str | None = None, display_name: str | None = None) -> HandedBack | None:
    """The agent gives the conversation back to the bot (a waiting one may be handed back unclaimed)."""
    if _move(session, conversation_id, WITH_AGENTS, Status.BOT, assigned_agent=None, waiting_since=None):
        return HandedBack(conversation_id, agent, display_name)
    return None


def resolve(session: Session, conversation_id: str, agent: str | None = None, display_name: str | None = None) -> Resolved | None:
    """The agent ends the conversation (a waiting one may be resolved unclaimed). ``resolved_at``
    marks where the case ended: a later photo or ticket belongs to a new one."""
    if _move(session, conversation_id, WITH_AGENTS, Status.RESOLVED, resolved_at=utcnow()):
        return Resolved(conversation_id, agent, display_name)
    return None


def _withdrawable(conversation_id: str) -> sa.sql.ColumnElement:
    return sa.and_(Conversation.id == conversation_id, Conversation.status == Status.PENDING, Conversation.priority != Priority.EMERGENCY)


def may_withdraw(session: Session, conversation_id: str) -> bool:
    """Whether the resident may take back their request now (:func:`withdraw`)."""
    return session.execute(sa.select(Conversation.id).where(_withdrawable(conversation_id))).first() is not None


def withdraw(session: Session, conversation_id: str) -> Withdrawn | None:
    """The resident takes back a request for an agent nobody has claimed yet: back to the bot, its
    requests closed. One conditional UPDATE: nothing happens once an agent has claimed it, nor to an
    emergency — whatever its resident writes, an agent follows it up (DOMAIN.md §5)."""
    now = utcnow()
    moved = session.execute(
        sa.update(Conversation)
        .where(_withdrawable(conversation_id))
        .values(status=Status.BOT, assigned_agent=None, waiting_since=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return None
    _close_requests(session, conversation_id, now)
    return Withdrawn(conversation_id)


RELEASED = "agent_released"  # the handoff request's reason: the agent's account was disabled


def release(session: Session, conversation_id: str, agent: str, display_name: str | None = None) -> Released | None:
    """Put a conversation ``agent`` holds back in the queue (their account was disabled: nobody
    else may answer it, bot.conversations.capabilities), keeping its priority; it waits from now,
    with a new request already announced (the caller publishes the event). One conditional UPDATE:
    nothing happens if the agent no longer holds it."""
    now = utcnow()
    moved = session.execute(
        sa.update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.status == Status.ASSIGNED, Conversation.assigned_agent == agent)
        .values(status=Status.PENDING, assigned_agent=None, waiting_since=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return None
    priority = Priority(session.execute(sa.select(Conversation.priority).where(Conversation.id == conversation_id)).scalar_one())
    request_id = add_request(session, conversation_id, RELEASED, priority, "", None, now)
    session.execute(
        sa.update(HandoffRequest).where(HandoffRequest.id == request_id).values(alerted_at=now).execution_options(synchronize_session=False)
    )
    return Released(conversation_id, request_id, agent, display_name)


def held_by(session: Session, agent: str) -> list[str]:
    """The conversations ``agent`` holds (assigned to them), oldest change first."""
    return list(session.execute(assigned(Conversation.id).where(Conversation.assigned_agent == agent)).scalars())


def status_for_new_message(session: Session, conversation_id: str) -> tuple[Status, Reopened | None]:
    """The status a resident's new message finds, and ``Reopened`` when the message took a
    resolved conversation back to the bot.

    A conversation is created on its first message (with the bot); a resolved one goes back to the
    bot; waiting and assigned ones stay with the agents."""
    status = _stored_status(session, conversation_id)
    if status is None:
        _create(session, conversation_id)
        return Status.BOT, None
    if status is not Status.RESOLVED:
        return status, None
    if _move(session, conversation_id, (Status.RESOLVED,), Status.BOT, handled=False, assigned_agent=None, waiting_since=None):
        return Status.BOT, Reopened(conversation_id)
    return conversation_status(session, conversation_id), None  # another process changed it meanwhile


def waiting(*columns: object) -> Select:
    """The queue: waiting conversations, most urgent first, then longest waiting."""
    return sa.select(*columns).where(Conversation.status == Status.PENDING).order_by(*PENDING_ORDER)


def assigned(*columns: object) -> Select:
    """Conversations agents are handling, most urgent first, then the least recently changed."""
    return sa.select(*columns).where(Conversation.status == Status.ASSIGNED).order_by(*ASSIGNED_ORDER)


def pending_queue(session: Session) -> list[Conversation]:
    """Waiting conversations: most urgent first, then longest waiting."""
    return list(session.execute(waiting(Conversation)).scalars())
