"""The relay against the stand-in Rasa (tests/standin_rasa.py, which records what it gets): buttons,
pending → agents alerted, paused conversations still forwarded to Rasa and delivered to agents, hand
back resumes the tracker, and a live emergency gives one queue entry and one alert whichever path
sees it first."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
import websockets

from bot import texts
from bot.conversations.alerts import EARLY_TAG
from bot.storage import session_scope, upgrade
from bot.storage.models import Conversation, HandoffRequest, Ticket
from tests.gateway_support import cookie_header, frames_until, login, make_agent, resident_session, running_gateway, ws_url
from tests.standin_rasa import StandInRasa

# What this module's stand-in answers besides ``收到：<text>``: a reply with a button, its payload.
REPLIES = {
    "我家漏水": [{"text": "请确认", "buttons": [{"title": "确认", "payload": "/affirm"}]}],
    "/affirm": [{"text": "收到/affirm"}],
}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, StandInRasa, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('relay') / 'gw.db'}"
    upgrade(url)
    make_agent(url, "丙")
    # The stand-in's emergency and handoff intake writes where the gateway reads.
    rasa = StandInRasa(database_url=url, replies=REPLIES, handoffs={"转人工"})
    with rasa, running_gateway(url, rasa.url, tmp_path_factory.mktemp("log") / "gw.log") as base:
        yield base, rasa, url


def test_buttons_handoff_paused_forwarding_and_hand_back(setup: tuple[str, StandInRasa, str]) -> None:
    base, rasa, _ = setup
    r = resident_session(base)
    rid = r["resident_id"]
    client, csrf = login(base, "丙")
    cookie = cookie_header(client)

    async def scenario() -> tuple[list[dict], list[dict]]:
        resident_frames: list[dict] = []
        agent_frames: list[dict] = []
        async with websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}")) as res, websockets.connect(
            ws_url(base, "/ws/agent"), extra_headers={"Cookie": cookie}
        ) as agent:

            async def take(socket: Any, into: list[dict], n: int) -> None:
                for _ in range(n):
                    into.append(json.loads(await asyncio.wait_for(socket.recv(), 20)))

            await take(agent, agent_frames, 1)  # initial queue
            await res.send(json.dumps({"text": "我家漏水"}))
            await take(res, resident_frames, 2)  # echo + reply with buttons
            await res.send(json.dumps({"text": "确认", "payload": "/affirm"}))
            await take(res, resident_frames, 2)
            await res.send(json.dumps({"text": "转人工"}))
            await take(res, resident_frames, 2)
            await take(agent, agent_frames, 2)  # alert + queue
            await res.send(json.dumps({"text": "我还在等"}))
            await take(res, resident_frames, 1)
            await take(agent, agent_frames, 2)  # the message + queue refresh
            return resident_frames, agent_frames

    resident_frames, agent_frames = asyncio.run(scenario())
    assert resident_frames[1]["message"]["buttons"] == [{"title": "确认", "payload": "/affirm"}]
    assert resident_frames[2]["message"]["text"] == "确认"  # the resident sees the title…
    assert rasa.webhook[1] == {"sender": rid, "message": "/affirm"}  # …Rasa gets the payload
    assert resident_frames[3]["message"]["text"] == "收到/affirm"
    assert agent_frames[1] == {"type": "alert", "conversation_id": rid, "status": "pending"}
    assert rid in [i["id"] for i in agent_frames[2]["pending"]]
    assert agent_frames[3]["message"]["text"] == "我还在等"
    assert rasa.webhook[-1] == {"sender": rid, "message": "我还在等"}  # still recorded by Rasa
    assert len(resident_frames) == 7  # and no bot reply while pending

    headers = {"X-CSRF-Token": csrf}
    assert client.post(f"/api/agent/conversations/{rid}/claim", headers=headers).status_code == 200
    assert client.post(f"/api/agent/conversations/{rid}/reply", json={"text": "您好，我来为您处理"}, headers=headers).status_code == 200
    assert client.post(f"/api/agent/conversations/{rid}/hand-back", headers=headers).status_code == 200
    appended = rasa.appended(rid)
    assert appended[0][0]["event"] == "bot"  # the agent's reply kept in the tracker
    assert appended[-1] == [{"event": "resume"}, {"event": "action", "name": "action_listen"}]


def test_live_emergency_reaches_the_agents_before_rasa_answers(setup: tuple[str, StandInRasa, str]) -> None:
    """The stand-in Rasa knows nothing of emergencies and answers late: the queue entry and the alert
    come from the gateway's own emergency rules, before Rasa's reply reaches the resident."""
    base, rasa, url = setup
    r = resident_session(base)
    rid = r["resident_id"]
    client, _ = login(base, "丙")
    cookie = cookie_header(client)
    rasa.delay = 2.0

    async def scenario() -> tuple[float, float, list[dict]]:
        loop = asyncio.get_running_loop()
        async with websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}")) as res, websockets.connect(
            ws_url(base, "/ws/agent"), extra_headers={"Cookie": cookie}
        ) as agent:
            json.loads(await asyncio.wait_for(agent.recv(), 20))  # initial queue
            started = loop.time()
            await res.send(json.dumps({"text": "厨房着火了 好大的烟 快来人"}))
            agent_frames = []
            while not any(f["type"] == "alert" for f in agent_frames):
                agent_frames.append(json.loads(await asyncio.wait_for(agent.recv(), 20)))
            alerted = loop.time() - started
            while True:
                frame = json.loads(await asyncio.wait_for(res.recv(), 20))
                if frame["type"] == "message" and frame["message"]["role"] == "bot":
                    break
            return alerted, loop.time() - started, agent_frames

    try:
        alerted, answered, agent_frames = asyncio.run(scenario())
    finally:
        rasa.delay = 0.0
    assert {"type": "alert", "conversation_id": rid, "status": "pending"} in agent_frames
    assert alerted < answered, "the agents were alerted before Rasa's answer"
    with session_scope(url) as session:
        conversation = session.get(Conversation, rid)
        assert conversation.status == "pending" and conversation.priority == 0
    queue = client.get("/api/agent/queue").json()
    item = next(i for i in queue["pending"] if i["id"] == rid)
    assert item["emergency"] and "着火" in item["summary"]


def _one_emergency_turn(base: str, rasa: StandInRasa, text: str) -> tuple[str, list[dict]]:
    """A resident sends ``text`` (which the stand-in answers as the emergency action would); the
    console's frames until the turn is over and a moment longer."""
    r = resident_session(base)
    client, _ = login(base, "丙")
    cookie = cookie_header(client)
    rasa.emergencies.add(text)

    async def scenario() -> list[dict]:
        async with websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}")) as res, websockets.connect(
            ws_url(base, "/ws/agent"), extra_headers={"Cookie": cookie}
        ) as agent:
            agent_frames = [json.loads(await asyncio.wait_for(agent.recv(), 20))]  # initial queue
            await res.send(json.dumps({"text": text}))
            while True:  # the emergency reply: the turn is over
                frame = json.loads(await asyncio.wait_for(res.recv(), 20))
                if frame["type"] == "message" and frame["message"]["role"] == "bot":
                    break
            try:
                while True:  # everything the consoles get for it, queue refresh after the turn included
                    agent_frames.append(json.loads(await asyncio.wait_for(agent.recv(), 1.5)))
            except asyncio.TimeoutError:
                return agent_frames

    try:
        return r["resident_id"], asyncio.run(scenario())
    finally:
        rasa.emergencies.discard(text)


