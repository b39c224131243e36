"""The queue's service level: by when an agent must answer a waiting conversation.

The deadlines themselves are the ticket rules' (``bot.tickets.rules``, DOMAIN §4–§5); this module
only says which applies to a queue entry.
"""

from __future__ import annotations

from datetime import datetime

from bot.conversations.status import Priority
from bot.tickets.rules import EMERGENCY_DEADLINES, INQUIRY_DEADLINES


def respond_by(priority: int, waiting_since: datetime | None, ticket_respond_by: datetime | None) -> datetime | None:
    """The ticket's ``respond_by`` when the request has a ticket; else ``waiting_since`` plus the
    response rule: an emergency's (DOMAIN §5), otherwise an inquiry's (DOMAIN §4, 5 minutes)."""
    if ticket_respond_by is not None:
        return ticket_respond_by
    if waiting_since is None:
        return None
    rule = EMERGENCY_DEADLINES if priority == Priority.EMERGENCY else INQUIRY_DEADLINES
    return waiting_since + rule.respond_within if rule.respond_within else None
