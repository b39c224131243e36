"""Delivery shared by several gateway processes over Redis pub/sub (``REDIS_URL``).

Every frame a process sends is delivered to its own sockets at once and published on one channel,
``<prefix>:frames``, as ``{"origin", "target", "resident_id", "frame"}``; every other process delivers
it to its sockets. A process ignores what it published itself. If Redis is down, local delivery goes
on (the messages are in the database already) and the subscriber reconnects with back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from redis import asyncio as aioredis

logger = logging.getLogger(__name__)

Deliver = Callable[[str, str | None, dict[str, Any]], Awaitable[None]]


class RedisFanout:
    def __init__(self, url: str, prefix: str = "wuye") -> None:
        self.url, self.channel = url, f"{prefix}:frames"
        self.origin = uuid.uuid4().hex
        self.client = aioredis.from_url(url, decode_responses=True)
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    async def publish(self, target: str, resident_id: str | None, frame: dict[str, Any]) -> None:
        envelope = {"origin": self.origin, "target": target, "resident_id": resident_id, "frame": frame}
        try:
            await self.client.publish(self.channel, json.dumps(envelope, ensure_ascii=False))
        except Exception as error:  # Redis down: the local sockets were served; the DB has the message
            logger.warning("could not publish to Redis: %s", error)

    def start(self, deliver: Deliver) -> None:
        self._task = asyncio.get_running_loop().create_task(self._listen(deliver))

    async def _listen(self, deliver: Deliver) -> None:
        delay = 0.5
        while True:
            pubsub = self.client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                self.ready.set()
                delay = 0.5
                logger.info("subscribed to Redis channel %s", self.channel)
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    await self._dispatch(message["data"], deliver)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.ready.clear()
                logger.warning("Redis subscription lost (%s); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                with contextlib.suppress(Exception):  # already broken
                    await pubsub.close()

    async def _dispatch(self, data: str, deliver: Deliver) -> None:
        try:
            envelope = json.loads(data)
        except ValueError:
            logger.warning("ignored a malformed frame on %s", self.channel)
            return
        if not isinstance(envelope, dict) or envelope.get("origin") == self.origin:
            return
        target, frame = envelope.get("target"), envelope.get("frame")
        if target in ("resident", "agents") and isinstance(frame, dict):
            await deliver(target, envelope.get("resident_id"), frame)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.client.close()
