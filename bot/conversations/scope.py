"""Where a conversation belongs for visibility (issue 13 §6): its community, its agent, whether an
emergency of it is open to everyone. Read by :func:`bot.conversations.unserved.conversation_scope`;
carried by a :class:`~bot.conversations.events.Queued` read in the transaction that queued it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    community_id: int | None
    assigned_agent: str | None
    everyone: bool
