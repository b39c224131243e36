"""Consoles present, and emergencies nobody of their community is there to take (issue 13 §5).

Every gateway process, about every second (:func:`attach`): marks the accounts of its connected
consoles as present (every :data:`~bot.conversations.unserved.PRESENCE_REFRESH_SECONDS`; at once
when a console connects), then opens to every logged-in agent each emergency that has waited
``UNSERVED_EMERGENCY_SECONDS`` unclaimed while no agent of its community was logged in
(bot.conversations.unserved: one conditional UPDATE, so one process announces it). The consoles
get an ``alert`` frame with ``everyone: true`` and the queue; the queue items show the wait
(``everyone_after``) before it happens and ``everyone_at`` after.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from sanic import Sanic
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.conversations.unserved import PRESENCE_REFRESH_SECONDS, due, mark_present, open_to_everyone
from bot.gateway import sweeps
from bot.gateway.offloop import in_session
from bot.gateway.state import Gateway

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0


async def mark_consoles(gateway: Gateway) -> None:
    """The accounts of this process's open consoles are present now."""
    await in_session(_mark, _console_accounts(gateway))


def _console_accounts(gateway: Gateway) -> list[int]:
    return [account.agent_id for account in list(gateway.hub.agents.values())]


def _mark(session: Session, ids: list[int]) -> None:
    if ids:
        mark_present(session, ids, utcnow())


async def open_unserved(gateway: Gateway) -> int:
    """Open every due unserved emergency to all agents (the ones this process wins); how many."""
    now = utcnow()
    opened = 0
    for item in await in_session(due, now, timedelta(seconds=gateway.config.unserved_seconds)):
        event = await in_session(open_to_everyone, item, now)
        if event is None:
            continue
        opened += 1
        logger.warning("emergency in %s: nobody of community %s logged in for %s s, opened to every agent", event.conversation_id, event.community_id, event.waited_seconds)
        await gateway.notifier.publish(event)
    return opened


class _Presence:
    """One round of the sweep: mark this process's consoles present (every
    PRESENCE_REFRESH_SECONDS), then open the due unserved emergencies."""

    def __init__(self) -> None:
        self.marked = 0.0

    async def __call__(self, gateway: Gateway) -> None:
        if time.monotonic() - self.marked >= PRESENCE_REFRESH_SECONDS:
            await in_session(_mark, _console_accounts(gateway))  # the ids read on the loop, which changes them
            self.marked = time.monotonic()
        await open_unserved(gateway)


def attach(app: Sanic) -> None:
    sweeps.attach(app, "presence", _Presence(), SWEEP_SECONDS)
