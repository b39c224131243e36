"""What happened to a conversation, as small immutable facts.

The transitions in :mod:`bot.conversations.lifecycle` return them (or ``None`` when nothing
happened); the gateway's notifier (:mod:`bot.gateway.notifier`, after Chatwoot's
``ActionCableListener``) is the one place that turns each into what the sockets receive. Nothing
here knows about frames, sockets or wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.conversations.scope import Scope
from bot.conversations.status import Priority, Status


@dataclass(frozen=True)
class Queued:
    """A handoff request entered the agents' queue (the conversation waits, or was already there).

    Returned by ``request_handoff``/``raise_alert`` when they insert a request, and by
    ``alerts.claim_alerts`` to the one process that announces it: only those are published, so
    the consoles are alerted once per request."""

    conversation_id: str
    request_id: int
    reason: str
    priority: Priority
    status: Status = Status.PENDING  # the conversation's status once queued (assigned if an agent had it)
    # The conversation's scope read in the same transaction (the gateway's early emergency alert),
    # so the alert leaves without another read; None: the notifier reads it.
    scope: Scope | None = None


class _ByAgent:
    """An agent's transition: ``agent`` is the login name (what ``assigned_agent`` holds and the
    capabilities compare), ``display_name`` what residents are shown (客服张明, not 客服zhang)."""

    agent: str | None
    display_name: str | None

    @property
    def shown_as(self) -> str:
        return self.display_name or self.agent or ""


@dataclass(frozen=True)
class Claimed(_ByAgent):
    conversation_id: str
    agent: str
    display_name: str | None = None


@dataclass(frozen=True)
class HandedBack(_ByAgent):
    conversation_id: str
    agent: str | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class Resolved(_ByAgent):
    conversation_id: str
    agent: str | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class Released(_ByAgent):
    """An assigned conversation went back to the queue because its agent's account was disabled
    (bot.gateway.agents.disable): another agent claims it; the resident is told (agent.released)."""

    conversation_id: str
    request_id: int
    agent: str | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class Withdrawn:
    """The resident no longer wants the agent they asked for (「算了不用了」 while waiting): the
    conversation left the queue unclaimed, back to the bot. Never an emergency's (lifecycle.withdraw)."""

    conversation_id: str


@dataclass(frozen=True)
class Reopened:
    """A resolved conversation went back to the bot because the resident wrote again."""

    conversation_id: str


@dataclass(frozen=True)
class Posted:
    """A stored message (``bot.gateway.transcript`` shape) to show to the resident and, when
    ``to_agents``, to the consoles."""

    conversation_id: str
    message: dict[str, Any]
    to_agents: bool = True


@dataclass(frozen=True)
class TicketCompleted:
    """An agent resolved a ticket of the conversation: the resident is told (no status change)."""

    conversation_id: str
    number: str
    agent: str


@dataclass(frozen=True)
class Escalated:
    """An emergency nobody claimed in time reached its next escalation step
    (``bot.conversations.escalation``): every console gets a louder alarm. Returned once per step,
    to the one process that claimed it; the resident's notice is stored with the claim."""

    conversation_id: str
    request_id: int
    step: int
    waited_seconds: int
    kind: str


@dataclass(frozen=True)
class CaseDetailsAdded:
    """The resident told the address or phone of a waiting case (bot.intake.emergency
    .add_contact_details): the consoles' queue names the case by it at once."""

    conversation_id: str


Transition = Queued | Claimed | HandedBack | Resolved | Reopened | Released
Event = Queued | Claimed | HandedBack | Resolved | Reopened | Released | Posted | TicketCompleted | Escalated | CaseDetailsAdded | Withdrawn


@dataclass(frozen=True)
class OpenedToEveryone:
    """An emergency no logged-in agent of its community could take was opened to every logged-in
    agent after ``waited_seconds`` (bot.conversations.unserved; issue 13 §5)."""

    conversation_id: str
    request_id: int
    community_id: int | None
    waited_seconds: int
    kind: str | None
