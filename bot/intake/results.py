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
