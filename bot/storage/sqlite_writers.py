"""One writer at a time per process on a SQLite file: threads queue here, not in SQLite's busy handler.

SQLite lets one connection write at a time. A connection that finds the write lock held waits in
SQLite's busy handler, which polls with growing sleeps (1, 2, 5, 10, 15, 20, 25 … 100 ms): with
several threads of one process waiting (the gateway's turns, Rasa's tracker saves, the action
server's actions all run their transactions in worker threads), the lock is often free while every
waiter still sleeps, and a turn's transaction waits tens of milliseconds for a lock held for one.
Here the threads of a process take turns on a condition variable instead, woken the moment the
writer before them commits or rolls back; only one thread per process is ever in the busy handler,
waiting for another process.

The turn is taken at a transaction's first writing statement — where SQLite takes its write lock:
Python's ``sqlite3`` begins a transaction only before INSERT, UPDATE, DELETE or REPLACE — and given
back when the DBAPI connection commits, rolls back or leaves (returned to the pool, invalidated,
closed). A waiter never waits longer than SQLite's own timeout: then it writes anyway and SQLite's
busy handler decides, as without this module (a thread writing on two connections at once cannot
deadlock itself here)."""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

WRITES = ("insert", "update", "delete", "replace")
_TURNS: dict[str, WriterTurns] = {}  # by database file: every engine of the process on it takes turns
_CONFIGURED: weakref.WeakSet[Engine] = weakref.WeakSet()
_GUARD = threading.Lock()


class WriterTurns:
    """Which DBAPI connection of this engine may write now; the others wait their turn."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._changed = threading.Condition()
        self._holder: int | None = None
        self.waiting = 0  # threads queued for the turn now

    def take(self, connection: Any) -> None:
        key = id(connection)
        with self._changed:
            if self._holder == key:
                return
            self.waiting += 1
            try:
                self._changed.wait_for(lambda: self._holder is None, timeout=self.timeout)
            finally:
                self.waiting -= 1
            if self._holder is None:
                self._holder = key
            # else: waited SQLite's whole timeout; write anyway and let SQLite decide

    def give_back(self, connection: Any) -> None:
        with self._changed:
            if self._holder == id(connection):
                self._holder = None
                self._changed.notify()

    @property
    def held(self) -> bool:
        return self._holder is not None


def _raw(connection: Any) -> Any:
    """The DBAPI connection under a SQLAlchemy connection or pool proxy."""
    fairy = connection.connection if isinstance(connection, sa.engine.Connection) else connection
    return getattr(fairy, "dbapi_connection", fairy)


def one_writer_at_a_time(engine: Engine, timeout: float = 30.0) -> WriterTurns:
    """Make this process's threads take turns writing to ``engine``'s SQLite file (with every other
    engine of the process on the same file); idempotent."""
    with _GUARD:
        turns = _TURNS.setdefault(os.path.realpath(engine.url.database or ""), WriterTurns(timeout))
        if engine in _CONFIGURED:
            return turns
        _CONFIGURED.add(engine)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before_write(conn, _cursor, statement, _parameters, _context, _executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip()[:7].lower().startswith(WRITES):
            turns.take(_raw(conn))

    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            turns.give_back(_raw(dbapi_connection))

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            turns.give_back(_raw(dbapi_connection))

    dialect.do_commit, dialect.do_rollback = do_commit, do_rollback  # type: ignore[method-assign]

    def _left(dbapi_connection: Any, *_args: Any) -> None:
        turns.give_back(dbapi_connection)

    for leaving in ("checkin", "invalidate", "close", "close_detached"):
        sa.event.listen(engine, leaving, _left)
    return turns
