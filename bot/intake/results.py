"""What an intake step did, for the action to put into words (bot/texts).

Intake functions never write Chinese prose: they return these facts and the custom action picks the
catalogue text (``repair.ticket_created`` …) and addresses the resident (bot.politeness).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TicketCreated:
    number: str
    priority: str  # 急修/一般 for a repair, the class 重大/重要/一般 for a complaint (DOMAIN §2–§3)
    department: str  # who follows it up
    promise: str  # the catalogue key of what is promised (promise.* in bot/texts/zh_CN.yml)
    resolve_by: datetime | None  # the promised deadline (UTC)
    related: str | None = None  # the ticket this one is about (a complaint's late repair), when linked


@dataclass(frozen=True)
class Reworked:
    """A repair that did not hold, registered on the resident's earlier ticket (``original``): a new
    返修 ticket when that one was finished, or a note on it while it is still being handled."""

    number: str  # the ticket that follows it now: the 返修 ticket, or the original still open
    original: str
    new: bool  # a 返修 ticket was opened (the original was finished)
    priority: str
    department: str
    promise: str  # the catalogue key of what is promised (promise.* in bot/texts/zh_CN.yml)
    resolve_by: datetime | None  # the deadline of ``number`` (UTC)
