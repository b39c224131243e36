"""Rasa's SQL tracker store on the product's database URL (``DATABASE_URL`` or SQLite)."""

from __future__ import annotations

from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from bot.settings import database_url
from bot.storage.database import use_sqlite_pragmas


class DatabaseUrlTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose connection is the same URL the tickets use."""

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
            use_sqlite_pragmas(self.engine)
