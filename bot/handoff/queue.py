"""The agent queue: conversation status and handoff requests.

Status model (after Chatwoot): ``bot`` → ``pending`` → ``assigned`` → ``resolved``, and back to
``bot`` when an agent hands the conversation back. While a conversation is not ``bot`` the
assistant does not steer it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.storage.models import Conversation, HandoffRequest

PRIORITY_EMERGENCY = 0
PRIORITY_HIGH = 1
PRIORITY_NORMAL = 2
STATUSES = ("bot", "pending", "assigned", "resolved")
PENDING_ORDER = (Conversation.priority.asc(), Conversation.waiting_since.asc())  # most urgent, then longest waiting


def get_or_create_conversation(session: Session, conversation_id: str) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        now = utcnow()
        conversation = Conversation(id=conversation_id, status="bot", priority=PRIORITY_NORMAL, created_at=now, updated_at=now)
        session.add(conversation)
        session.flush()
    return conversation


def request_handoff(
    session: Session,
    conversation_id: str,
    reason: str,
    priority: int,
    summary: str = "",
    ticket_id: int | None = None,
) -> HandoffRequest:
    """Put the conversation in the queue (or raise its priority if it is already there)."""
    conversation = get_or_create_conversation(session, conversation_id)
    now = utcnow()
    if conversation.status in ("bot", "resolved"):
        conversation.status = "pending"
        conversation.priority = priority
        conversation.waiting_since = now
        conversation.assigned_agent = None
    else:
        conversation.priority = min(conversation.priority, priority)
    conversation.updated_at = now
    request = HandoffRequest(
        conversation_id=conversation_id,
        reason=reason,
        priority=priority,
        ticket_id=ticket_id,
        summary=summary[:2000],
        created_at=now,
    )
    session.add(request)
    session.flush()
    return request


def pending_queue(session: Session) -> list[Conversation]:
    """Waiting conversations: most urgent first, then longest waiting."""
    query = sa.select(Conversation).where(Conversation.status == "pending").order_by(*PENDING_ORDER)
    return list(session.execute(query).scalars())


def claim(session: Session, conversation_id: str, agent: str) -> bool:
    """Atomically assign a pending conversation; exactly one of two racing agents wins."""
    result = session.execute(
        sa.update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.status == "pending")
        .values(status="assigned", assigned_agent=agent, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        session.execute(
            sa.update(HandoffRequest)
            .where(HandoffRequest.conversation_id == conversation_id, HandoffRequest.handled_at.is_(None))
            .values(handled_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return True
    return False


def _set_status(session: Session, conversation_id: str, status: str, from_statuses: tuple[str, ...]) -> bool:
    result = session.execute(
        sa.update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.status.in_(from_statuses))
        .values(status=status, updated_at=utcnow(), **({"assigned_agent": None, "waiting_since": None} if status == "bot" else {}))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def hand_back(session: Session, conversation_id: str) -> bool:
    """The agent gives the conversation back to the bot."""
    return _set_status(session, conversation_id, "bot", ("assigned", "pending"))


def resolve(session: Session, conversation_id: str) -> bool:
    return _set_status(session, conversation_id, "resolved", ("assigned", "pending"))


def _stored_status(session: Session, conversation_id: str) -> str | None:
    return session.execute(sa.select(Conversation.status).where(Conversation.id == conversation_id)).scalar()


def conversation_status(session: Session, conversation_id: str) -> str:
    return _stored_status(session, conversation_id) or "bot"


def status_for_new_message(session: Session, conversation_id: str) -> tuple[str, bool]:
    """The status a resident's new message finds, and whether the message reopened the conversation.

    A conversation is created on its first message (with the bot); a resolved one goes back to the
    bot. Column reads and conditional updates, no ORM objects: this runs on every message while
    the resident waits."""
    status = _stored_status(session, conversation_id)
    if status is None:
        now = utcnow()
        session.execute(
            sa.insert(Conversation).values(id=conversation_id, status="bot", priority=PRIORITY_NORMAL, created_at=now, updated_at=now)
        )
        return "bot", False
    if status != "resolved":
        return status, False
    if _set_status(session, conversation_id, "bot", ("resolved",)):
        return "bot", True
    return conversation_status(session, conversation_id), False  # another process changed it meanwhile
