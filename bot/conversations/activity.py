"""What an agent did, for the supervision of seed 004_467bcd5b60dfe4e5.txt (客服人员服务行为监督管理程序:
the customer relations department watches the service staff's behaviour) and DOMAIN §6.

Three facts per agent, written where they happen (bot.gateway.console) into ``agent_activity``:
a conversation claimed (``seconds``: how long the resident had waited), the first reply after the
claim (``seconds``: from the start of the resident's wait to that reply — the first response the
resident got from a person), and a reply the politeness checker refused (``detail``: the text and
the violations; the agent was asked to rephrase, so the resident never read it). The dashboard
counts them (bot.reports.figures).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.storage.models import AgentActivity, Conversation

CLAIMED, FIRST_REPLY, REFUSED = "claimed", "first_reply", "refused"


def _waited(session: Session, conversation_id: str, now: datetime) -> float | None:
    since = session.execute(sa.select(Conversation.waiting_since).where(Conversation.id == conversation_id)).scalar()
    return None if since is None else max(0.0, (now - as_utc(since)).total_seconds())


def record_claim(session: Session, conversation_id: str, agent: str, now: datetime) -> None:
    session.add(AgentActivity(agent=agent, kind=CLAIMED, conversation_id=conversation_id, seconds=_waited(session, conversation_id, now), created_at=now))


def record_reply(session: Session, conversation_id: str, agent: str, now: datetime) -> bool:
    """Record the agent's first reply since their latest claim of the conversation; True if it was."""
    claimed_at = session.execute(
        sa.select(sa.func.max(AgentActivity.created_at)).where(
            AgentActivity.agent == agent, AgentActivity.conversation_id == conversation_id, AgentActivity.kind == CLAIMED
        )
    ).scalar()
    if claimed_at is None:
        return False
    answered = session.execute(
        sa.select(AgentActivity.id).where(
            AgentActivity.agent == agent,
            AgentActivity.conversation_id == conversation_id,
            AgentActivity.kind == FIRST_REPLY,
            AgentActivity.created_at >= claimed_at,
        ).limit(1)
    ).first()
    if answered is not None:
        return False
    session.add(AgentActivity(agent=agent, kind=FIRST_REPLY, conversation_id=conversation_id, seconds=_waited(session, conversation_id, now), created_at=now))
    return True


def record_refusal(session: Session, conversation_id: str, agent: str, text: str, violations: list[dict[str, Any]], now: datetime) -> None:
    session.add(AgentActivity(agent=agent, kind=REFUSED, conversation_id=conversation_id, detail={"text": text[:2000], "violations": violations}, created_at=now))
