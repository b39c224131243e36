"""Rasa's SQL tracker store on its database URL (:func:`bot.settings.tracker_database_url`: the
product's PostgreSQL, or on SQLite a file of its own beside the product's, so Rasa's saves and the
product's writes do not queue for one write lock).

Rasa 3.6's ``SQLTrackerStore`` is ``async`` in name only: ``retrieve`` and ``save`` run their
SQLAlchemy sessions on Rasa's event loop. While one of them waits for the database (on SQLite, for
the write lock the gateway or the action server holds; SQLite's busy handler sleeps in steps up to
100 ms), every other resident's turn in that Rasa server waits too. The chat benchmark's tail was
there (docs/benchmarks.md, "Chat: where the tail came from"). Here the database work of a retrieve
and a save runs in a worker thread, so the loop keeps serving the other conversations; Rasa's
per-conversation lock still orders one conversation's turns. On a SQLite file the connections are
pooled (with Rasa's default, each retrieve and save opened a connection and set the pragmas again).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.settings import database_url, in_memory, tracker_database_url
from bot.storage.database import BUSY_TIMEOUT_SECONDS, use_sqlite_pragmas

T = TypeVar("T")


def _finished(coroutine: Coroutine[Any, Any, T]) -> T:
    """The value of a coroutine that never suspends (Rasa's synchronous ``_retrieve``)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("the coroutine suspended: it cannot run outside the event loop")


class DatabaseUrlTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` on :func:`~bot.settings.tracker_database_url`, off the event loop."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("url", None)
        super().__init__(domain=domain, host=tracker_database_url(), event_broker=event_broker, **kwargs)
        if self.engine.dialect.name == "sqlite":  # one database, one set of pragmas
            if self.engine.url.database not in (None, "", ":memory:"):
                self.engine.dispose()
                self.engine = sa.create_engine(
                    self.engine.url, poolclass=sa.pool.QueuePool, pool_size=5, max_overflow=20,
                    connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS},
                )
                self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
            use_sqlite_pragmas(self.engine)
            with self.engine.connect():  # the file in WAL from the start (bot.storage.database)
                pass
            _carry_over_events(self.engine, database_url())
        # SQLite has one writer at a time: this process's saves take turns here, where the next one
        # starts the moment the last commits, instead of in SQLite's busy handler, whose sleeps
        # (1, 2, 5 … 100 ms) outlast the lock they wait for. Other processes' writes still wait there.
        self._writes: contextlib.AbstractContextManager[Any] = threading.Lock() if self.engine.dialect.name == "sqlite" else contextlib.nullcontext()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        parent = super()._retrieve
        return await asyncio.to_thread(lambda: _finished(parent(sender_id, fetch_events_from_all_sessions)))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """As ``SQLTrackerStore.save``: the new events streamed to the broker, then stored (in a thread)."""
        await self.stream_events(tracker)
        await asyncio.to_thread(self._store_new_events, tracker)

    def _store_new_events(self, tracker: DialogueStateTracker) -> None:
        with self._writes, self.session_scope() as session:
            for event in list(self._additional_events(session, tracker)):
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()


EVENT_COLUMNS = "id, sender_id, type_name, timestamp, intent_name, action_name, data"


def _carry_over_events(engine: sa.engine.Engine, product_url: str) -> None:
    """A SQLite tracker file of its own, new and empty, takes the events Rasa kept in the product's
    file before (until 2026-12-05 they shared it): conversations go on where they were, and the
    trainers' inbox keeps its history. Nothing is done once the tracker file has an event."""
    product = sa.engine.make_url(product_url)
    if engine.url == product or product.get_backend_name() != "sqlite" or not product.database or in_memory(product_url):
        return
    with engine.connect() as connection:
        if connection.exec_driver_sql("SELECT 1 FROM events LIMIT 1").first() is not None:
            return
        connection.exec_driver_sql("ATTACH DATABASE ? AS product", (product.database,))  # not inside a transaction
        try:
            with connection.begin():
                found = connection.exec_driver_sql("SELECT 1 FROM product.sqlite_master WHERE type = 'table' AND name = 'events'").first()
                if found is not None:
                    connection.exec_driver_sql(f"INSERT INTO events ({EVENT_COLUMNS}) SELECT {EVENT_COLUMNS} FROM product.events ORDER BY id")
        finally:
            connection.exec_driver_sql("DETACH DATABASE product")
