"""A conversation's status and queue priority, declared once.

The stored strings are the enum values (``conversations.status``, kept to these four by a CHECK
constraint, migration 0004). ``Status.BOT`` says the assistant steers the conversation; it is not
the message role ``"bot"`` (``messages.role``: who wrote a message), nor a ticket status
(``bot.tickets.service.STATUSES``: new … resolved … closed, another lifecycle).
"""

from __future__ import annotations

from enum import Enum, IntEnum


class Status(str, Enum):
    BOT = "bot"  # the assistant answers the resident
    PENDING = "pending"  # waiting in the agents' queue; the assistant is paused
    ASSIGNED = "assigned"  # an agent claimed it and answers
    RESOLVED = "resolved"  # an agent ended it; the resident's next message reopens it for the bot

    def __str__(self) -> str:
        return self.value

    @property
    def bot_steers(self) -> bool:
        """The assistant answers: a resident's text goes to Rasa and its replies to the resident.
        Otherwise Rasa only records the text (it is paused) and the agents get it."""
        return self is Status.BOT


class Priority(IntEnum):
    """Queue order: lower is more urgent (emergencies first, DOMAIN §5)."""

    EMERGENCY = 0
    HIGH = 1
    NORMAL = 2

    def __str__(self) -> str:
        return str(self.value)


IDLE = (Status.BOT, Status.RESOLVED)  # no human involved: a handoff request starts a new wait
WITH_AGENTS = (Status.PENDING, Status.ASSIGNED)  # in the console's queue; the assistant is paused
