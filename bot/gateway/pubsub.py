"""Delivery shared by several gateway processes over Redis (``REDIS_URL``), through a stream.

Every frame a process sends is delivered to its own sockets at once and appended to one Redis
stream, ``<prefix>:frames``, as ``{"id", "origin", "target", "resident_id", "frame", "feature"}``;
every other process reads the stream and delivers each frame to its sockets (for a ``feature``
frame, such as ``typing``, to those of its sockets that asked for the feature). A process ignores
what it published itself.

A stream rather than pub/sub, because pub/sub forgets: a frame published while Redis is down, or
while a process's subscriber is reconnecting (say right after a Redis restart), was lost — an
emergency's ``alert`` among them, when the agents' consoles were on another process than the one
that claimed it. Here neither loses a frame:

- **Publishing never waits on Redis and never drops a frame while Redis is down.** Frames wait in
  this process's outbox (in order, at most :data:`OUTBOX_LIMIT`) and a sender task appends them,
  retrying with back-off until Redis answers again.
- **A reader that reconnects resumes after the last entry it read** (``XREAD`` from that id), so
  what was appended while it was away is delivered then. If Redis restarted empty (the stream is
  gone, or its newest id is older than the last one read), it reads the new stream from its start.
- **Once per process:** an append retried after a lost reply may be in the stream twice; each
  envelope has an id and a reader delivers an id once.

The stream keeps about :data:`STREAM_LENGTH` entries; a process that starts reads what is appended
from then on (a console that connects gets the queue from the database, not old frames). What is
lost is what Redis itself loses: entries appended and not yet read when Redis is killed, a matter
of milliseconds while the readers are up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Any

from redis import asyncio as aioredis
from redis.exceptions import ResponseError

logger = logging.getLogger(__name__)

Deliver = Callable[[str, str | None, dict[str, Any], str | None], Awaitable[None]]

STREAM_LENGTH = 10_000  # entries the stream keeps (approximately): how far behind a reader may fall
OUTBOX_LIMIT = 10_000  # frames waiting for Redis in one process; beyond it the oldest are dropped
SEEN_LIMIT = 20_000  # envelope ids a reader remembers, to deliver a retried append once
BATCH = 128  # entries appended in one round trip, or read in one XREAD
BLOCK_MS = 5_000  # how long one XREAD waits for new entries
RETRY_FIRST, RETRY_CAP = 0.1, 2.0  # seconds between attempts while Redis does not answer


def _stream_id(value: str) -> tuple[int, int]:
    milliseconds, _, sequence = value.partition("-")
    return int(milliseconds), int(sequence or 0)


# Where a frame goes: one resident's sockets, every console, or one account's consoles (to close them:
# bot.gateway.hub.Hub.end_sessions).
TARGETS = ("resident", "agents", "account")


class RedisFanout:
    def __init__(self, url: str, prefix: str = "wuye") -> None:
        self.url, self.stream = url, f"{prefix}:frames"
        self.origin = uuid.uuid4().hex
        # Publishing (and /healthz's ping) and reading on separate connections: XREAD blocks its own.
        self.client = aioredis.from_url(url, decode_responses=True, socket_connect_timeout=2, socket_timeout=5)
        self.reader = aioredis.from_url(url, decode_responses=True, socket_connect_timeout=2, socket_timeout=BLOCK_MS / 1000 + 5)
        self.ready = asyncio.Event()  # set while the reader is connected
        self.dropped = 0  # frames dropped because the outbox was full
        self._outbox: deque[tuple[int, str]] = deque()
        self._sequence = 0
        self._wake = asyncio.Event()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def waiting(self) -> int:
        """Frames in the outbox, not yet appended to the stream."""
        return len(self._outbox)

    async def publish(self, target: str, resident_id: str | None, frame: dict[str, Any], feature: str | None = None) -> None:
        """Queue the frame for the other processes; it is appended as soon as Redis answers."""
        envelope = {"id": uuid.uuid4().hex, "origin": self.origin, "target": target, "resident_id": resident_id, "frame": frame, "feature": feature}
        if len(self._outbox) >= OUTBOX_LIMIT:
            self._outbox.popleft()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.error("Redis unreachable for long: %d frames for the other gateways dropped", self.dropped)
        self._sequence += 1
        self._outbox.append((self._sequence, json.dumps(envelope, ensure_ascii=False)))
        self._wake.set()

    def start(self, deliver: Deliver) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._send()), loop.create_task(self._listen(deliver))]

    # ------------------------------------------------------------------ appending

    async def _send(self) -> None:
        delay, failing = RETRY_FIRST, False
        while True:
            if not self._outbox:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = list(self._outbox)[:BATCH]
            try:
                async with self.client.pipeline(transaction=False) as pipe:
                    for _, data in batch:
                        pipe.xadd(self.stream, {"envelope": data}, maxlen=STREAM_LENGTH, approximate=True)
                    await pipe.execute()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis down: the frames wait (the local sockets were served)
                if not failing:
                    logger.warning("could not publish to Redis (%s): %d frames wait and are retried", error, len(self._outbox))
                failing = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_CAP)
                continue
            last = batch[-1][0]
            while self._outbox and self._outbox[0][0] <= last:  # the outbox may have dropped some meanwhile
                self._outbox.popleft()
            if failing:
                logger.info("publishing to Redis again")
            delay, failing = RETRY_FIRST, False

    async def flush(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until the outbox is empty; whether it is."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._outbox and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        return not self._outbox

    # ------------------------------------------------------------------ reading

    async def _resume_from(self, last: str | None) -> str:
        """Where to read on (re)connecting: after ``last``, or where the stream ends when this
        process starts; from the start of a stream Redis lost and began again."""
        try:
            newest = str((await self.reader.xinfo_stream(self.stream))["last-generated-id"])
        except ResponseError:  # no stream: none yet, or Redis restarted empty; all it will hold is new
            return "0-0"
        if last is None:
            return newest
        return last if _stream_id(newest) >= _stream_id(last) else "0-0"

    async def _listen(self, deliver: Deliver) -> None:
        delay, last = RETRY_FIRST, None
        while True:
            try:
                last = await self._resume_from(last)
                if not self.ready.is_set():
                    logger.info("reading the Redis stream %s after %s", self.stream, last)
                self.ready.set()
                delay = RETRY_FIRST
                while True:
                    reply = await self.reader.xread({self.stream: last}, count=BATCH, block=BLOCK_MS)
                    for _, entries in reply or ():
                        for entry_id, fields in entries:
                            last = entry_id
                            await self._dispatch(fields.get("envelope"), deliver)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self.ready.is_set():
                    logger.warning("Redis stream lost (%s); reconnecting", error)
                self.ready.clear()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_CAP)

    def _first_time(self, envelope_id: Any) -> bool:
        if not isinstance(envelope_id, str):
            return True
        if envelope_id in self._seen:
            return False
        self._seen[envelope_id] = None
        if len(self._seen) > SEEN_LIMIT:
            self._seen.popitem(last=False)
        return True

    async def _dispatch(self, data: Any, deliver: Deliver) -> None:
        try:
            envelope = json.loads(data)
        except (TypeError, ValueError):
            logger.warning("ignored a malformed frame on %s", self.stream)
            return
        if not isinstance(envelope, dict) or envelope.get("origin") == self.origin or not self._first_time(envelope.get("id")):
            return
        target, frame, feature = envelope.get("target"), envelope.get("frame"), envelope.get("feature")
        if target in TARGETS and isinstance(frame, dict):
            try:
                await deliver(target, envelope.get("resident_id"), frame, feature if isinstance(feature, str) else None)
            except Exception:  # one frame's failure must not stop the reader (nor replay the stream)
                logger.exception("could not deliver a frame from %s", self.stream)

    async def close(self, flush_seconds: float = 2.0) -> None:
        """Append what waits (for at most ``flush_seconds``), then stop."""
        with contextlib.suppress(Exception):
            if not await self.flush(flush_seconds):
                logger.warning("closing with %d frames not published to Redis", len(self._outbox))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.client.close()
        await self.reader.close()
