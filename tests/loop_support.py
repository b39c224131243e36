"""Whether an event loop keeps running while a coroutine waits (for a database lock, a slow action)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")

# A test's wait (a slow action, a held write lock) lasts HOLD_SECONDS; a loop blocked by it would
# stand still that long. MAX_STALL leaves a loaded CI machine its margin and still fails a block.
HOLD_SECONDS = 2.0
MAX_STALL = 1.0


async def longest_stall(work: Awaitable[T]) -> tuple[T, float, int]:
    """Await ``work`` while another task ticks every 10 ms: its result, the longest gap between two
    ticks (how long the loop stood still) in seconds, and how many ticks there were."""
    ticks: list[float] = []

    async def other_residents() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(other_residents())
    try:
        result = await work
    finally:
        ticker.cancel()
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    return result, max(gaps, default=0.0), len(ticks)
