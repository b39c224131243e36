"""The relay against a stand-in Rasa (records what it gets): buttons, pending → agents alerted,
paused conversations still forwarded to Rasa and delivered to agents, hand back resumes the tracker."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import websockets

from bot.handoff.queue import PRIORITY_NORMAL, request_handoff
from bot.storage import session_scope, upgrade
from bot.storage.models import Conversation
from tests.gateway_support import cookie_header, login, make_agent, resident_session, running_gateway, ws_url


class FakeRasa:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.webhook: list[dict[str, Any]] = []
        self.events: list[tuple[str, Any]] = []
        self.delay = 0.0  # seconds before each webhook answer
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path.startswith("/webhooks/rest/webhook"):
                    time.sleep(fake.delay)
                    fake.webhook.append(body)
                    reply = fake.answer(body)
                else:
                    fake.events.append((self.path.split("?")[0], body))
                    reply = {}
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        sender, text = body["sender"], body["message"]
        if text == "转人工":  # what action_request_human does: writes the queue, then pauses
            with session_scope(self.database_url) as session:
                if session.get(Conversation, sender).status != "bot":
                    return []
                request_handoff(session, sender, reason="request_human", priority=PRIORITY_NORMAL, summary="要人工")
            return [{"recipient_id": sender, "text": "正在为您转接人工客服"}]
        if text.startswith("/"):
            return [{"recipient_id": sender, "text": f"收到{text}"}]
        return [{"recipient_id": sender, "text": "请确认", "buttons": [{"title": "确认", "payload": "/affirm"}]}]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FakeRasa, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('relay') / 'gw.db'}"
    upgrade(url)
    make_agent(url, "丙")
    fake = FakeRasa(url)
    with running_gateway(url, fake.url, tmp_path_factory.mktemp("log") / "gw.log") as base:
        yield base, fake, url
    fake.server.shutdown()


def test_buttons_handoff_paused_forwarding_and_hand_back(setup: tuple[str, FakeRasa, str]) -> None:
    base, fake, _ = setup
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
    assert fake.webhook[1] == {"sender": rid, "message": "/affirm"}  # …Rasa gets the payload
    assert resident_frames[3]["message"]["text"] == "收到/affirm"
    assert agent_frames[1] == {"type": "alert", "conversation_id": rid, "status": "pending"}
    assert rid in [i["id"] for i in agent_frames[2]["pending"]]
    assert agent_frames[3]["message"]["text"] == "我还在等"
    assert fake.webhook[-1] == {"sender": rid, "message": "我还在等"}  # still recorded by Rasa
    assert len(resident_frames) == 7  # and no bot reply while pending

    headers = {"X-CSRF-Token": csrf}
    assert client.post(f"/api/agent/conversations/{rid}/claim", headers=headers).status_code == 200
    assert client.post(f"/api/agent/conversations/{rid}/reply", json={"text": "您好，我来为您处理"}, headers=headers).status_code == 200
    assert client.post(f"/api/agent/conversations/{rid}/hand-back", headers=headers).status_code == 200
    paths = [(path, body) for path, body in fake.events if rid in path]
    assert paths[0][1][0]["event"] == "bot"  # the agent's reply kept in the tracker
    assert paths[-1][1] == [{"event": "resume"}, {"event": "action", "name": "action_listen"}]


def test_live_emergency_reaches_the_agents_before_rasa_answers(setup: tuple[str, FakeRasa, str]) -> None:
    """The stand-in Rasa knows nothing of emergencies and answers late: the queue entry and the alert
    come from the gateway's own emergency rules, before Rasa's reply reaches the resident."""
    base, fake, url = setup
    r = resident_session(base)
    rid = r["resident_id"]
    client, _ = login(base, "丙")
    cookie = cookie_header(client)
    fake.delay = 2.0

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
        fake.delay = 0.0
    assert {"type": "alert", "conversation_id": rid, "status": "pending"} in agent_frames
    assert alerted < answered, "the agents were alerted before Rasa's answer"
    with session_scope(url) as session:
        conversation = session.get(Conversation, rid)
        assert conversation.status == "pending" and conversation.priority == 0
    queue = client.get("/api/agent/queue").json()
    item = next(i for i in queue["pending"] if i["id"] == rid)
    assert item["emergency"] and "着火" in item["summary"]
