"""One writer at a time per process on a SQLite file (bot.storage.sqlite_writers): the turn is taken
at a transaction's first write and given back when it ends, however it ends; waiting threads queue
for it instead of polling SQLite's lock; reads never wait."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.storage.database import engine_for
from bot.storage.sqlite_writers import WriterTurns, one_writer_at_a_time


@pytest.fixture
def engine(tmp_path: Path) -> sa.engine.Engine:
    engine = engine_for(f"sqlite:///{tmp_path / 'writers.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        connection.execute(sa.text("INSERT INTO counter (id, n) VALUES (1, 0)"))
    yield engine
    engine.dispose()


def turns_of(engine: sa.engine.Engine) -> WriterTurns:
    return one_writer_at_a_time(engine)  # idempotent: the engine's own


def test_the_turn_is_held_from_the_first_write_to_the_commit(engine: sa.engine.Engine) -> None:
    turns = turns_of(engine)
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT n FROM counter")).scalar_one()
        assert not turns.held, "a read does not take the turn"
        connection.execute(sa.text("UPDATE counter SET n = n + 1"))
        assert turns.held
        connection.commit()
        assert not turns.held
    assert not turns.held


@pytest.mark.parametrize("ending", ["rollback", "error", "left open"])
def test_the_turn_is_given_back_however_the_transaction_ends(engine: sa.engine.Engine, ending: str) -> None:
    turns = turns_of(engine)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("INSERT INTO counter (id, n) VALUES (2, 0)"))
            assert turns.held
            if ending == "rollback":
                connection.rollback()
                assert not turns.held
            elif ending == "error":
                connection.execute(sa.text("INSERT INTO counter (id, n) VALUES (2, 0)"))  # duplicate key
    except sa.exc.IntegrityError:
        assert ending == "error"
    assert not turns.held, "the connection went back to the pool: its turn with it"
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM counter")).scalar_one() == 1, "nothing was committed"


def test_a_waiting_writer_queues_for_the_turn_and_goes_after_the_commit(engine: sa.engine.Engine) -> None:
    turns = turns_of(engine)
    order: list[str] = []
    first_wrote = threading.Event()

    def first() -> None:
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE counter SET n = n + 1"))
            first_wrote.set()
            deadline = time.monotonic() + 10
            while turns.waiting == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            order.append(f"first commits, {turns.waiting} queued")  # queued here, not in SQLite's busy handler

    def second() -> None:
        first_wrote.wait(5)
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE counter SET n = n * 10"))
            order.append("second wrote")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert order == ["first commits, 1 queued", "second wrote"]
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT n FROM counter")).scalar_one() == 10


def test_many_threads_writing_at_once_lose_nothing(engine: sa.engine.Engine) -> None:
    errors: list[BaseException] = []

    def add(times: int) -> None:
        try:
            for _ in range(times):
                with engine.begin() as connection:
                    connection.execute(sa.text("UPDATE counter SET n = n + 1"))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=add, args=(25,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT n FROM counter")).scalar_one() == 200
    assert not turns_of(engine).held


def test_every_engine_of_the_process_on_one_file_shares_the_turn(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    one, other = sa.create_engine(url, future=True), sa.create_engine(url, future=True)
    try:
        assert one_writer_at_a_time(one) is one_writer_at_a_time(other)
        assert one_writer_at_a_time(one) is not turns_of(engine_for(f"sqlite:///{tmp_path / 'elsewhere.db'}"))
    finally:
        one.dispose()
        other.dispose()


def test_a_thread_writing_on_two_connections_is_not_stuck_forever(tmp_path: Path) -> None:
    """The second connection waits the turn's timeout, then SQLite's own busy handler decides (here:
    its own timeout, then "database is locked"), as without the turns."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'two.db'}", future=True, connect_args={"timeout": 0.2})
    turns = one_writer_at_a_time(engine, timeout=0.2)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE t (n INTEGER)"))
        with engine.connect() as first, engine.connect() as second:
            first.execute(sa.text("INSERT INTO t VALUES (1)"))
            with pytest.raises(sa.exc.OperationalError, match="locked"):
                second.execute(sa.text("INSERT INTO t VALUES (2)"))
            first.commit()
        assert not turns.held
    finally:
        engine.dispose()
