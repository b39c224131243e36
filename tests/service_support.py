"""The machine services some tests need (PostgreSQL, Redis, Chromium): skipped with a plain reason
where one is missing, failed under ``CI=true``, whose machine has them all."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import NoReturn

import pytest
import sqlalchemy as sa

POSTGRES_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"
POSTGRES_UNREACHABLE = "PostgreSQL not reachable at 127.0.0.1:5432: storage tests on PostgreSQL skipped"


def missing(reason: str) -> NoReturn:
    """Skip the test, or fail it under ``CI=true``."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@lru_cache(maxsize=1)
def postgres_reachable() -> bool:
    """Whether the test server answers (checked once per run, with a short timeout)."""
    engine = sa.create_engine(POSTGRES_SERVER_URL, future=True, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return True
    except (sa.exc.OperationalError, sa.exc.InterfaceError):
        return False
    finally:
        engine.dispose()


def require_postgres(reason: str = POSTGRES_UNREACHABLE) -> None:
    if not postgres_reachable():
        missing(reason)
