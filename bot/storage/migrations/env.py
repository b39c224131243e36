"""Alembic environment: the URL comes from the Config that bot.storage.migrate builds.

On SQLite, batch migrations rebuild a table (create a copy, drop the original, rename the copy);
with foreign keys enforced, dropping a table that other rows reference fails. So the migrations
run with foreign keys off on SQLite (the pragma only takes effect outside a transaction), the
result is checked with ``PRAGMA foreign_key_check``, and the connection gets them back before it
returns to the product's pool.
"""

from __future__ import annotations

from alembic import context

from bot.storage.database import get_engine
from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url"))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite)
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                connection.commit()
                if broken:
                    raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


run_migrations_online()
