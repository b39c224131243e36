"""The administration's audit trail (issue 13 §4): who changed what, when, and what it was before.

Every change the company's administration makes is recorded in the same transaction as the change
itself, so there is no change without its row and no row without its change:

- accounts (created, role, name residents see, the communities served, disabled, enabled,
  password reset): one :class:`~bot.storage.models.AuditEntry` each (``admin_audit``, written by
  :func:`record`); the command line's changes (``python -m bot agents …``) by :data:`COMMAND_LINE`;
- communities (created, a fact, a topic answer): one ``community_changes`` row per field, written by
  bot.communities itself (``set_answer``, ``update_community``), whoever edits them.

:func:`entries` reads both as one trail, newest first, in one shape (what the administration page
shows). ``before`` and ``after`` hold only the fields the change touched. A password is never
recorded, not even hashed: its row says that it was reset and how (set by the manager, or
generated and shown once).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.communities.topics import TOPICS
from bot.storage.models import AuditEntry, Community, CommunityChange

COMMAND_LINE = "命令行"  # the actor of a change made with ``python -m bot agents …``
MAX_ENTRIES = 500


class Action(str, Enum):
    CREATE_ACCOUNT = "create_account"
    CHANGE_ROLE = "change_role"
    RENAME_ACCOUNT = "rename_account"  # the display name residents see
    SERVE_COMMUNITIES = "serve_communities"  # the communities an account serves
    DISABLE_ACCOUNT = "disable_account"
    ENABLE_ACCOUNT = "enable_account"
    RESET_PASSWORD = "reset_password"
    # Read from community_changes (bot.communities), never written here.
    CREATE_COMMUNITY = "create_community"
    EDIT_COMMUNITY = "edit_community"
    EDIT_ANSWER = "edit_answer"

    def __str__(self) -> str:
        return self.value


# What the administration page shows for each action.
LABELS = {
    Action.CREATE_ACCOUNT: "新建账号",
    Action.CHANGE_ROLE: "修改角色",
    Action.RENAME_ACCOUNT: "修改显示名",
    Action.DISABLE_ACCOUNT: "停用账号",
    Action.ENABLE_ACCOUNT: "启用账号",
    Action.RESET_PASSWORD: "重置密码",
    Action.SERVE_COMMUNITIES: "修改服务小区",
    Action.CREATE_COMMUNITY: "新建小区",
    Action.EDIT_COMMUNITY: "修改小区资料",
    Action.EDIT_ANSWER: "修改答复",
}
KINDS = ("account", "community")


def record(
    session: Session,
    actor: str,
    action: Action,
    kind: str,
    target_id: int | None,
    target: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add the row for a change, in the caller's transaction (the change's own)."""
    entry = AuditEntry(
        at=utcnow(), actor=actor, action=Action(action).value, target_kind=kind, target_id=target_id, target=target[:128], before=before, after=after
    )
    session.add(entry)
    session.flush()
    return entry


def as_json(entry: AuditEntry) -> dict[str, Any]:
    action = Action(entry.action)
    return {
        "id": entry.id,
        "source": "admin_audit",
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": action.value,
        "label": LABELS[action],
        "target_kind": entry.target_kind,
        "target_id": entry.target_id,
        "target": entry.target,
        "before": entry.before,
        "after": entry.after,
    }


def _community_change(change: CommunityChange, names: dict[int, str]) -> dict[str, Any]:
    """A ``community_changes`` row in the trail's shape: ``answer:<topic>`` as ``{"text": …}`` (and
    ``covers:<topic>``, what the answer also covers, as ``{"covers": …}``) on the community's name
    and the topic's label, a fact as ``{<column>: …}``."""
    target = names.get(change.community_id, str(change.community_id))
    if change.field == "created":
        action, key = Action.CREATE_COMMUNITY, "name"
    elif change.field.startswith(("answer:", "covers:")):
        kind, topic = change.field.split(":", 1)
        action, key, target = Action.EDIT_ANSWER, "text" if kind == "answer" else "covers", f"{target} · {TOPICS.get(topic, topic)}"
    else:
        action, key = Action.EDIT_COMMUNITY, change.field
    return {
        "id": change.id,
        "source": "community_changes",
        "at": change.changed_at.isoformat(),
        "actor": change.changed_by,
        "action": action.value,
        "label": LABELS[action],
        "target_kind": "community",
        "target_id": change.community_id,
        "target": target,
        "before": None if change.old_value is None and action is Action.CREATE_COMMUNITY else {key: change.old_value},
        "after": {key: change.new_value},
    }


def entries(session: Session, kind: str | None = None, target_id: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The newest changes first, accounts' and communities' together; of one kind of target
    (:data:`KINDS`), or of one target (its id, within ``kind``)."""
    limit = max(1, min(limit, MAX_ENTRIES))
    found: list[tuple[Any, int, dict[str, Any]]] = []
    if kind in (None, "account"):
        query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if target_id is not None:
            query = query.where(AuditEntry.target_id == target_id)
        found += [(e.at, 1, as_json(e)) for e in session.execute(query).scalars()]
    if kind in (None, "community"):
        query = sa.select(CommunityChange).order_by(CommunityChange.id.desc()).limit(limit)
        if target_id is not None:
            query = query.where(CommunityChange.community_id == target_id)
        names = dict(session.execute(sa.select(Community.id, Community.name)).all())
        found += [(c.changed_at, 0, _community_change(c, names)) for c in session.execute(query).scalars()]
    found.sort(key=lambda item: (item[0], item[1], item[2]["id"]), reverse=True)
    return [entry for _, _, entry in found[:limit]]
