"""Who may see a conversation, and an emergency no agent of its community is there to take
(issue 13 §5–§6).

- **Visibility.** An agent sees the conversations of the communities they serve (their account's
  ``communities``; ``None``: every community, a manager), the ones assigned to them, and an
  emergency opened to everyone. Nothing else: not in the queue, not over the socket, not through
  the API (:func:`can_see`, :func:`conversation_scope`).
- **Presence.** An agent is logged in when a console of an unexpired session was connected within
  :data:`PRESENCE_SECONDS` (each gateway process marks the accounts of its open consoles:
  :func:`mark_present`; several processes share it through the database).
- **Unserved emergencies.** An emergency waiting unclaimed whose community has no logged-in agent
  (and no logged-in manager, who sees every community) for ``UNSERVED_EMERGENCY_SECONDS`` is opened
  to every logged-in agent: one conditional UPDATE of ``handoff_requests.everyone_at``, so one
  process announces it (``OpenedToEveryone``). A life is worth more than the walls between
  communities (DOMAIN §5: 严禁推诿); the wait is short and shown in the console.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.conversations.alerts import EMERGENCY
from bot.conversations.events import OpenedToEveryone
from bot.conversations.scope import Scope
from bot.conversations.status import Status
from bot.roles import Role
from bot.storage.models import Agent, AgentCommunity, AgentSession, Conversation, HandoffRequest, community_or_default

PRESENCE_SECONDS = 30  # a console seen this recently is a logged-in agent
PRESENCE_REFRESH_SECONDS = 10  # how often each gateway process marks its consoles


def can_see(scope: Scope, agent: str, communities: frozenset[int] | None) -> bool:
    """Whether an account (login ``agent``, the communities it sees — ``None``: all) may see it."""
    return communities is None or scope.everyone or scope.assigned_agent == agent or scope.community_id in communities


def _open_to_everyone(conversation_id: object) -> sa.sql.ColumnElement:
    return sa.exists().where(
        HandoffRequest.conversation_id == conversation_id,
        HandoffRequest.everyone_at.is_not(None),
        HandoffRequest.handled_at.is_(None),
    )


def conversation_scope(session: Session, conversation_id: str) -> Scope | None:
    """The conversation's scope; ``None`` for a conversation that does not exist."""
    row = session.execute(
        sa.select(
            community_or_default(Conversation.community_id).label("community_id"), Conversation.assigned_agent, _open_to_everyone(Conversation.id).label("everyone")
        ).where(Conversation.id == conversation_id)
    ).first()
    return None if row is None else Scope(row.community_id, row.assigned_agent, bool(row.everyone))


def scopes(session: Session, conversation_ids: list[str]) -> dict[str, Scope]:
    """Many conversations' scopes in one query (the queue)."""
    if not conversation_ids:
        return {}
    rows = session.execute(
        sa.select(
            Conversation.id, community_or_default(Conversation.community_id).label("community_id"), Conversation.assigned_agent,
            _open_to_everyone(Conversation.id).label("everyone"),
        ).where(Conversation.id.in_(conversation_ids))
    )
    return {r.id: Scope(r.community_id, r.assigned_agent, bool(r.everyone)) for r in rows}


def mark_present(session: Session, agent_ids: list[int], now: datetime) -> None:
    """The accounts whose consoles are connected to this gateway process now."""
    if agent_ids:
        session.execute(
            sa.update(AgentSession)
            .where(AgentSession.agent_id.in_(sorted(set(agent_ids))), AgentSession.expires_at > now)
            .values(seen_at=now)
            .execution_options(synchronize_session=False)
        )


def served_now(session: Session, now: datetime) -> frozenset[int] | None:
    """The communities with a logged-in agent; ``None`` when a manager (every community) is."""
    live = sa.select(AgentSession.agent_id).where(AgentSession.seen_at >= now - timedelta(seconds=PRESENCE_SECONDS), AgentSession.expires_at > now)
    if session.execute(sa.select(Agent.id).where(Agent.id.in_(live), Agent.role == Role.MANAGER.value).limit(1)).first():
        return None
    rows = session.execute(
        sa.select(AgentCommunity.community_id)
        .join(Agent, Agent.id == AgentCommunity.agent_id)
        .where(AgentCommunity.agent_id.in_(live), Agent.role.in_((Role.AGENT.value, Role.MANAGER.value)))
        .distinct()
    )
    return frozenset(int(c) for c in rows.scalars())


def someone_serves(session: Session, community_id: int, now: datetime) -> bool:
    """Whether a logged-in agent of the community (or a logged-in manager) is there now: a
    resident asking for a person is promised one within minutes only then."""
    communities = served_now(session, now)
    return communities is None or community_id in communities


@dataclass(frozen=True)
class Waiting:
    request_id: int
    conversation_id: str
    community_id: int | None
    created_at: datetime
    kind: str | None


def unserved(session: Session, now: datetime) -> list[Waiting]:
    """Emergencies waiting unclaimed, not open to everyone yet, whose community has nobody now."""
    served = served_now(session, now)
    if served is None:
        return []
    rows = session.execute(
        sa.select(
            HandoffRequest.id, HandoffRequest.conversation_id, community_or_default(HandoffRequest.community_id).label("community_id"),
            HandoffRequest.created_at, HandoffRequest.kind,
        )
        .join(Conversation, Conversation.id == HandoffRequest.conversation_id)
        .where(
            HandoffRequest.reason == EMERGENCY,
            HandoffRequest.handled_at.is_(None),
            HandoffRequest.everyone_at.is_(None),
            Conversation.status == Status.PENDING,
        )
        .order_by(HandoffRequest.id)
    )
    return [Waiting(r.id, r.conversation_id, r.community_id, r.created_at, r.kind) for r in rows if r.community_id not in served]


def due(session: Session, now: datetime, wait: timedelta) -> list[Waiting]:
    """The unserved emergencies that have waited ``wait`` or longer."""
    return [w for w in unserved(session, now) if now - w.created_at >= wait]


def open_to_everyone(session: Session, waiting: Waiting, now: datetime) -> OpenedToEveryone | None:
    """Open it to every logged-in agent; the event for the one caller whose UPDATE won."""
    won = session.execute(
        sa.update(HandoffRequest)
        .where(HandoffRequest.id == waiting.request_id, HandoffRequest.everyone_at.is_(None), HandoffRequest.handled_at.is_(None))
        .values(everyone_at=now)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:
        return None
    waited = int((now - waiting.created_at).total_seconds())
    return OpenedToEveryone(waiting.conversation_id, waiting.request_id, waiting.community_id, waited, waiting.kind)
