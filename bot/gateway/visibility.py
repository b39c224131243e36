"""What a console account may see (issue 13 §6): the one gate for the API and the sockets.

The rule is :func:`bot.conversations.unserved.can_see` (the communities the account serves, its
own conversations, emergencies opened to everyone). Here it is applied at the edge: each agent
route asks :func:`sees_conversation` / :func:`sees_ticket` / :func:`sees_message` first and answers
404 for what the account may not see (as if it did not exist); each frame about a conversation
carries its scope (:func:`scoped`, the ``scope`` key, also through Redis), and the hub's view
drops it for a console that may not see it (:func:`visible_to`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.conversations.unserved import Scope, can_see, conversation_scope
from bot.storage.models import (
    Callback,
    Conversation,
    HandoffRequest,
    Message,
    Ticket,
    community_or_default,
    default_community_id,
)

SCOPE = "scope"


def _communities(account: Any) -> frozenset[int] | None:
    return getattr(account, "communities", None)


def sees(scope: Scope | None, account: Any) -> bool:
    return scope is not None and can_see(scope, account.name, _communities(account))


def sees_conversation(session: Session, account: Any, conversation_id: str) -> bool:
    """A conversation without a row yet (messages the REST channel or an old widget stored)
    belongs to the default community, like every conversation no widget bound."""
    scope = conversation_scope(session, conversation_id)
    if scope is None:
        scope = Scope(session.execute(sa.select(default_community_id())).scalar(), None, False)
    return sees(scope, account)


def sees_ticket(session: Session, account: Any, number: str) -> bool:
    row = session.execute(sa.select(Ticket.conversation_id, community_or_default(Ticket.community_id).label("community_id")).where(Ticket.number == number)).first()
    if row is None:
        return True  # the route answers its own 404
    if row.conversation_id and conversation_scope(session, row.conversation_id) is not None:
        return sees_conversation(session, account, row.conversation_id)
    return sees(Scope(row.community_id, None, False), account)


def sees_message(session: Session, account: Any, message_id: int) -> bool:
    conversation_id = session.execute(sa.select(Message.conversation_id).where(Message.id == message_id)).scalar()
    return conversation_id is None or sees_conversation(session, account, conversation_id)


def ticket_filter(account: Any) -> sa.sql.ColumnElement | None:
    """A WHERE clause for ticket lists the account may see (None: every ticket)."""
    communities = _communities(account)
    if communities is None:
        return None
    return sa.or_(community_or_default(Ticket.community_id).in_(sorted(communities)), Ticket.conversation_id.in_(_assigned_or_open(account.name)))


def _assigned_or_open(agent: str) -> sa.sql.Select:
    open_to_all = sa.select(HandoffRequest.conversation_id).where(HandoffRequest.everyone_at.is_not(None), HandoffRequest.handled_at.is_(None))
    return sa.select(Conversation.id).where(sa.or_(Conversation.assigned_agent == agent, Conversation.id.in_(open_to_all)))


def scoped(session: Session, conversation_id: str, frame: dict[str, Any]) -> dict[str, Any]:
    """The frame with the conversation's scope, for the hub's view to filter by."""
    return with_scope(frame, conversation_scope(session, conversation_id) or Scope(None, None, False))


def with_scope(frame: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """The frame with a scope already read (bot.conversations.events.Queued.scope)."""
    return {**frame, SCOPE: {"community_id": scope.community_id, "assigned_agent": scope.assigned_agent, "everyone": scope.everyone}}


def visible_to(frame: dict[str, Any], account: Any) -> dict[str, Any] | None:
    """The frame as the account may see it: without its scope, or ``None`` (not for this console)."""
    if SCOPE not in frame:
        return frame
    raw = frame[SCOPE] or {}
    scope = Scope(raw.get("community_id"), raw.get("assigned_agent"), bool(raw.get("everyone")))
    if not sees(scope, account):
        return None
    return {key: value for key, value in frame.items() if key != SCOPE}


def sees_callback(session: Session, account: Any, callback_id: int) -> bool:
    """A callback (回访) is seen with its ticket; an unknown id is the route's own 404."""
    number = session.execute(sa.select(Ticket.number).join(Callback, Callback.ticket_id == Ticket.id).where(Callback.id == callback_id)).scalar()
    return number is None or sees_ticket(session, account, number)
