"""The per-conversation turn lock: one resident's turns run one at a time, in every gateway process.

After Rasa's own lock store (``rasa/core/lock_store.py``): one abstract store, an in-memory and a
Redis implementation, one factory from the configuration (:meth:`TurnLocks.create`; ``REDIS_URL``
through :mod:`bot.settings`). Two tabs of one resident on two gateway processes would otherwise
interleave their turns: Rasa would see the second message before answering the first, and the
replies would cross.

- :class:`InMemoryTurnLocks`: an ``asyncio.Lock`` per conversation (first come, first served),
  forgotten when nobody holds or waits for it. Enough for one gateway process.
- :class:`RedisTurnLocks`: the same local lock (it keeps this process's turns in arrival order),
  then redis-py's own lock (``redis.asyncio.lock.Lock``: ``SET NX PX`` with a token, released by a
  Lua script only by its holder) on ``<prefix>:turn:<conversation id>``. The Redis lock expires
  after ``timeout`` seconds, so a holder killed with -9 blocks the conversation for at most that
  long; a living holder renews it (``reacquire``) every third of it while its turn runs, however
  long Rasa takes. If Redis cannot be reached, the turn runs under the local lock alone (logged):
  a resident is answered rather than refused, and every message is in the database anyway.

A caller that must not wait (the recovery, which has other conversations to see to) passes
``wait=False`` and gets :class:`TurnLockBusy` when someone holds the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any

from redis import asyncio as aioredis
from redis.exceptions import LockError, RedisError

logger = logging.getLogger(__name__)


class TurnLockBusy(RuntimeError):
    """Someone else holds this conversation's turn lock (raised only to callers that do not wait)."""


class TurnLocks(ABC):
    """Hold a conversation's turn lock: ``async with locks.hold(conversation_id): …``."""

    @staticmethod
    def create(redis_url: str = "", prefix: str = "wuye", timeout: float = 30.0) -> TurnLocks:
        """The store the configuration asks for: Redis when ``redis_url`` is set, else in memory."""
        if redis_url:
            return RedisTurnLocks(redis_url, prefix, timeout)
        return InMemoryTurnLocks()

    @abstractmethod
    def hold(self, conversation_id: str, wait: bool = True) -> contextlib.AbstractAsyncContextManager[None]: ...

    async def close(self) -> None:  # noqa: B027 - nothing to release in memory; the Redis store overrides it
        """Release connections (the Redis store's)."""


class InMemoryTurnLocks(TurnLocks):
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}  # holders and waiters per conversation: the lock is dropped at 0

    @contextlib.asynccontextmanager
    async def hold(self, conversation_id: str, wait: bool = True) -> AsyncIterator[None]:
        if not wait and self._users.get(conversation_id):
            raise TurnLockBusy(conversation_id)
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        self._users[conversation_id] = self._users.get(conversation_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[conversation_id] -= 1
            if self._users[conversation_id] == 0:
                del self._users[conversation_id]
                del self._locks[conversation_id]


class RedisTurnLocks(TurnLocks):
    POLL_SECONDS = 0.02  # how often a waiter asks Redis again (redis-py's lock polls)

    def __init__(self, url: str, prefix: str = "wuye", timeout: float = 30.0) -> None:
        self.client = aioredis.from_url(url, socket_connect_timeout=2)
        self.prefix, self.timeout = prefix, timeout
        self.local = InMemoryTurnLocks()

    def name(self, conversation_id: str) -> str:
        return f"{self.prefix}:turn:{conversation_id}"

    @contextlib.asynccontextmanager
    async def hold(self, conversation_id: str, wait: bool = True) -> AsyncIterator[None]:
        async with self.local.hold(conversation_id, wait):
            lock = self.client.lock(self.name(conversation_id), timeout=self.timeout, sleep=self.POLL_SECONDS, thread_local=False)
            try:
                acquired = await lock.acquire(blocking=wait)
            except RedisError as error:
                logger.warning("turn lock for %s without Redis (%s): this process's lock only", conversation_id, error)
                acquired, lock = True, None
            if not acquired:
                raise TurnLockBusy(conversation_id)
            if lock is None:
                yield
                return
            keeper = asyncio.ensure_future(self._keep(lock, conversation_id))
            try:
                yield
            finally:
                keeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keeper
                await self._release(lock, conversation_id)

    async def _keep(self, lock: Any, conversation_id: str) -> None:
        """Renew the lock while its turn runs (a slow Rasa must not let a second turn in)."""
        while True:
            await asyncio.sleep(self.timeout / 3)
            try:
                await lock.reacquire()
            except (LockError, RedisError) as error:
                logger.warning("turn lock for %s could not be renewed: %s", conversation_id, error)

    async def _release(self, lock: Any, conversation_id: str) -> None:
        try:
            await lock.release()
        except (LockError, RedisError) as error:  # expired (it was not renewed in time) or Redis is down
            logger.warning("turn lock for %s not released cleanly: %s", conversation_id, error)

    async def close(self) -> None:
        await self.client.close()
