"""Rasa's tracker store follows DATABASE_URL: PostgreSQL when asked (the same database), SQLite by
default — in a file of its own beside the product's, so the two do not queue for one write lock."""

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
    """The product's engine and Rasa's tracker store open their SQLite files with the same pragmas:
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
    writer = sqlite3.connect(tmp_path / "wuye-tracker.db", timeout=30)
    writer.execute("BEGIN IMMEDIATE")  # another Rasa server holds the tracker file's write lock

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


def test_on_sqlite_the_tracker_has_a_file_of_its_own(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from bot.settings import tracker_database_url

    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'wuye.db'}")
    assert tracker_database_url() == f"sqlite:///{tmp_path / 'wuye-tracker.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/wuye")
    assert tracker_database_url() == "postgresql://u@db/wuye"  # rows are locked, not files: one database
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    assert tracker_database_url() == "sqlite://"  # in memory: nothing beside it
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    assert tracker_database_url() == f"sqlite:///{tmp_path / 'elsewhere.db'}"


def test_a_save_does_not_wait_for_the_products_writes(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The gateway or the action server holding the product file's write lock (a ticket, a message)
    does not hold up Rasa's save: before, both were one file and the save slept in SQLite's busy
    handler until the lock was free (docs/benchmarks.md, 2026-12-05 evening)."""
    import sqlite3
    import time

    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'wuye.db'}")
    store = DatabaseUrlTrackerStore(domain=Domain.load(str(PROJECT_ROOT / "domain.yml")))
    writer = sqlite3.connect(tmp_path / "wuye.db", timeout=30)
    writer.execute("CREATE TABLE tickets (id INTEGER)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO tickets VALUES (1)")  # the product's write lock, held
    try:
        tracker = DialogueStateTracker.from_events("t1", [ActionExecuted("action_listen"), UserUttered("水管爆了")])
        started = time.monotonic()
        asyncio.run(store.save(tracker))
        assert time.monotonic() - started < 1.0
    finally:
        writer.rollback()
        writer.close()


def test_events_kept_in_the_products_file_move_to_the_trackers_own(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """An installation from before the split: its conversations go on where they were."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'wuye.db'}")
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'wuye.db'}")  # as it was: one file
    asyncio.run(DatabaseUrlTrackerStore(domain=domain).save(DialogueStateTracker.from_events("old", [ActionExecuted("action_listen"), UserUttered("门禁卡丢了")])))
    monkeypatch.delenv("TRACKER_DATABASE_URL")
    store = DatabaseUrlTrackerStore(domain=domain)
    assert str(store.engine.url).endswith("wuye-tracker.db")
    restored = asyncio.run(store.retrieve("old"))
    assert restored is not None and restored.latest_message.text == "门禁卡丢了"
    asyncio.run(store.save(DialogueStateTracker.from_events("new", [ActionExecuted("action_listen"), UserUttered("你好")])))
    again = DatabaseUrlTrackerStore(domain=domain)  # carried over once: nothing copied twice
    assert len(asyncio.run(again.retrieve("old")).events) == len(restored.events)


def test_one_processs_saves_take_turns_without_the_busy_handler(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Twenty conversations saved at once by one Rasa process: each waits for the one before on the
    process's own lock, not in SQLite's busy handler — with the handler off (timeout 0), a save
    that met another's write lock would fail with "database is locked"."""
    import sqlalchemy as sa

    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'wuye.db'}")
    store = DatabaseUrlTrackerStore(domain=Domain.load(str(PROJECT_ROOT / "domain.yml")))
    store.engine.dispose()
    store.engine = sa.create_engine(store.engine.url, poolclass=sa.pool.QueuePool, pool_size=20, connect_args={"check_same_thread": False, "timeout": 0})
    store.sessionmaker = sa.orm.session.sessionmaker(bind=store.engine)
    trackers = [
        DialogueStateTracker.from_events(f"c{n}", [ActionExecuted("action_listen"), *[UserUttered(f"第{k}句") for k in range(30)]]) for n in range(20)
    ]

    async def all_at_once() -> None:
        await asyncio.gather(*(store.save(tracker) for tracker in trackers))

    asyncio.run(all_at_once())
    for tracker in trackers:
        restored = asyncio.run(store.retrieve(tracker.sender_id))
        assert restored is not None and len(restored.events) == len(tracker.events)
