"""What happened to callbacks, as small immutable facts for the gateway's notifier.

Like :mod:`bot.conversations.events`: the callback functions return them, the notifier
(:mod:`bot.gateway.notifier`) is the one place that turns them into frames.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallbacksChanged:
    """The agents' 回访 list changed (a callback fell due in the chat, was claimed, moved to the
    phone list or was done): every console reloads it."""


@dataclass(frozen=True)
class CallbackUnhappy:
    """A resident was not satisfied or the problem is not fixed: the agents are alerted; the
    ticket was reopened (or ``follow_up_ticket`` opened) and the next callback scheduled."""

    callback_id: int
    ticket_number: str
    conversation_id: str
    level: str
    resolved: bool
    follow_up_ticket: str | None = None
