"""The gateway's early emergency alert carries its consoles' scope from the transaction that queued
it, so the alert frame leaves without another database read (issue 10: the alert first), and
still reaches only the consoles that may see it (issue 13 §6). SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import communities
from bot.conversations.events import Queued
from bot.conversations.scope import Scope
from bot.conversations.status import Priority, Status
from bot.conversations.unserved import conversation_scope
from bot.gateway import notifier as notifier_module
from bot.gateway.agents import LoggedIn
from bot.gateway.hub import Hub
from bot.gateway.notifier import Notifier
from bot.gateway.relay import _raise_live_emergency
from bot.nlu.emergency import assess
from bot.roles import Role
from bot.storage import session_scope
from tests.test_aftercare import Socket

FIRE = "厨房着火了 好大的烟 快来人"


def test_the_early_alert_reads_its_scope_in_its_own_transaction(database_url: str) -> None:
    with session_scope() as session:
        other = communities.save_community(session, communities.CommunityFacts(slug="lanting-scope", name="兰亭苑"), by="admin")
        communities.bind_conversation(session, "fire-scope", other.id)
    with session_scope() as session:
        alerts, _ = _raise_live_emergency(session, "fire-scope", FIRE, assess(FIRE), Status.BOT)
        assert len(alerts) == 1
        assert alerts[0].scope == conversation_scope(session, "fire-scope") == Scope(other.id, None, False)


def test_a_scoped_alert_is_sent_without_reading_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    hub = Hub()
    notifier = Notifier(hub)
    ours, theirs = Socket(), Socket()  # two consoles, of two communities
    hub.agents[ours] = LoggedIn(1, "zhang", "csrf", Role.AGENT, communities=frozenset({7}))
    hub.agents[theirs] = LoggedIn(2, "li", "csrf", Role.AGENT, communities=frozenset({8}))

    def no_database(*_: Any, **__: Any) -> Any:
        raise AssertionError("the alert read the database")

    async def no_queue() -> None:  # the queue snapshot that follows is read as before
        return None

    monkeypatch.setattr(notifier_module, "session_scope", no_database)
    monkeypatch.setattr(notifier, "queue", no_queue)
    alert = Queued("fire-scope", 1, "emergency", Priority.EMERGENCY, scope=Scope(7, None, False))
    asyncio.run(notifier.publish(alert))
    assert ours.frames == [{"type": "alert", "conversation_id": "fire-scope", "status": "pending"}]
    assert theirs.frames == []
