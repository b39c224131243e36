"""Rasa's tracker store follows DATABASE_URL: SQLite by default, PostgreSQL when asked."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import PROJECT_ROOT
from bot.storage.tracker_store import DatabaseUrlTrackerStore
from tests.loop_support import HOLD_SECONDS, MAX_STALL, longest_stall
from tests.service_support import POSTGRES_SERVER_URL, require_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker_store_url(request: pytest.FixtureRequest, tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        require_postgres("PostgreSQL not reachable at 127.0.0.1:5432: tracker store test on PostgreSQL skipped")
        url = POSTGRES_SERVER_URL
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_tracker_store_saves_and_reads_conversations(tracker_store_url: str) -> None:
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    store = DatabaseUrlTrackerStore(domain=domain)
    assert store.engine.dialect.name == tracker_store_url.split(":", 1)[0]
    sender = f"tracker-{uuid.uuid4().hex[:8]}"
    tracker = DialogueStateTracker.from_events(
        sender,
        [ActionExecuted("action_listen"), UserUttered("楼道灯坏了", intent={"name": "repair", "confidence": 0.99})],
    )
    asyncio.run(store.save(tracker))
    restored = asyncio.run(store.retrieve(sender))
    assert restored is not None
    assert restored.latest_message.text == "楼道灯坏了"
    assert restored.latest_message.intent["name"] == "repair"


def test_sqlite_connections_keep_every_commit_in_the_write_ahead_log(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The product's engine and Rasa's tracker store open the same SQLite file with the same pragmas:
    WAL with synchronous=NORMAL (durable across process restarts, one fsync per checkpoint) and
    foreign keys on."""
    import sqlalchemy as sa

    from bot.storage.database import engine_for

    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    tracker_store = DatabaseUrlTrackerStore(domain=Domain.load(str(PROJECT_ROOT / "domain.yml")))
    for engine in (engine_for(url), tracker_store.engine):
        with engine.connect() as connection:
            pragmas = [connection.execute(sa.text(f"PRAGMA {name}")).scalar() for name in ("journal_mode", "synchronous", "foreign_keys")]
        assert pragmas == ["wal", 1, 1], engine  # synchronous 1 = NORMAL


def test_a_save_waiting_for_the_database_does_not_stop_other_conversations(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """While one conversation's save waits for SQLite's write lock (another process writing), Rasa's
    event loop keeps running the others: the wait is in a worker thread. Before, the loop itself
    slept in SQLite's busy handler, and every resident of that Rasa server waited with it (the chat
    benchmark's tail)."""
    import sqlite3
    import time

    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    store = DatabaseUrlTrackerStore(domain=Domain.load(str(PROJECT_ROOT / "domain.yml")))
    sender = f"tracker-{uuid.uuid4().hex[:8]}"
    tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen"), UserUttered("电梯门关不上")])
    writer = sqlite3.connect(tmp_path / "wuye.db", timeout=30)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock

    async def scenario() -> tuple[float, float, int]:
        asyncio.get_running_loop().call_later(HOLD_SECONDS, writer.commit)  # the lock is released after HOLD_SECONDS
        started = time.monotonic()
        _, stall, ticks = await longest_stall(store.save(tracker))
        return time.monotonic() - started, stall, ticks

    waited, stall, ticks = asyncio.run(scenario())
    writer.close()
    assert waited >= HOLD_SECONDS - 0.1  # the save did wait for the lock
    assert ticks > 20 and stall < MAX_STALL, f"the loop stopped for {stall:.2f} s"
    restored = asyncio.run(store.retrieve(sender))
    assert restored is not None and restored.latest_message.text == "电梯门关不上"
