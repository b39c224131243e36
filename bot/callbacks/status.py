"""A callback's stored status, channel and method, declared once, and the state lists show.

The stored strings are the enum values (``callbacks.status``/``channel``/``method``, kept to them
by CHECK constraints, migration 0007). ``State`` is derived from the status, the due window and
the clock, never stored: a callback becomes overdue by time passing, not by anyone's write.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Protocol

from bot.clock import as_utc


class Status(str, Enum):
    SCHEDULED = "scheduled"  # waiting for its window (chat) or for an agent (phone)
    SENT = "sent"  # asked in the resident's chat; waiting for the answer
    CLAIMED = "claimed"  # an agent took it to call or visit
    DONE = "done"  # answered in the chat or recorded by the agent

    def __str__(self) -> str:
        return self.value


class Channel(str, Enum):
    CHAT = "chat"  # the assistant asks in the resident's own conversation
    PHONE = "phone"  # on the agents' list: a call or a visit

    def __str__(self) -> str:
        return self.value


class Method(str, Enum):
    """How the callback was made; the record states it (seed 001 回访管理制度 第十三条: 写明"电话回访")."""

    CHAT = "chat"
    PHONE = "phone"
    VISIT = "visit"
    FORM = "form"

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        return METHOD_LABELS[self]


# Seed 003 「回访方式」: 上门入户回访, 电话回访, 发放回访调查表; the chat is this product's 网络拜访 (seed 002 §5.5.4).
METHOD_LABELS = {Method.CHAT: "在线回访", Method.PHONE: "电话回访", Method.VISIT: "上门回访", Method.FORM: "回访调查表"}
AGENT_METHODS = (Method.PHONE, Method.VISIT, Method.FORM)  # what an agent records


class State(str, Enum):
    """What a list shows; derived by :func:`state_of`."""

    UPCOMING = "upcoming"  # its window has not opened
    DUE = "due"  # in its window, not done (on the phone list, or about to be asked in the chat)
    AWAITING = "awaiting"  # asked in the chat, the resident has not answered yet
    OVERDUE = "overdue"  # its window closed before it was done
    DONE = "done"

    def __str__(self) -> str:
        return self.value


class Stored(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def channel(self) -> str: ...

    @property
    def due_from(self) -> datetime: ...

    @property
    def due_by(self) -> datetime: ...


def state_of(callback: Stored, now: datetime) -> State:
    """The one definition of due, overdue and done (the figures' SQL mirrors it, bot.reports.figures)."""
    if Status(callback.status) is Status.DONE:
        return State.DONE
    if now > as_utc(callback.due_by):
        return State.OVERDUE
    if now < as_utc(callback.due_from):
        return State.UPCOMING
    if Status(callback.status) is Status.SENT:
        return State.AWAITING
    return State.DUE
