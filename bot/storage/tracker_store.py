"""Rasa's SQL tracker store on the product's database URL (``DATABASE_URL`` or SQLite).

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
import json
from collections.abc import Coroutine
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.settings import database_url
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
    """``SQLTrackerStore`` whose connection is the same URL the tickets use, off the event loop."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("url", None)
        super().__init__(domain=domain, host=database_url(), event_broker=event_broker, **kwargs)
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

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        parent = super()._retrieve
        return await asyncio.to_thread(lambda: _finished(parent(sender_id, fetch_events_from_all_sessions)))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """As ``SQLTrackerStore.save``: the new events streamed to the broker, then stored (in a thread)."""
        await self.stream_events(tracker)
        await asyncio.to_thread(self._store_new_events, tracker)

    def _store_new_events(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
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
