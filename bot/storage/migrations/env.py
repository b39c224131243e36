"""Alembic environment: the URL comes from the Config that bot.storage.migrate builds."""

from __future__ import annotations

from alembic import context

from bot.storage.database import get_engine
from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
