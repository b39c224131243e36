"""Console accounts and their sessions (tables ``agents`` and ``agent_sessions``): the one place
for an account's rules, used by the command line (``python -m bot agents …``) and the
administration page (``/admin``, bot.gateway.admin_routes) alike.

- A login name is 1–64 characters and unique; the display name residents see (客服张明) at most 64,
  empty for "the login name"; a password at least :data:`MIN_PASSWORD_LENGTH` characters (and at
  most :data:`MAX_PASSWORD_LENGTH`). The role is one of ``bot.roles.Role``.
- A disabled account (``agents.disabled_at``) cannot log in (:class:`AccountDisabled`, raised only
  for the right password, so a stranger learns nothing) and has no session: disabling it and
  resetting its password delete its sessions, and :func:`lookup_session` refuses its cookie even if
  one slipped in between. The gateway also closes its live console sockets
  (bot.gateway.hub.Hub.end_sessions), and the conversations it held go back to the queue.
- A manager never administers their own account (:class:`AccountError`): no one locks the company
  out by demoting or disabling themselves, and every change of an account has a second person
  behind it (bot.roles).
- Every change made through the page or the command line is written to the audit trail
  (bot.audit) in the change's own transaction; ``actor=None`` (the default) is for the programs
  that make accounts for themselves (tests, ``bench chat``) and is not recorded.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot import audit
from bot import communities as community_records
from bot.audit import Action
from bot.clock import utcnow
from bot.conversations.events import Released
from bot.conversations.lifecycle import held_by, release
from bot.conversations.status import Status
from bot.gateway.passwords import check_password, hash_password
from bot.roles import Role
from bot.storage.models import Agent, AgentCommunity, AgentSession, Conversation

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MAX_NAME_LENGTH = 64
# A generated one-time password: no 0/O, 1/l/I, so it can be read aloud or copied from a screen.
GENERATED_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_LENGTH = 12
# Compared against when the name is unknown, so a login takes as long either way.
_DUMMY_HASH = hash_password("not-a-real-password")
COMMAND_LINE = audit.COMMAND_LINE
KIND = "account"  # the audit trail's kind of target


class AccountError(ValueError):
    """A refused change of an account; the message says why, for the manager or the command line."""


class AccountDisabled(Exception):
    """The right password for an account a manager disabled."""


@dataclass(frozen=True)
class LoggedIn:
    """A logged-in account (agent, trainer or manager: ``bot.roles``). ``name`` is the login (what
    ``conversations.assigned_agent`` holds); ``display_name`` what residents see (客服张明)."""

    agent_id: int
    name: str
    csrf_token: str
    role: Role = Role.AGENT
    display_name: str = ""
    # The communities the account sees (bot.communities.visible_communities): None, every one (a
    # manager); read when the session is looked up, so a change applies to the next request and
    # the next console connection.
    communities: frozenset[int] | None = None

    @property
    def shown_as(self) -> str:
        """The name residents see: the display name, or the login name for accounts without one."""
        return self.display_name or self.name


def _digest(token: str) -> str:
    # surrogatepass: a cookie Sanic decoded with surrogateescape hashes to no session, not a 500.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# ------------------------------------------------------------------ the rules


def check_password_rule(password: str) -> None:
    """The password rule, for a new account and a reset alike."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少{MIN_PASSWORD_LENGTH}个字符")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"密码最多{MAX_PASSWORD_LENGTH}个字符")


def _role(role: Role | str) -> Role:
    if role not in {r.value for r in Role}:
        raise AccountError("角色应为：" + "、".join(r.value for r in Role))
    return Role(role)


def _display_name(display_name: str) -> str:
    display_name = display_name.strip()
    if len(display_name) > MAX_NAME_LENGTH:
        raise AccountError(f"显示名最多{MAX_NAME_LENGTH}个字符")
    return display_name


def generate_password() -> str:
    """A one-time password for a reset, shown to the manager once and never stored in clear."""
    return "".join(secrets.choice(GENERATED_ALPHABET) for _ in range(GENERATED_LENGTH))


def _actor(actor: LoggedIn | str | None) -> str | None:
    return actor.name if isinstance(actor, LoggedIn) else actor