def _assert_one_entry_one_alert(url: str, rid: str, agent_frames: list[dict]) -> None:
    alerts = [f for f in agent_frames if f["type"] == "alert"]
    assert alerts == [{"type": "alert", "conversation_id": rid, "status": "pending"}]
    with session_scope(url) as session:
        [request] = session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == rid)).scalars().all()
        ticket = session.execute(sa.select(Ticket).where(Ticket.conversation_id == rid)).scalar_one()
        assert (request.reason, request.ticket_id, request.alerted_at is not None) == ("emergency", ticket.id, True)
    last_queue = [f for f in agent_frames if f["type"] == "queue"][-1]
    [item] = [i for i in last_queue["pending"] if i["id"] == rid]
    assert item["emergency"] and item["respond_by"] is not None
    assert item["capabilities"] == {"claim": True, "reply": False, "hand_back": True, "resolve": True}


def test_emergency_seen_by_the_gateway_first_then_the_action(setup: tuple[str, StandInRasa, str]) -> None:
    """The gateway's rules raise it before Rasa answers; the action's ticket joins that request."""
    base, rasa, url = setup
    rid, agent_frames = _one_emergency_turn(base, rasa, "厨房着火了 好大的烟 快来人")
    _assert_one_entry_one_alert(url, rid, agent_frames)
    with session_scope(url) as session:
        assert EARLY_TAG in session.execute(sa.select(HandoffRequest.summary).where(HandoffRequest.conversation_id == rid)).scalar_one()


