"""Time helpers: everything is stored in UTC and shown in the community's local time."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """Naive datetimes read back from SQLite are UTC; make every value aware."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def local_text(value: datetime) -> str:
    """Format a stored time for a resident, e.g. ``11月22日 14:30``."""
    local = as_utc(value).astimezone(LOCAL_TZ)
    return f"{local.month}月{local.day}日 {local:%H:%M}"
