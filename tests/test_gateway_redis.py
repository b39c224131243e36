"""Delivery shared by gateway processes through Redis pub/sub, and the shared rate limit.

Needs the Redis server at 127.0.0.1:6379 (CI's machine runs one): skipped with a plain reason
elsewhere, failed under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import websockets

from bot.gateway.hub import Hub
from bot.gateway.pubsub import RedisFanout
from bot.gateway.ratelimit import RedisRateLimiter
from bot.storage import upgrade
from tests.gateway_support import cookie_header, login, make_agent, resident_session, running_gateway, ws_url
from tests.service_support import missing
from tests.test_gateway_relay import FakeRasa

REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_UNREACHABLE = "Redis not reachable at 127.0.0.1:6379: multi-process delivery tests skipped"


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module", autouse=True)
def require_redis() -> None:
    if not redis_reachable():
        missing(REDIS_UNREACHABLE)


class Collecting:
    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def send(self, data: str) -> None:
        self.frames.append(json.loads(data))


async def _until(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "frame did not arrive"
        await asyncio.sleep(0.02)


def test_two_hubs_share_frames_and_never_echo_their_own() -> None:
    async def scenario() -> None:
        prefix = f"test-{uuid.uuid4().hex}"
        a, b = Hub(), Hub()
        a.attach(RedisFanout(REDIS_URL, prefix))
        b.attach(RedisFanout(REDIS_URL, prefix))
        other = Hub()
        other.attach(RedisFanout(REDIS_URL, f"{prefix}-other"))  # another installation's channel
        try:
            for hub in (a, b, other):
                await asyncio.wait_for(hub.fanout.ready.wait(), 5)
            resident_on_a, agent_on_b, agent_on_a, stranger = Collecting(), Collecting(), Collecting(), Collecting()
            a.residents["r1"].add(resident_on_a)
            a.agents[agent_on_a] = "甲"
            b.agents[agent_on_b] = "乙"
            other.agents[stranger] = "丙"

            await a.to_agents({"type": "alert", "conversation_id": "r1"})
            await _until(lambda: agent_on_b.frames)
            await b.to_resident("r1", {"type": "message", "message": {"text": "您好，我来为您处理"}})
            await _until(lambda: resident_on_a.frames)
            await asyncio.sleep(0.3)  # anything duplicated would have arrived by now
            assert agent_on_a.frames == [{"type": "alert", "conversation_id": "r1"}], "delivered once, locally"
            assert agent_on_b.frames == [{"type": "alert", "conversation_id": "r1"}]
            assert resident_on_a.frames == [{"type": "message", "message": {"text": "您好，我来为您处理"}}]
            assert stranger.frames == []
        finally:
            for hub in (a, b, other):
                await hub.fanout.close()

    asyncio.run(scenario())


def test_malformed_frames_on_the_channel_are_ignored() -> None:
    async def scenario() -> None:
        prefix = f"test-{uuid.uuid4().hex}"
        hub = Hub()
        hub.attach(RedisFanout(REDIS_URL, prefix))
        publisher = RedisFanout(REDIS_URL, prefix)
        try:
            await asyncio.wait_for(hub.fanout.ready.wait(), 5)
            agent = Collecting()
            hub.agents[agent] = "甲"
            for junk in ("not json", "[]", json.dumps({"origin": "x", "target": "everyone", "frame": {}})):
                await publisher.client.publish(f"{prefix}:frames", junk)
            await publisher.publish("agents", None, {"type": "queue"})
            await _until(lambda: agent.frames)
            assert agent.frames == [{"type": "queue"}]
        finally:
            await hub.fanout.close()
            await publisher.close()

    asyncio.run(scenario())


def test_rate_limit_is_shared_between_processes() -> None:
    async def scenario() -> None:
        prefix = f"test-{uuid.uuid4().hex}"
        clock = lambda: 1000.0  # noqa: E731 - one fixed window
        first = RedisRateLimiter(REDIS_URL, 3, 10, prefix, clock=clock)
        second = RedisRateLimiter(REDIS_URL, 3, 10, prefix, clock=clock)
        try:
            results = [await first.allow_async("r1"), await second.allow_async("r1"), await first.allow_async("r1")]
            assert results == [True, True, True]
            assert await second.allow_async("r1") is False, "the fourth message in the window, on any process"
            assert await second.allow_async("r2") is True, "residents are limited separately"
        finally:
            await first.close()
            await second.close()

    asyncio.run(scenario())


def test_rate_limit_falls_back_to_this_process_when_redis_is_down() -> None:
    async def scenario() -> None:
        limiter = RedisRateLimiter("redis://127.0.0.1:1/0", 2, 10, "down")
        try:
            assert [await limiter.allow_async("r1") for _ in range(3)] == [True, True, False]
        finally:
            await limiter.close()

    asyncio.run(scenario())


@pytest.fixture(scope="module")
def two_gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, FakeRasa]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('redis') / 'gw.db'}"
    upgrade(url)
    make_agent(url, "丁")
    fake = FakeRasa(url)
    logs = tmp_path_factory.mktemp("logs")
    env = {"REDIS_URL": REDIS_URL, "REDIS_PREFIX": f"test-{uuid.uuid4().hex}"}
    with running_gateway(url, fake.url, logs / "a.log", **env) as first, running_gateway(url, fake.url, logs / "b.log", **env) as second:
        yield first, second, fake
    fake.server.shutdown()


def test_resident_and_agent_on_different_processes_see_each_other(two_gateways: tuple[str, str, FakeRasa]) -> None:
    resident_base, agent_base, _ = two_gateways
    r = resident_session(resident_base)
    rid = r["resident_id"]
    client, csrf = login(agent_base, "丁")
    cookie = cookie_header(client)

    async def frames_until(socket: Any, wanted: Any) -> list[dict]:
        seen: list[dict] = []
        while not any(wanted(f) for f in seen):
            seen.append(json.loads(await asyncio.wait_for(socket.recv(), 20)))
        return seen

    async def scenario() -> None:
        async with websockets.connect(ws_url(resident_base, f"/ws/resident?token={r['token']}")) as res, websockets.connect(
            ws_url(agent_base, "/ws/agent"), extra_headers={"Cookie": cookie}
        ) as agent:
            await frames_until(agent, lambda f: f["type"] == "queue")
            await asyncio.sleep(0.5)  # both subscribers are up before the first publish
            await res.send(json.dumps({"text": "转人工"}))
            seen = await frames_until(agent, lambda f: f["type"] == "alert")
            assert {"type": "alert", "conversation_id": rid, "status": "pending"} in seen
            await frames_until(agent, lambda f: f["type"] == "queue" and rid in [i["id"] for i in f["pending"]])

            headers = {"X-CSRF-Token": csrf}
            assert client.post(f"/api/agent/conversations/{rid}/claim", headers=headers).status_code == 200
            assert client.post(f"/api/agent/conversations/{rid}/reply", json={"text": "您好，我来为您处理"}, headers=headers).status_code == 200
            seen = await frames_until(res, lambda f: f["type"] == "message" and f["message"]["role"] == "agent")
            assert seen[-1]["message"]["text"] == "您好，我来为您处理"
            assert any(f["type"] == "message" and f["message"].get("event") == "join" for f in seen)

            await res.send(json.dumps({"text": "好的谢谢"}))
            seen = await frames_until(agent, lambda f: f["type"] == "message" and f["message"]["text"] == "好的谢谢")
            assert seen[-1]["message"]["role"] == "resident"

    asyncio.run(scenario())
