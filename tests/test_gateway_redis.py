"""Delivery shared by gateway processes through a Redis stream, and the shared rate limit.

Two gateway processes with ``REDIS_URL``: a resident and an agent on different processes see each
other's messages; one resident's tabs on both never interleave turns (the turn lock in Redis); the
typing frames reach the tabs that asked for them on the other process.

Needs the Redis server at 127.0.0.1:6379 (CI's machine runs one): skipped with a plain reason
elsewhere, failed under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import websockets

from bot.gateway.hub import FEATURES, Hub
from bot.gateway.pubsub import RedisFanout
from bot.gateway.ratelimit import RedisRateLimiter
from bot.storage import upgrade
from tests.gateway_support import cookie_header, frames_until, login, make_agent, resident_session, running_gateway, ws_url
from tests.service_support import missing
from tests.standin_rasa import StandInRasa

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
        publisher.start(Hub().deliver_local)  # another process: its frames are appended by its sender
        try:
            await asyncio.wait_for(hub.fanout.ready.wait(), 5)
            agent = Collecting()
            hub.agents[agent] = "甲"
            for junk in ("not json", "[]", json.dumps({"origin": "x", "target": "everyone", "frame": {}})):
                await publisher.client.xadd(f"{prefix}:frames", {"envelope": junk})
            await publisher.client.xadd(f"{prefix}:frames", {"other": "field"})
            await publisher.publish("agents", None, {"type": "queue"})
            await _until(lambda: agent.frames)
            await asyncio.sleep(0.3)
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
def two_gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, StandInRasa]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('redis') / 'gw.db'}"
    upgrade(url)
    make_agent(url, "丁")
    logs = tmp_path_factory.mktemp("logs")
    env = {"REDIS_URL": REDIS_URL, "REDIS_PREFIX": f"test-{uuid.uuid4().hex}"}
    rasa = StandInRasa(database_url=url, handoffs={"转人工"})
    with rasa, running_gateway(url, rasa.url, logs / "a.log", **env) as first, running_gateway(url, rasa.url, logs / "b.log", **env) as second:
        yield first, second, rasa


def test_resident_and_agent_on_different_processes_see_each_other(two_gateways: tuple[str, str, StandInRasa]) -> None:
    resident_base, agent_base, _ = two_gateways
    r = resident_session(resident_base)
    rid = r["resident_id"]
    client, csrf = login(agent_base, "丁")
    cookie = cookie_header(client)

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


def test_feature_frames_reach_only_the_sockets_that_asked_on_every_process() -> None:
    async def scenario() -> None:
        prefix = f"test-{uuid.uuid4().hex}"
        a, b = Hub(), Hub()
        a.attach(RedisFanout(REDIS_URL, prefix))
        b.attach(RedisFanout(REDIS_URL, prefix))
        try:
            for hub in (a, b):
                await asyncio.wait_for(hub.fanout.ready.wait(), 5)
            typing_on_a, typing_on_b, plain_on_b = Collecting(), Collecting(), Collecting()
            FEATURES[typing_on_a] = FEATURES[typing_on_b] = frozenset({"typing"})
            a.residents["r1"].add(typing_on_a)
            b.residents["r1"].update({typing_on_b, plain_on_b})
            await a.to_resident("r1", {"type": "typing", "on": True}, feature="typing")
            await a.to_resident("r1", {"type": "message", "message": {"text": "收到"}})
            await _until(lambda: len(plain_on_b.frames) == 1 and len(typing_on_b.frames) == 2)
            await asyncio.sleep(0.3)
            assert typing_on_a.frames == typing_on_b.frames == [{"type": "typing", "on": True}, {"type": "message", "message": {"text": "收到"}}]
            assert plain_on_b.frames == [{"type": "message", "message": {"text": "收到"}}]
        finally:
            for hub in (a, b):
                await hub.fanout.close()

    asyncio.run(scenario())


async def _frames_until(socket: Any, done: Any, quiet: float = 1.0) -> list[dict]:
    """Frames until ``done(frames)``, then whatever else arrives within ``quiet`` seconds."""
    frames: list[dict] = []
    while not done(frames):
        frames.append(json.loads(await asyncio.wait_for(socket.recv(), 20)))
    with contextlib.suppress(asyncio.TimeoutError):
        while True:
            frames.append(json.loads(await asyncio.wait_for(socket.recv(), quiet)))
    return frames


def _bot_texts(frames: list[dict]) -> list[str]:
    return [f["message"]["text"] for f in frames if f["type"] == "message" and f["message"]["role"] == "bot"]


def test_two_tabs_on_two_gateways_never_interleave_turns(two_gateways: tuple[str, str, StandInRasa]) -> None:
    """One resident, a tab on each gateway process, writing at once: Rasa sees one turn at a time
    (the turn lock is in Redis), in the order the messages were stored."""
    first, second, rasa = two_gateways
    r = resident_session(first)
    rid, sent = r["resident_id"], {0: [f"一号窗口第{n}条" for n in range(3)], 1: [f"二号窗口第{n}条" for n in range(3)]}

    async def tab(base: str, texts_: list[str]) -> list[dict]:
        async with websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}")) as socket:
            await asyncio.sleep(0.3)
            for text in texts_:
                await socket.send(json.dumps({"text": text}, ensure_ascii=False))
            return await _frames_until(socket, lambda frames: len(_bot_texts(frames)) >= 6)

    async def scenario() -> list[list[dict]]:
        return list(await asyncio.gather(tab(first, sent[0]), tab(second, sent[1])))

    rasa.delay = 0.3
    try:
        seen = asyncio.run(scenario())
    finally:
        rasa.delay = 0.0
    turns = [(event, text) for event, sender, text in rasa.answering if sender == rid]
    assert len(turns) == 12
    assert [event for event, _ in turns] == ["begin", "end"] * 6, turns
    assert all(turns[i][1] == turns[i + 1][1] for i in range(0, 12, 2)), turns
    order = [text for event, text in turns if event == "begin"]
    for texts_ in sent.values():
        assert [t for t in order if t in texts_] == texts_, "each tab's messages in the order it sent them"
    for frames in seen:  # both tabs show every answer, in Rasa's order
        assert _bot_texts(frames) == [f"收到：{text}" for text in order]


def test_typing_frames_reach_a_tab_on_the_other_process(two_gateways: tuple[str, str, StandInRasa]) -> None:
    first, second, rasa = two_gateways
    r = resident_session(first)
    socket_of = lambda base, features: websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}{features}"))  # noqa: E731

    async def scenario() -> tuple[list[dict], list[dict]]:
        async with socket_of(first, "&features=typing") as writer, socket_of(second, "&features=typing") as watcher, socket_of(
            second, ""
        ) as plain:
            await asyncio.sleep(0.5)
            await writer.send(json.dumps({"text": "小区东门的道闸坏了"}, ensure_ascii=False))
            done = lambda frames: bool(_bot_texts(frames))  # noqa: E731
            watched, plained = await asyncio.gather(_frames_until(watcher, done), _frames_until(plain, done))
            return watched, plained

    rasa.delay = 0.5
    try:
        watched, plained = asyncio.run(scenario())
    finally:
        rasa.delay = 0.0
    assert [f["type"] if f["type"] != "typing" else f["on"] for f in watched] == ["message", True, False, "message"]
    assert [f["type"] for f in plained] == ["message", "message"], "no typing frames for a socket that did not ask"


class Closable(Collecting):
    def __init__(self) -> None:
        super().__init__()
        self.closed: tuple[int, str] | None = None

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)


def test_an_accounts_consoles_close_on_every_process() -> None:
    """A manager disables an account on one gateway process (bot.gateway.admin_routes): its console
    on another process is closed with 4401 too, the other consoles stay."""
    from bot.gateway.agents import LoggedIn
    from bot.gateway.hub import SESSION_ENDED

    async def scenario() -> None:
        prefix = f"test-{uuid.uuid4().hex}"
        a, b = Hub(), Hub()
        a.attach(RedisFanout(REDIS_URL, prefix))
        b.attach(RedisFanout(REDIS_URL, prefix))
        try:
            for hub in (a, b):
                await asyncio.wait_for(hub.fanout.ready.wait(), 5)
            ding_on_a, ding_on_b, other_on_b = Closable(), Closable(), Closable()
            a.agents[ding_on_a] = LoggedIn(7, "客服丁", "x")
            b.agents[ding_on_b] = LoggedIn(7, "客服丁", "y")
            b.agents[other_on_b] = LoggedIn(8, "客服戊", "z")
            await a.end_sessions(7)
            assert ding_on_a.closed == (SESSION_ENDED, "session ended") and ding_on_a not in a.agents  # this process: at once
            await _until(lambda: ding_on_b.closed is not None)
            assert ding_on_b.closed == (SESSION_ENDED, "session ended") and list(b.agents) == [other_on_b]
            await b.to_agents({"type": "queue"})
            assert other_on_b.closed is None and other_on_b.frames == [{"type": "queue"}]
        finally:
            for hub in (a, b):
                await hub.fanout.close()

    asyncio.run(scenario())
