"""Engine and session factory for the product's database (SQLAlchemy 1.4, 2.0 style)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import database_url, in_memory, tracker_database_url

BUSY_TIMEOUT_SECONDS = 30  # how long a SQLite write waits for another writer's lock before it fails


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    kwargs: dict = {"future": True, "pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS}
        if not in_memory(url):
            # SQLAlchemy 1.4 opens a new connection per session on a SQLite file (NullPool); with
            # a session per stored message, opening, the pragmas and closing were ~30 % of the
            # gateway's CPU under the chat benchmark. A file needs no liveness ping either.
            kwargs |= {"poolclass": sa.pool.QueuePool, "pool_size": 5, "max_overflow": 20, "pool_pre_ping": False}
    engine = sa.create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        use_sqlite_pragmas(engine)
    return engine


@lru_cache(maxsize=8)
def engine_without_busy_handler(url: str) -> Engine:
    """A small pool of connections to the same SQLite file whose writes fail at once when the
    write lock is taken (``timeout=0``: no busy handler) instead of sleeping in SQLite's back-off;
    for :func:`bot.storage.urgent.write_now`, which polls for the lock itself."""
    engine = sa.create_engine(
        url, future=True, poolclass=sa.pool.QueuePool, pool_size=2, max_overflow=8, pool_pre_ping=False,
        connect_args={"check_same_thread": False, "timeout": 0},
    )
    use_sqlite_pragmas(engine)
    return engine


def forget(url: str) -> None:
    """Close the pooled connections of the engines for ``url`` (a database about to be removed)."""
    engine_for(url).dispose()
    if url.startswith("sqlite") and not in_memory(url):
        engine_without_busy_handler(url).dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode, NORMAL syncs the log at checkpoints instead of at every commit. A committed
    # transaction survives any process crash or restart (it is in the log file); only a power
    # loss or an operating-system crash can take back the last commits, and never corrupts the
    # file. Under the chat benchmark, FULL's fsync per commit, queued behind Rasa's and the
    # actions' commits to the same file, was most of the gateway's time per stored message.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def use_sqlite_pragmas(engine: Engine) -> None:
    """Every connection ``engine`` opens to a SQLite file: WAL, ``synchronous=NORMAL``, foreign keys."""
    if not sa.event.contains(engine, "connect", _sqlite_pragmas):
        sa.event.listen(engine, "connect", _sqlite_pragmas)


def get_engine(url: str | None = None) -> Engine:
    return engine_for(url or database_url())


@lru_cache(maxsize=8)
def sessions_for(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back on error."""
    session = sessions_for(get_engine(url))()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def tracker_reading() -> Iterator[Connection]:
    """A connection to Rasa's tracker store (:func:`bot.settings.tracker_database_url`), for reading."""
    with get_engine(tracker_database_url()).connect() as connection:
        yield connection
