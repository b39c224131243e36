"""What a piece of storage work asks of the database: the statements it runs, counted."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.storage import session_scope
from bot.storage.database import get_engine


def statements_of(work: Callable[[Session], object]) -> list[str]:
    """The SQL statements ``work`` runs in one transaction (their first word: SELECT, UPDATE …)."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement.split()[0].upper())

    engine = get_engine()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        with session_scope() as session:
            work(session)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen
