"""Clocks for tests, beside the product's ShiftedClock (bot/clock.py)."""

from __future__ import annotations

from datetime import datetime, timedelta


class StillClock:
    """A clock that stands still until the test moves it: for texts that name the time elapsed
    (「已等待20秒」), which a running clock makes a second longer on a loaded machine."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta
