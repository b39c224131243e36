"""A sliding-window rate limit per key (resident id), in memory."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True

    async def allow_async(self, key: str) -> bool:
        return self.allow(key)


class RedisRateLimiter:
    """The same limit shared by every gateway process: a counter per key and time window in Redis
    (INCR, EXPIRE). If Redis cannot be reached, this process's own in-memory limit applies."""

    def __init__(self, url: str, limit: int, window: float, prefix: str = "wuye", clock: Callable[[], float] = time.time) -> None:
        from redis import asyncio as aioredis

        self.client = aioredis.from_url(url, decode_responses=True)
        self.limit, self.window, self.prefix, self.clock = limit, window, prefix, clock
        self.local = RateLimiter(limit, window)

    async def allow_async(self, key: str) -> bool:
        bucket = int(self.clock() // self.window)
        name = f"{self.prefix}:rate:{key}:{bucket}"
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                count, _ = await pipe.incr(name).expire(name, int(self.window * 2) + 1).execute()
        except Exception:
            return self.local.allow(key)
        return int(count) <= self.limit

    async def close(self) -> None:
        await self.client.close()
