"""Frames between gateway processes survive a Redis outage and restart (issue 11: "every emergency
alerted exactly once" on a cluster whose Redis restarts).

The fault-injection test once saw an emergency queued, claimed and announced by one gateway while
Redis was restarting, with both agents' consoles on the other gateway: neither console got the
``alert``. Two gaps lost it: a frame published while Redis was down was dropped, and one published
right after Redis came back reached no process whose subscriber was still reconnecting. Here, on a
Redis of the test's own (killed and started again, empty), each frame reaches the other process's
console once, in the order published.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.gateway.hub import Hub
from bot.gateway.pubsub import RedisFanout
from tests.redis_support import PrivateRedis, redis_binary

ARRIVAL = 20.0  # seconds a frame may take to arrive once Redis is back (the retries' back-off is capped at 2 s)


class Console:
    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def send(self, data: str) -> None:
        self.frames.append(json.loads(data))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(redis_binary(), tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


async def _hubs(url: str) -> tuple[Hub, Hub, Console]:
    """Gateway A (no console) and gateway B (one agent's console), sharing ``url``."""
    prefix = f"test-{uuid.uuid4().hex}"
    a, b = Hub(), Hub()
    a.attach(RedisFanout(url, prefix))
    b.attach(RedisFanout(url, prefix))
    for hub in (a, b):
        await asyncio.wait_for(hub.fanout.ready.wait(), 10)
    console = Console()
    b.agents[console] = "乙"
    return a, b, console


async def _arrived(console: Console, count: int, timeout: float = ARRIVAL) -> None:
    deadline = time.monotonic() + timeout
    while len(console.frames) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # a duplicate would have arrived by now


def _alert(conversation: str) -> dict[str, Any]:
    return {"type": "alert", "conversation_id": conversation, "status": "pending"}


def test_an_alert_published_while_redis_is_down_reaches_the_other_gateway_once(server: PrivateRedis) -> None:
    async def scenario() -> None:
        a, b, console = await _hubs(server.url)
        try:
            await a.to_agents(_alert("r-before"))
            await _arrived(console, 1)
            server.kill()
            await asyncio.sleep(0.5)
            for name in ("r-gas", "r-fire", "r-lift"):
                await a.to_agents(_alert(name))  # returns at once: the frame waits for Redis
            await asyncio.sleep(2.0)
            await asyncio.to_thread(server.start)  # empty: the stream is gone
            await _arrived(console, 4)
            assert console.frames == [_alert(n) for n in ("r-before", "r-gas", "r-fire", "r-lift")], "each once, in order"
            assert a.fanout.waiting == 0
        finally:
            for hub in (a, b):
                await hub.fanout.close()

    asyncio.run(scenario())


def test_an_alert_published_just_after_a_redis_restart_reaches_a_gateway_still_reconnecting(server: PrivateRedis) -> None:
    async def scenario() -> None:
        a, b, console = await _hubs(server.url)
        try:
            server.kill()
            await asyncio.sleep(3.0)  # the other gateway's reader is between two attempts
            await asyncio.to_thread(server.start)
            await a.to_agents(_alert("r-gas"))
            await _arrived(console, 1)
            assert console.frames == [_alert("r-gas")]
            await a.to_agents(_alert("r-fire"))  # and delivery goes on as usual
            await _arrived(console, 2)
            assert console.frames == [_alert("r-gas"), _alert("r-fire")]
        finally:
            for hub in (a, b):
                await hub.fanout.close()

    asyncio.run(scenario())


def test_a_frame_appended_twice_is_delivered_once(server: PrivateRedis) -> None:
    """An append retried after its reply was lost (the connection died after Redis wrote it) is
    in the stream twice; the reader delivers it once."""

    async def scenario() -> None:
        a, b, console = await _hubs(server.url)
        try:
            envelope = json.dumps({"id": uuid.uuid4().hex, "origin": "gateway-x", "target": "agents", "resident_id": None, "frame": _alert("r-gas")})
            for _ in range(2):
                await a.fanout.client.xadd(a.fanout.stream, {"envelope": envelope})
            await a.to_agents(_alert("r-fire"))
            await _arrived(console, 2)
            assert console.frames == [_alert("r-gas"), _alert("r-fire")]
        finally:
            for hub in (a, b):
                await hub.fanout.close()

    asyncio.run(scenario())
