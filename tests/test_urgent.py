"""bot.storage.urgent.write_now: a live emergency's transaction takes SQLite's write lock as soon as
it is free, without blocking the event loop meanwhile, and writes exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.gateway.transcript import store
from bot.storage import session_scope
from bot.storage.database import engine_without_busy_handler
from bot.storage.models import Message
from bot.storage.urgent import write_now, write_polling
from tests.loop_support import HOLD_SECONDS, MAX_STALL, longest_stall


def messages_of(conversation_id: str) -> list[str]:
    with session_scope() as session:
        query = sa.select(Message.text).where(Message.conversation_id == conversation_id).order_by(Message.id)
        return list(session.execute(query).scalars())


def sqlite_file(url: str) -> Path:
    return Path(sa.engine.make_url(url).database or "")


def hold_the_write_lock(path: Path, seconds: float, taken: threading.Event) -> threading.Thread:
    """Another process's writer (a plain sqlite3 connection): BEGIN IMMEDIATE, wait, commit."""

    def writer() -> None:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        taken.set()
        threading.Event().wait(seconds)
        connection.execute("COMMIT")
        connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    return thread


@contextmanager
def lock_tries(url: str) -> Iterator[list[str]]:
    """The tries for the write lock (``BEGIN IMMEDIATE``) made on ``url``'s connections without a busy handler."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            seen.append(statement)

    engine = engine_without_busy_handler(url)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_it_writes_once_and_returns_what_the_work_returns(database_url: str) -> None:
    result = asyncio.run(write_now(lambda session: store(session, "u1", "resident", "着火了")["id"]))
    assert isinstance(result, int) and messages_of("u1") == ["着火了"]


def test_while_another_writer_holds_the_lock_the_loop_keeps_running_and_the_write_follows(db: str) -> None:
    """SQLite's file lock (``db``: the SQLite database alone; PostgreSQL has row locks)."""
    taken = threading.Event()
    holder = hold_the_write_lock(sqlite_file(db), HOLD_SECONDS, taken)
    assert taken.wait(10)
    tries = []

    def work(session: Session) -> int:
        tries.append(1)
        return store(session, "u2", "resident", "电梯困人了")["id"]

    try:
        with lock_tries(db) as begun:
            _, stall, ticks = asyncio.run(longest_stall(write_now(work)))
    finally:
        holder.join()
    assert stall < MAX_STALL and ticks > 1  # the other residents' frames went out meanwhile
    assert len(begun) > 1  # it gave way while the lock was taken …
    assert tries == [1] and messages_of("u2") == ["电梯困人了"]  # … and did the work once, with the lock


def test_it_gives_up_after_its_patience_like_an_ordinary_transaction(db: str) -> None:
    taken = threading.Event()
    holder = hold_the_write_lock(sqlite_file(db), HOLD_SECONDS, taken)
    assert taken.wait(10)
    try:
        with pytest.raises(sa.exc.OperationalError, match="locked"):
            asyncio.run(write_now(lambda session: store(session, "u3", "resident", "漏水"), patience=0.05))
    finally:
        holder.join()
    assert messages_of("u3") == []


def test_other_errors_are_not_retried_and_roll_back(database_url: str) -> None:
    asyncio.run(write_now(lambda session: store(session, "u4", "resident", "第一条", client_id="c-1")))
    tries = []

    def resend(session: Session) -> None:
        tries.append(1)
        store(session, "u4", "resident", "又一条", client_id="c-2")
        store(session, "u4", "resident", "第一条", client_id="c-1")  # the same client id again

    with pytest.raises(IntegrityError):
        asyncio.run(write_now(resend))
    assert tries == [1] and messages_of("u4") == ["第一条"]


# --------------------------------------------------------------------------- write_polling (worker threads)


def test_in_a_worker_thread_it_polls_for_the_lock_and_writes_once_when_it_is_free(db: str) -> None:
    """``write_polling`` (``bot.gateway.offloop.in_session``): the same tries for the lock as
    ``write_now``, in a thread that sleeps between them, instead of SQLite's busy handler (one try
    that sleeps inside SQLite); the work itself runs once, with the lock held."""
    taken = threading.Event()
    holder = hold_the_write_lock(sqlite_file(db), HOLD_SECONDS, taken)
    assert taken.wait(10)
    tries = []

    def work(session: Session) -> int:
        tries.append(1)
        return store(session, "u5", "resident", "电梯困人了")["id"]

    try:
        with lock_tries(db) as begun:
            written = write_polling(work)
    finally:
        holder.join()
    assert isinstance(written, int) and len(begun) > 1 and tries == [1]
    assert messages_of("u5") == ["电梯困人了"]


def test_in_a_worker_thread_it_gives_up_after_its_patience_and_other_errors_are_not_retried(db: str) -> None:
    taken = threading.Event()
    holder = hold_the_write_lock(sqlite_file(db), HOLD_SECONDS, taken)
    assert taken.wait(10)
    try:
        with pytest.raises(sa.exc.OperationalError, match="locked"):
            write_polling(lambda session: store(session, "u6", "resident", "漏水"), patience=0.05)
    finally:
        holder.join()
    assert messages_of("u6") == []
    write_polling(lambda session: store(session, "u6", "resident", "第一条", client_id="c-1"))
    tries = []

    def resend(session: Session) -> None:
        tries.append(1)
        store(session, "u6", "resident", "第一条", client_id="c-1")

    with pytest.raises(IntegrityError):
        write_polling(resend)
    assert tries == [1] and messages_of("u6") == ["第一条"]


def test_in_a_worker_thread_it_writes_on_either_database(database_url: str) -> None:
    assert isinstance(write_polling(lambda session: store(session, "u7", "resident", "着火了")["id"]), int)
    assert messages_of("u7") == ["着火了"]
