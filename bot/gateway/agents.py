"""Agent accounts and console sessions (tables ``agents`` and ``agent_sessions``)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.gateway.passwords import check_password, hash_password
from bot.storage.models import Agent, AgentSession

MIN_PASSWORD_LENGTH = 8
ROLES = ("agent", "trainer")  # agent: the console at /agent; trainer: the trainer console at /trainer
# Compared against when the name is unknown, so a login takes as long either way.
_DUMMY_HASH = hash_password("not-a-real-password")


@dataclass(frozen=True)
class LoggedIn:
    agent_id: int
    name: str
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_agent(session: Session, name: str, password: str, role: str = "agent") -> Agent:
    name = name.strip()
    if role not in ROLES:
        raise ValueError(f"role must be one of: {', '.join(ROLES)}")
    if not name or len(name) > 64:
        raise ValueError("agent name must be 1-64 characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if session.execute(sa.select(Agent).where(Agent.name == name)).scalar_one_or_none():
        raise ValueError(f"agent {name!r} already exists")
    agent = Agent(name=name, password_hash=hash_password(password), role=role, created_at=utcnow())
    session.add(agent)
    session.flush()
    return agent


def authenticate(session: Session, name: str, password: str) -> Agent | None:
    agent = session.execute(sa.select(Agent).where(Agent.name == name)).scalar_one_or_none()
    if agent is None:
        check_password(password, _DUMMY_HASH)
        return None
    return agent if check_password(password, agent.password_hash) else None


def open_session(session: Session, agent: Agent, hours: float) -> tuple[str, str]:
    """A new session; returns ``(cookie token, CSRF token)``. Expired sessions are swept."""
    now = utcnow()
    session.execute(sa.delete(AgentSession).where(AgentSession.expires_at < now))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(AgentSession(token_hash=_digest(token), agent_id=agent.id, csrf_token=csrf, created_at=now, expires_at=now + timedelta(hours=hours)))
    session.flush()
    return token, csrf


def lookup_session(session: Session, token: str | None) -> LoggedIn | None:
    if not token:
        return None
    row = session.get(AgentSession, _digest(token))
    if row is None or row.expires_at <= utcnow():
        return None
    agent = session.get(Agent, row.agent_id)
    return LoggedIn(agent.id, agent.name, row.csrf_token) if agent else None


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(sa.delete(AgentSession).where(AgentSession.token_hash == _digest(token)))