def test_emergency_seen_by_the_action_first(setup: tuple[str, StandInRasa, str]) -> None:
    """The gateway's rules miss it (Rasa's classifier finds it): the action queues it and the gateway
    announces it after the turn."""
    base, rasa, url = setup
    rid, agent_frames = _one_emergency_turn(base, rasa, "隔壁家里好像出事了 一直没人应门 你们快派人来")
    _assert_one_entry_one_alert(url, rid, agent_frames)


def test_a_resident_takes_back_a_request_for_an_agent_nobody_has_claimed(setup: tuple[str, StandInRasa, str]) -> None:
    """「算了不用了」 after 「转人工」 got nothing back (tried on scripts/run): the request stayed in every
    console's queue and the resident did not know they were heard. Unclaimed, it is taken back: Rasa
    resumes, the conversation leaves the queue, the resident is told and the bot answers again. An
    emergency is never taken back, whatever its resident writes."""
    base, rasa, url = setup
    r = resident_session(base)
    rid = r["resident_id"]
    client, _ = login(base, "丙")
    cookie = cookie_header(client)

    def bot_text(frame: dict) -> str:
        return frame["message"]["text"] if frame.get("type") == "message" and frame["message"]["role"] != "resident" else ""

    async def scenario() -> tuple[list[dict], list[dict]]:
        async with websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}")) as res, websockets.connect(
            ws_url(base, "/ws/agent"), extra_headers={"Cookie": cookie}
        ) as agent:
            await frames_until(agent, lambda f: f["type"] == "queue")
            await res.send(json.dumps({"text": "转人工"}))
            await frames_until(res, lambda f: bot_text(f) != "")
            await frames_until(agent, lambda f: f["type"] == "queue" and rid in [i["id"] for i in f["pending"]])
            await res.send(json.dumps({"text": "算了不用了"}))
            withdrawn = await frames_until(res, lambda f: bot_text(f) == texts.render("human.withdrawn"))
            queue = await frames_until(agent, lambda f: f["type"] == "queue" and rid not in [i["id"] for i in f["pending"]])
            await res.send(json.dumps({"text": "你好"}))
            await frames_until(res, lambda f: bot_text(f) == "收到：你好")  # the bot answers again
            return withdrawn, queue

    withdrawn, queue = asyncio.run(scenario())
    assert [f["message"]["text"] for f in withdrawn if f.get("type") == "message"][-2:] == ["算了不用了", texts.render("human.withdrawn")]
    assert any(f.get("type") == "message" and f["message"]["text"] == "算了不用了" for f in queue)  # the agents saw it too
    assert [{"event": "resume"}, {"event": "action", "name": "action_listen"}] in rasa.appended(rid)
    with session_scope() as session:
        assert session.execute(sa.select(Conversation.status).where(Conversation.id == rid)).scalar_one() == "bot"
        assert all(h.handled_at is not None for h in session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == rid)).scalars())

    e = resident_session(base)

    async def emergency() -> None:
        async with websockets.connect(ws_url(base, f"/ws/resident?token={e['token']}")) as res:
            await res.send(json.dumps({"text": "厨房着火了 好大的烟"}))
            await frames_until(res, lambda f: bot_text(f) != "")
            await res.send(json.dumps({"text": "算了不用了"}))
            await frames_until(res, lambda f: f.get("type") == "message" and f["message"]["text"] == "算了不用了")
            await asyncio.sleep(1.0)

    asyncio.run(emergency())
    with session_scope() as session:
        assert session.execute(sa.select(Conversation.status).where(Conversation.id == e["resident_id"])).scalar_one() == "pending"
