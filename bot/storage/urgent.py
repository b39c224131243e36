"""Write transactions that take SQLite's write lock the moment it is free: a live emergency's
alert (DOMAIN §5) and, in the gateway, a resident turn's own transactions and those of its worker
threads (:func:`write_polling`).

On the SQLite default every process writes one file, and a transaction that finds the write
lock taken waits in SQLite's busy handler, which sleeps in growing steps (1, 2, 5, 10, 15, 20,
25 … 100 ms) and so wakes up to twice as late as the lock came free: measured under the chat
benchmark, the gateway's emergency transaction waited up to 200 ms behind Rasa's tracker saves
and the actions' tickets that each held the lock for a few milliseconds (docs/benchmarks.md,
2026-12-05). :func:`write_now` runs the transaction on the event loop at once, on connections
without a busy handler: when the lock is taken it gives way at once (rolled back, nothing
written), yields the loop for a millisecond and tries again — the loop serves every other socket
meanwhile, and the emergency's transaction starts within about a millisecond of the lock coming
free. On PostgreSQL (row locks, no file lock) and in-memory SQLite it simply runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Generator
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import database_url
from bot.storage.database import (
    BUSY_TIMEOUT_SECONDS,
    engine_without_busy_handler,
    in_memory,
    session_scope,
    sessions_for,
)

T = TypeVar("T")
POLL_SECONDS = 0.001  # between two tries for the write lock
PATIENCE_SECONDS = float(BUSY_TIMEOUT_SECONDS)  # as long as the ordinary connections wait


def _lock_taken(error: OperationalError) -> bool:
    return "database is locked" in str(error.orig) or "database table is locked" in str(error.orig)


def _attempt(sessions: sessionmaker, work: Callable[[Session], T]) -> tuple[bool, T | None, OperationalError | None]:
    """One try of ``work`` in a transaction on a connection without a busy handler: (True, its
    result) when committed; (False, None, the error) when SQLite's write lock was taken (rolled back
    whole, nothing written). The transaction takes the write lock first (``BEGIN IMMEDIATE``): a try
    that finds it taken costs one statement, not the work's reads, and a try that gets it cannot
    lose it halfway (its reads and writes see one state)."""
    session = sessions()
    try:
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        result = work(session)
        session.commit()
        return True, result, None
    except OperationalError as error:
        session.rollback()
        if not _lock_taken(error):
            raise
        return False, None, error
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def polls_for_the_lock(url: str) -> bool:
    """Whether writes to ``url`` take turns by polling for the lock: a SQLite file. PostgreSQL
    locks rows (no file lock) and an in-memory SQLite database has one connection."""
    return url.startswith("sqlite") and not in_memory(url)


def _tries(work: Callable[[Session], T], url: str | None, patience: float) -> Generator[None, None, T]:
    """The tries of ``work`` until one commits (its result, as the generator's return value),
    yielding between two — where the caller waits ``poll`` seconds, on the loop or in its thread.
    Raises the lock's error after ``patience`` seconds. PostgreSQL (row locks, no file lock) and an
    in-memory SQLite database (one connection): one ordinary transaction."""
    url = url or database_url()
    if not polls_for_the_lock(url):
        with session_scope(url) as session:
            return work(session)
    sessions = sessions_for(engine_without_busy_handler(url))
    give_up = time.monotonic() + patience
    while True:
        done, result, error = _attempt(sessions, work)
        if done:
            return result  # type: ignore[return-value]
        if time.monotonic() > give_up:
            raise error  # type: ignore[misc]
        yield


async def write_now(
    work: Callable[[Session], T], url: str | None = None, poll: float = POLL_SECONDS, patience: float = PATIENCE_SECONDS
) -> T:
    """``work(session)`` in one transaction, committed, started before any queued transaction of
    this process. ``work`` may run more than once: a try that found the lock taken was rolled
    back whole, so it must only write through ``session``. Raises the lock's ``OperationalError``
    after ``patience`` seconds, as an ordinary transaction would."""
    tries = _tries(work, url, patience)
    while True:
        try:
            next(tries)
        except StopIteration as written:
            return written.value  # type: ignore[no-any-return]
        await asyncio.sleep(poll)


def write_polling(
    work: Callable[[Session], T], url: str | None = None, poll: float = POLL_SECONDS, patience: float = PATIENCE_SECONDS
) -> T:
    """:func:`write_now` for a worker thread (``bot.gateway.offloop``): ``work(session)`` in one
    transaction that tries for the write lock every ``poll`` seconds, sleeping in this thread
    meanwhile, instead of in SQLite's busy handler — whose growing sleeps made a resident's turn
    wait up to twice as long as the lock was held (docs/benchmarks.md, 2026-12-06). The same
    contract: ``work`` may run more than once and must only write through ``session``."""
    tries = _tries(work, url, patience)
    while True:
        try:
            next(tries)
        except StopIteration as written:
            return written.value  # type: ignore[no-any-return]
        time.sleep(poll)