def _not_yourself(agent: Agent, actor: LoggedIn | str | None) -> None:
    if isinstance(actor, LoggedIn) and actor.agent_id == agent.id:
        raise AccountError("不能修改自己的账号，请由另一位经理操作")


def _record(session: Session, actor: LoggedIn | str | None, action: Action, agent: Agent, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    who = _actor(actor)
    if who is not None:
        audit.record(session, who, action, KIND, agent.id, agent.name, before, after)


# ------------------------------------------------------------------ accounts


def create_agent(
    session: Session,
    name: str,
    password: str,
    role: Role | str = Role.AGENT,
    display_name: str = "",
    communities: list[int] | None = None,
    actor: LoggedIn | str | None = None,
) -> Agent:
    """A new account. ``display_name`` is how residents are told who serves them (客服张明 rather
    than the login 客服zhang); empty: the login name is shown. ``communities``: the ids of the
    communities it serves (issue 13 §5); by default the first community, as every account that
    existed before communities did (migration 0010)."""
    name = name.strip()
    role, display_name = _role(role), _display_name(display_name)
    if not name or len(name) > MAX_NAME_LENGTH:
        raise AccountError(f"用户名应为1至{MAX_NAME_LENGTH}个字符")
    check_password_rule(password)
    if session.execute(sa.select(Agent.id).where(Agent.name == name)).first() is not None:
        raise AccountError(f"用户名「{name}」已存在")
    agent = Agent(name=name, display_name=display_name, password_hash=hash_password(password), role=role.value, created_at=utcnow())
    session.add(agent)
    session.flush()
    if communities is None:
        first = community_records.list_communities(session)[:1]
        communities = [first[0].id] if first else []
    served = community_records.set_communities_served(session, name, communities)  # CommunityError for an unknown id
    after = {"role": role.value, "display_name": display_name, "communities": _community_names(session, served)}
    _record(session, actor, Action.CREATE_ACCOUNT, agent, None, after)
    return agent


def find_account(session: Session, agent_id: int) -> Agent | None:
    return session.get(Agent, agent_id)


def find_by_name(session: Session, name: str) -> Agent | None:
    return session.execute(sa.select(Agent).where(Agent.name == name.strip())).scalar_one_or_none()


def accounts(session: Session) -> list[dict[str, Any]]:
    """Every account, by role and login name: what the administration page lists (no hashes)."""
    now = utcnow()
    live = dict(
        session.execute(
            sa.select(AgentSession.agent_id, sa.func.count()).where(AgentSession.expires_at > now).group_by(AgentSession.agent_id)
        ).all()
    )
    holding = dict(
        session.execute(
            sa.select(Conversation.assigned_agent, sa.func.count())
            .where(Conversation.status == Status.ASSIGNED.value, Conversation.assigned_agent.is_not(None))
            .group_by(Conversation.assigned_agent)
        ).all()
    )
    served: dict[int, list[int]] = {}
    for agent_id, community_id in session.execute(sa.select(AgentCommunity.agent_id, AgentCommunity.community_id).order_by(AgentCommunity.community_id)):
        served.setdefault(agent_id, []).append(community_id)
    order = {role.value: index for index, role in enumerate(Role)}
    rows = sorted(session.execute(sa.select(Agent)).scalars(), key=lambda a: (order.get(a.role, 99), a.name))
    return [
        {
            "id": agent.id,
            "name": agent.name,
            "display_name": agent.display_name or "",
            "role": agent.role,
            "active": agent.disabled_at is None,
            "created_at": agent.created_at.isoformat(),
            "disabled_at": agent.disabled_at.isoformat() if agent.disabled_at else None,
            "sessions": live.get(agent.id, 0),
            "assigned_conversations": holding.get(agent.name, 0),
            "communities": served.get(agent.id, []),
        }
        for agent in rows
    ]


def change_role(session: Session, agent: Agent, role: Role | str, actor: LoggedIn | str | None) -> bool:
    """Give the account another role; False when it had it already (nothing recorded). The
    sessions stay: every request reads the role afresh (lookup_session)."""
    _not_yourself(agent, actor)
    new = _role(role)
    if agent.role == new.value:
        return False
    before, agent.role = agent.role, new.value
    _record(session, actor, Action.CHANGE_ROLE, agent, {"role": before}, {"role": new.value})
    return True


def rename(session: Session, agent: Agent, display_name: str, actor: LoggedIn | str | None) -> bool:
    """Change the name residents see (empty: the login name); False when unchanged."""
    new = _display_name(display_name)
    if (agent.display_name or "") == new:
        return False
    before, agent.display_name = agent.display_name or "", new
    _record(session, actor, Action.RENAME_ACCOUNT, agent, {"display_name": before}, {"display_name": new})
    return True


def _community_names(session: Session, ids: list[int]) -> list[str]:
    names = {c.id: c.name for c in community_records.list_communities(session)}
    return [names.get(i, str(i)) for i in ids]


def serve(session: Session, agent: Agent, community_ids: list[int], actor: LoggedIn | str | None) -> bool:
    """Set the communities the account serves (its console's queue and alerts, issue 13 §5);
    False when unchanged. A manager sees every community whatever is set here
    (bot.communities.visible_communities)."""
    wanted = sorted(set(community_ids))
    before = community_records.communities_served(session, agent.name)
    if before == wanted:
        return False
    community_records.set_communities_served(session, agent.name, wanted)  # CommunityError for an unknown id
    after = _community_names(session, wanted)
    _record(session, actor, Action.SERVE_COMMUNITIES, agent, {"communities": _community_names(session, before)}, {"communities": after})
    return True


def end_sessions(session: Session, agent_id: int) -> int:
    """Log the account out everywhere; how many sessions ended."""
    return session.execute(sa.delete(AgentSession).where(AgentSession.agent_id == agent_id)).rowcount or 0


def disable(session: Session, agent: Agent, actor: LoggedIn | str | None) -> list[Released] | None:
    """The account can no longer log in, its sessions end, and the conversations it holds go back
    to the queue for another agent (nobody else may answer them: bot.conversations.capabilities);
    the events are the caller's to publish (the resident is told, the consoles alerted). None when
    it was disabled already."""
    _not_yourself(agent, actor)
    if agent.disabled_at is not None:
        return None
    agent.disabled_at = utcnow()
    ended = end_sessions(session, agent.id)
    released = [event for cid in held_by(session, agent.name) if (event := release(session, cid, agent.name, agent.display_name or None))]
    after = {"active": False, "sessions_ended": ended, "conversations_released": len(released)}
    _record(session, actor, Action.DISABLE_ACCOUNT, agent, {"active": True}, after)
    return released


def enable(session: Session, agent: Agent, actor: LoggedIn | str | None) -> bool:
    """The account may log in again (with its password as it was); False when it was active."""
    _not_yourself(agent, actor)
    if agent.disabled_at is None:
        return False
    agent.disabled_at = None
    _record(session, actor, Action.ENABLE_ACCOUNT, agent, {"active": False}, {"active": True})
    return True


def reset_password(session: Session, agent: Agent, password: str | None, actor: LoggedIn | str | None) -> str | None:
    """Set the password the manager chose, or (``None``) a generated one-time password, returned to
    be shown once; either way the account's sessions end. The audit row says how, never what."""
    _not_yourself(agent, actor)
    generated = password is None
    if password is None:
        password = generate_password()
    check_password_rule(password)
    agent.password_hash = hash_password(password)
    ended = end_sessions(session, agent.id)
    _record(session, actor, Action.RESET_PASSWORD, agent, None, {"password": "generated" if generated else "set", "sessions_ended": ended})
    return password if generated else None


# ------------------------------------------------------------------ logging in


def authenticate(session: Session, name: str, password: str) -> Agent | None:
    """The account for a right name and password; None otherwise. :class:`AccountDisabled` for the
    right password of a disabled account (only then, so it tells nothing to who guesses)."""
    agent = session.execute(sa.select(Agent).where(Agent.name == name)).scalar_one_or_none()
    if agent is None:
        check_password(password, _DUMMY_HASH)
        return None
    if not check_password(password, agent.password_hash):
        return None
    if agent.disabled_at is not None:
        raise AccountDisabled(agent.name)
    return agent


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
    if agent is None or agent.disabled_at is not None:
        return None
    seen = community_records.visible_communities(session, agent.name, agent.role)
    return LoggedIn(agent.id, agent.name, row.csrf_token, Role(agent.role), agent.display_name or "", seen)


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(sa.delete(AgentSession).where(AgentSession.token_hash == _digest(token)))
