"""Shared pytest fixtures for the tests package."""

# =================================================================================================
# Storage fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.
#
# ``database_url`` runs a test once on a SQLite file in ``tmp_path`` and once on PostgreSQL
# (127.0.0.1:5432, database ``test``) in a schema of its own, ``t_<random>``, dropped afterwards.
# Where PostgreSQL is not reachable the PostgreSQL run is skipped with a plain message, except
# under ``CI=true``, where it fails. ``db`` is the same, on SQLite only, for tests that need one
# database and not the comparison. Both set ``DATABASE_URL`` and run the Alembic migrations.
# =================================================================================================

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

from bot.clock import ShiftedClock
from tests.clock_support import StillClock
from tests.service_support import POSTGRES_SERVER_URL, require_postgres
from tests.standin_rasa import StandInRasa

# Property-based tests (Hypothesis) run the same examples on every run and every machine
# (derandomize: examples follow from the test, not from a seed or a saved database; no example
# database is kept — .hypothesis/ holds only Hypothesis's own caches, git-ignored by it), and have
# no per-example deadline (the examples talk to real processes on a shared 2-core machine); each
# test bounds its own max_examples.
settings.register_profile(
    "wuye", derandomize=True, database=None, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("wuye")


def _sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'wuye-test.db'}"


def _forget_engine(url: str) -> None:
    """Close the pooled connections of the product's cached engines for ``url``."""
    from bot.storage.database import forget

    forget(url)


def _migrated(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.storage.migrate import upgrade

    monkeypatch.setenv("DATABASE_URL", url)
    upgrade()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated database; ``DATABASE_URL`` points at it for the test's duration."""
    if request.param == "sqlite":
        url = _sqlite_url(tmp_path)
        _migrated(url, monkeypatch)
        yield url
        _forget_engine(url)
        return

    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_SERVER_URL, future=True)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_SERVER_URL}?options=-csearch_path%3D{schema}"
    try:
        _migrated(url, monkeypatch)
        yield url
    finally:
        _forget_engine(url)
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """One fresh, migrated SQLite database (``database_url`` without the PostgreSQL run)."""
    url = _sqlite_url(tmp_path)
    _migrated(url, monkeypatch)
    yield url
    _forget_engine(url)


# ============================================ end of storage fixtures ============================


@pytest.fixture
def clock() -> Iterator[ShiftedClock]:
    """The product's clock in this process, for the test to move (``clock.advance(timedelta(days=3))``)."""
    from bot.clock import clock_in_use, utcnow

    moving = ShiftedClock()
    moving.set(utcnow())  # the suite's calendar (WUYE_CLOCK_OFFSET), from here on movable
    with clock_in_use(moving):
        yield moving


@pytest.fixture
def still_clock() -> Iterator[StillClock]:
    """The product's clock in this process, standing at the suite's calendar until advanced."""
    from bot.clock import clock_in_use, utcnow

    still = StillClock(utcnow())
    with clock_in_use(still):
        yield still


@pytest.fixture
def standin_rasa() -> Iterator[StandInRasa]:
    """The stand-in Rasa (tests/standin_rasa.py) for one test, answering ``收到：<text>``; configure it
    in the test. Modules whose gateway lives for the whole module start their own, module-scoped."""
    with StandInRasa() as rasa:
        yield rasa
