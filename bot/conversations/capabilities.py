"""Who may act on a conversation: the one place that decides it (Chatwoot's ``can_reply?``).

The console API sends these with every queue item and transcript, and the console only renders
them; the endpoints check the same answer before they act (the transition itself stays atomic).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol

from bot.conversations.status import Status
from bot.roles import CONSOLE_ROLES


class ConversationState(Protocol):
    """A stored conversation (an ORM row, a query row or a queue item's values)."""

    @property
    def status(self) -> str: ...

    @property
    def assigned_agent(self) -> str | None: ...


class Account(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class View:
    """A conversation's state from plain values (a queue item of the console's snapshot)."""

    status: str
    assigned_agent: str | None = None


@dataclass(frozen=True)
class Capabilities:
    claim: bool = False
    reply: bool = False
    hand_back: bool = False
    resolve: bool = False

    def as_dict(self) -> dict[str, bool]:
        return asdict(self)


NOTHING = Capabilities()


def capabilities(conversation: ConversationState | None, account: Account) -> Capabilities:
    """What ``account`` may do to ``conversation`` now.

    Only console roles (agent, manager) act at all; a trainer gets nothing. A waiting conversation
    may be claimed, handed back or resolved by any of them; an assigned one is answered, handed
    back or resolved by its agent only."""
    if conversation is None or account.role not in CONSOLE_ROLES:
        return NOTHING
    status = Status(conversation.status)
    waiting = status is Status.PENDING
    mine = status is Status.ASSIGNED and conversation.assigned_agent == account.name
    return Capabilities(claim=waiting, reply=mine, hand_back=waiting or mine, resolve=waiting or mine)
