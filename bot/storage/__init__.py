"""Storage: tables, sessions and migrations."""

from bot.storage.database import get_engine, session_scope
from bot.storage.migrate import upgrade

__all__ = ["get_engine", "session_scope", "upgrade"]
