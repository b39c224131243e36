"""Time: everything is stored in UTC and shown in the community's local time.

Every "now" in the product comes from :func:`utcnow`, so the clock can be injected: tests (and
any process started with ``WUYE_CLOCK_OFFSET`` seconds, see :mod:`bot.settings`) run on a clock
shifted from the system's, which keeps ticket numbers, deadlines and callbacks independent of
the day the suite runs. All processes given the same offset agree on the time.

A process may also be given ``WUYE_CLOCK_FILE``: a file holding more seconds to add, re-read
whenever it changes. Gateway processes started by a test share one such file, so the test moves
all their clocks at once (callbacks fall due three days on, DOMAIN §6) without restarting them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import settings

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def system_utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ShiftedClock:
    """The system clock plus an offset; it runs at real speed and tests can move it.

    With ``file`` the offset is ``base`` plus the seconds the file holds, read again whenever the
    file changes (a missing, empty or unreadable file adds nothing); ``set``/``advance`` move the
    base. One ``stat`` per reading: cheap next to the database work every reading comes with."""

    def __init__(self, offset: timedelta = timedelta(), file: Path | None = None) -> None:
        self.base = offset
        self.file = file
        self._stamp: tuple[int, int, int] | None = None
        self._extra = timedelta()

    @property
    def offset(self) -> timedelta:
        if self.file is not None:
            self._reload(self.file)
        return self.base + self._extra

    @offset.setter
    def offset(self, value: timedelta) -> None:
        self.base = value - self._extra

    def _reload(self, file: Path) -> None:
        try:
            status = file.stat()
        except OSError:
            self._stamp, self._extra = None, timedelta()
            return
        stamp = (status.st_mtime_ns, status.st_size, status.st_ino)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            self._extra = timedelta(seconds=float(file.read_text(encoding="utf-8").strip() or 0))
        except (OSError, ValueError):
            self._extra = timedelta()

    def __call__(self) -> datetime:
        return system_utcnow() + self.offset

    def set(self, moment: datetime) -> None:
        """From now on the clock reads ``moment`` (and runs on from there)."""
        self.offset = as_utc(moment) - system_utcnow()

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


Clock = Callable[[], datetime]
_clock: Clock = ShiftedClock(timedelta(seconds=settings.clock_offset_seconds()), settings.clock_file())


def utcnow() -> datetime:
    return _clock()


def use_clock(clock: Clock) -> Clock:
    """Make ``clock`` the product's clock in this process; returns the previous one."""
    global _clock
    previous, _clock = _clock, clock
    return previous


@contextmanager
def clock_in_use(clock: Clock) -> Iterator[Clock]:
    previous = use_clock(clock)
    try:
        yield clock
    finally:
        use_clock(previous)


def from_system_timestamp(timestamp: float) -> datetime:
    """A time stamped by the system clock (a file's mtime, Rasa's event timestamps) on the product's clock.

    Other processes (Rasa, the file system) stamp with the system clock; comparing their stamps
    with the product's times must not mix the two clocks."""
    offset = _clock.offset if isinstance(_clock, ShiftedClock) else utcnow() - system_utcnow()
    return datetime.fromtimestamp(timestamp, timezone.utc) + offset


def as_utc(value: datetime) -> datetime:
    """Naive datetimes read back from SQLite are UTC; make every value aware."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def local_text(value: datetime) -> str:
    """Format a stored time for a resident, e.g. ``11月22日 14:30``."""
    local = as_utc(value).astimezone(LOCAL_TZ)
    return f"{local.month}月{local.day}日 {local:%H:%M}"
