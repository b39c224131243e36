"""Nothing lost, never down (issue 11 §1–2): bot.gateway.recovery with the relay's turn path.

In one process (a :class:`~bot.gateway.state.Gateway` with collecting sockets, the stand-in Rasa,
the movable clock; SQLite and PostgreSQL):

- Rasa down: every message stored, each resident told politely, a live emergency queued and
  alerted by the gateway's own rules; Rasa back: the waiting messages answered in order per
  conversation, once;
- messages that waited longer than ``TURN_STALE_SECONDS`` handed to the agents (a handoff request,
  one alert) with a plain notice naming them — also while Rasa is still down; fresher ones answered;
- a resend of a stored client id whose turn never finished gets its turn; a button's command is
  replayed as the command;
- Rasa hanging mid-turn: the turn waits and is replayed once;
- two gateways' recoveries racing: each waiting turn replayed once; without a shared turn lock a
  later turn still waits for the one another process runs.

With real gateway processes: Rasa down under open sockets (the resident told, the console alerted to
the emergency) and the bot answering the waiting messages, in order, within
:data:`ANSWERED_AGAIN_WITHIN` of Rasa's return; a gateway killed with -9 while Rasa holds its turn,
two surviving gateways racing to replay it — Rasa asked again exactly once, one answer (SQLite and
PostgreSQL).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import websockets

from bot import texts
from bot.clock import ShiftedClock
from bot.conversations.turns import UNANSWERED
from bot.gateway.aftercare import alerted_while_busy_text
from bot.gateway.agents import LoggedIn
from bot.gateway.config import GatewayConfig
from bot.gateway.hub import FEATURES
from bot.gateway.rasa_client import RasaClient
from bot.gateway.recovery import Recovery
from bot.gateway.relay import echo_stored, handle_resident_text
from bot.gateway.state import Gateway
from bot.roles import Role
from bot.storage import session_scope
from bot.storage.models import Conversation, HandoffRequest, Message
from tests.gateway_support import cookie_header, login, make_agent, resident_session, running_gateway, start_gateway, ws_url
from tests.standin_rasa import StandInRasa

BUSY = texts.render("message.assistant_busy")
FIRE_WHILE_BUSY = alerted_while_busy_text("fire")
FIRE = "厨房着火了 好大的烟 快来人"


class Socket:
    """A WebSocket as the hub sees it: collects what it is sent."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def send(self, data: str) -> None:
        self.frames.append(json.loads(data))

    def texts(self, role: str = "bot") -> list[str]:
        return [f["message"]["text"] for f in self.frames if f["type"] == "message" and f["message"]["role"] == role]

    def kinds(self) -> list[str]:
        return [f["type"] if f["type"] != "typing" else f"typing-{'on' if f['on'] else 'off'}" for f in self.frames]


def make_gateway(rasa_url: str, timeout: float = 60.0, **config: Any) -> Gateway:
    return Gateway(GatewayConfig(port=0, rasa_url=rasa_url, secret=b"test", **config), RasaClient(rasa_url, timeout=timeout))


def resident(gateway: Gateway, conversation_id: str) -> Socket:
    socket = Socket()
    gateway.hub.residents[conversation_id].add(socket)
    FEATURES[socket] = frozenset({"typing"})
    return socket


def console(gateway: Gateway) -> Socket:
    socket = Socket()
    gateway.hub.agents[socket] = LoggedIn(1, "甲", "csrf", Role.AGENT)
    return socket


def asked(rasa: StandInRasa, sender: str) -> list[str]:
    return [body["message"] for body in rasa.webhook if body["sender"] == sender]


def messages(conversation_id: str) -> list[tuple[str, str, str | None]]:
    with session_scope() as session:
        rows = session.execute(sa.select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)).scalars()
        return [(m.role, m.text, m.turn_state) for m in rows]


def requests(conversation_id: str) -> list[tuple[str, int]]:
    with session_scope() as session:
        rows = session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == conversation_id).order_by(HandoffRequest.id))
        return [(r.reason, r.priority) for r in rows.scalars()]


@pytest.fixture
def rasa(database_url: str) -> Iterator[StandInRasa]:
    with StandInRasa(database_url=database_url) as stand_in:
        yield stand_in


def test_while_rasa_is_down_messages_wait_and_are_answered_in_order_when_it_is_back(rasa: StandInRasa, clock: ShiftedClock) -> None:
    rasa.go_down()
    gateway = make_gateway(rasa.url)

    async def scenario() -> None:
        first, second, agents = resident(gateway, "r1"), resident(gateway, "r2"), console(gateway)
        await handle_resident_text(gateway, "r1", "楼道灯不亮")
        await handle_resident_text(gateway, "r1", "确认", command="/affirm")  # a button: its command waits too
        await handle_resident_text(gateway, "r2", FIRE)
        await handle_resident_text(gateway, "r1", "电梯也坏了")
        # Stored, each told politely; the emergency alerted by the gateway's own rules.
        assert first.kinds() == ["message", "typing-on", "typing-off", "message"] * 3
        assert first.texts() == [BUSY] * 3 and second.texts() == [FIRE_WHILE_BUSY]  # the fire: what to do now
        assert {"type": "alert", "conversation_id": "r2", "status": "pending"} in agents.frames
        assert requests("r2") == [("emergency", 0)]
        assert [state for role, _, state in messages("r1") if role == "resident"] == ["pending"] * 3

        clock.advance(timedelta(minutes=2))
        rasa.come_back()
        first.frames.clear()
        recovery = Recovery(gateway)
        await recovery.sweep()
        await recovery.sweep()  # nothing is replayed twice
        assert asked(rasa, "r1") == ["楼道灯不亮", "/affirm", "电梯也坏了"]
        assert asked(rasa, "r2") == [FIRE]
        assert first.texts() == ["收到：楼道灯不亮", "收到：/affirm", "收到：电梯也坏了"]
        assert first.kinds() == ["typing-on", "typing-off", "message"] * 3
        assert second.texts()[-1] == f"收到：{FIRE}", "the emergency's turn is answered too (Rasa's safety instructions)"
        assert [(role, state) for role, _, state in messages("r1")][-3:] == [("bot", None)] * 3
        assert {state for role, _, state in messages("r1") + messages("r2") if role == "resident"} == {"done"}
        await gateway.rasa.close()

    asyncio.run(scenario())


def test_messages_that_waited_too_long_go_to_an_agent_with_a_plain_notice(rasa: StandInRasa, clock: ShiftedClock) -> None:
    rasa.go_down()
    gateway = make_gateway(rasa.url, turn_stale_seconds=600)
    long_text = "卫生间的地漏从昨天晚上开始一直往上返水，味道很大，请尽快安排师傅来看看"

    async def scenario() -> None:
        old, fresh, agents = resident(gateway, "old"), resident(gateway, "fresh"), console(gateway)
        await handle_resident_text(gateway, "old", "厨房水龙头漏水")
        await handle_resident_text(gateway, "old", long_text)
        clock.advance(timedelta(minutes=9))
        await handle_resident_text(gateway, "fresh", "请问物业费怎么交")
        clock.advance(timedelta(minutes=2))  # "old" waited 11 minutes, "fresh" 2
        agents.frames.clear()
        await Recovery(gateway).sweep()  # Rasa is still down: the agents get them now
        quoted = f"「厨房水龙头漏水」、「{long_text[:30]}」"
        assert old.texts()[-1] == texts.render("message.to_agents", count=2, messages=quoted)
        assert [f for f in agents.frames if f["type"] == "alert"] == [{"type": "alert", "conversation_id": "old", "status": "pending"}]
        assert agents.texts()[-1] == old.texts()[-1], "the console's transcript shows the notice too"
        assert requests("old") == [(UNANSWERED, 2)]
        with session_scope() as session:
            assert session.get(Conversation, "old").status == "pending"
            summary = session.execute(sa.select(HandoffRequest.summary)).scalar_one()
            assert "厨房水龙头漏水" in summary and long_text in summary
        assert [state for role, _, state in messages("old") if role == "resident"] == ["flagged", "flagged"]

        rasa.come_back()
        await Recovery(gateway).sweep()
        assert asked(rasa, "old") == [], "a flagged message is not answered late by the bot"
        assert asked(rasa, "fresh") == ["请问物业费怎么交"] and fresh.texts()[-1] == "收到：请问物业费怎么交"
        assert requests("fresh") == []
        await gateway.rasa.close()

    asyncio.run(scenario())


def test_a_new_message_after_a_stale_one_goes_to_the_agent_with_it(rasa: StandInRasa, clock: ShiftedClock) -> None:
    """Rasa is back before any sweep: the resident's next message finds the stale one first."""
    rasa.go_down()
    gateway = make_gateway(rasa.url, turn_stale_seconds=600)

    async def scenario() -> None:
        socket = resident(gateway, "r1")
        await handle_resident_text(gateway, "r1", "楼道灯不亮")
        clock.advance(timedelta(minutes=15))
        rasa.come_back()
        await handle_resident_text(gateway, "r1", "还有人在吗")
        assert asked(rasa, "r1") == []
        assert socket.texts()[-1] == texts.render("message.to_agents", count=2, messages="「楼道灯不亮」、「还有人在吗」")
        assert requests("r1") == [(UNANSWERED, 2)]
        await gateway.rasa.close()

    asyncio.run(scenario())


def test_a_resend_whose_turn_never_finished_gets_its_turn(rasa: StandInRasa) -> None:
    rasa.go_down()
    gateway = make_gateway(rasa.url)

    async def scenario() -> None:
        socket = resident(gateway, "r1")
        await handle_resident_text(gateway, "r1", "门禁卡坏了", client_id="c-1")
        rasa.come_back()
        # The widget's outbox resends it after a reconnect (no recovery sweep has run).
        assert await echo_stored(gateway, "r1", "c-1") is True
        assert asked(rasa, "r1") == ["门禁卡坏了"] and socket.texts()[-1] == "收到：门禁卡坏了"
        assert await echo_stored(gateway, "r1", "c-1") is True  # again: echoed only
        await handle_resident_text(gateway, "r1", "门禁卡坏了", client_id="c-1")  # the same through the message path
        assert asked(rasa, "r1") == ["门禁卡坏了"]
        assert [(role, text) for role, text, _ in messages("r1")] == [("resident", "门禁卡坏了"), ("bot", BUSY), ("bot", "收到：门禁卡坏了")]
        await gateway.rasa.close()

    asyncio.run(scenario())


def test_rasa_hanging_mid_turn_leaves_the_turn_waiting_then_it_is_answered_once(rasa: StandInRasa) -> None:
    gateway = make_gateway(rasa.url, timeout=1.0)
    rasa.hold_containing = "慢"
    rasa.release.clear()

    async def scenario() -> None:
        socket = resident(gateway, "r1")
        await handle_resident_text(gateway, "r1", "慢慢说：空调外机滴水")
        assert socket.texts() == [BUSY]
        rasa.release.set()
        await Recovery(gateway).sweep()
        assert asked(rasa, "r1") == ["慢慢说：空调外机滴水"] * 2
        assert socket.texts() == [BUSY, "收到：慢慢说：空调外机滴水"]
        assert messages("r1")[0][2] == "done"
        await gateway.rasa.close()

    asyncio.run(scenario())


def test_two_gateways_racing_recovery_replay_each_turn_once(rasa: StandInRasa) -> None:
    rasa.go_down()
    first, second = make_gateway(rasa.url), make_gateway(rasa.url)  # two processes: own leases, own locks
    rasa.delay = 0.1

    async def scenario() -> None:
        for n in range(3):
            for conversation_id in ("r1", "r2", "r3"):
                await handle_resident_text(first, conversation_id, f"第{n}条")
        rasa.come_back()
        await asyncio.gather(Recovery(first).sweep(), Recovery(second).sweep(), Recovery(second).sweep())
        for conversation_id in ("r1", "r2", "r3"):
            assert asked(rasa, conversation_id) == ["第0条", "第1条", "第2条"]
            assert [text for role, text, _ in messages(conversation_id) if role == "bot" and text != BUSY] == [f"收到：第{n}条" for n in range(3)]
        await first.rasa.close()
        await second.rasa.close()

    asyncio.run(scenario())


def test_without_a_shared_lock_a_later_turn_waits_for_the_one_another_process_runs(rasa: StandInRasa) -> None:
    """Two processes without Redis: the database still keeps one conversation's turns in order."""
    first, second = make_gateway(rasa.url), make_gateway(rasa.url)
    rasa.hold_containing = "慢"
    rasa.release.clear()

    async def scenario() -> None:
        socket = resident(second, "r1")
        running = asyncio.ensure_future(handle_resident_text(first, "r1", "慢慢说：楼道灯不亮"))
        while not asked(rasa, "r1"):
            await asyncio.sleep(0.02)
        await handle_resident_text(second, "r1", "电梯也坏了")  # stored; waits behind the first
        assert asked(rasa, "r1") == ["慢慢说：楼道灯不亮"] and socket.texts() == []
        rasa.release.set()
        await running
        await Recovery(second).sweep()
        assert asked(rasa, "r1") == ["慢慢说：楼道灯不亮", "电梯也坏了"]
        assert socket.texts() == ["收到：电梯也坏了"]
        await first.rasa.close()
        await second.rasa.close()

    asyncio.run(scenario())


class StandInActionServer:
    """The action server's ``GET /health`` on a free port, that can go down and come back."""

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def come_back(self) -> None:
        class Health(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                body = b'{"status": "ok"}'
                self.send_response(200 if self.path == "/health" else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Health)
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def go_down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def actions() -> Iterator[StandInActionServer]:
    server = StandInActionServer()
    server.come_back()
    try:
        yield server
    finally:
        server.go_down()


def test_while_the_action_server_is_down_messages_wait_and_are_answered_when_it_is_back(rasa: StandInRasa, actions: StandInActionServer) -> None:
    """Rasa runs a turn whose custom action fails (the action server is down) and answers with
    nothing: the resident is told politely instead of silence, Rasa's tracker is rewound, the
    message waits; later messages are not sent to Rasa while the action server is down; when it is
    back, the recovery replays them in order."""
    gateway = make_gateway(rasa.url, action_server_url=actions.url)
    rasa.replies["你好"] = []  # what Rasa's REST channel answers when action_greet fails
    actions.go_down()

    async def scenario() -> None:
        socket = resident(gateway, "r1")
        await handle_resident_text(gateway, "r1", "你好")
        assert socket.texts() == [BUSY]
        assert rasa.appended("r1") == [[{"event": "rewind"}]], "the failed turn is undone in Rasa's tracker"
        assert gateway.actions.down
        await handle_resident_text(gateway, "r1", "物业费怎么交")
        assert asked(rasa, "r1") == ["你好"], "no turn goes to Rasa while its actions cannot run"
        assert socket.texts() == [BUSY, BUSY]
        assert [state for role, _, state in messages("r1") if role == "resident"] == ["pending", "pending"]
        await Recovery(gateway).sweep()
        assert asked(rasa, "r1") == ["你好"], "nor replayed"

        actions.come_back()
        del rasa.replies["你好"]
        deadline = time.monotonic() + 10
        while gateway.actions.down and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await Recovery(gateway).sweep()
        assert asked(rasa, "r1") == ["你好", "你好", "物业费怎么交"]
        assert socket.texts() == [BUSY, BUSY, "收到：你好", "收到：物业费怎么交"]
        assert [state for role, _, state in messages("r1") if role == "resident"] == ["done", "done"]
        await gateway.actions.close()
        await gateway.rasa.close()

    asyncio.run(scenario())


def test_an_empty_answer_with_the_action_server_up_is_no_failure(rasa: StandInRasa, actions: StandInActionServer) -> None:
    gateway = make_gateway(rasa.url, action_server_url=actions.url)
    rasa.replies["嗯"] = []

    async def scenario() -> None:
        socket = resident(gateway, "r1")
        await handle_resident_text(gateway, "r1", "嗯")
        assert socket.texts() == [] and not gateway.actions.down
        assert rasa.appended("r1") == [] and [state for _, _, state in messages("r1")] == ["done"]
        await gateway.rasa.close()

    asyncio.run(scenario())


def test_a_turn_waiting_for_the_databases_write_lock_does_not_stall_the_other_residents(db: str) -> None:
    """Rasa's tracker store and the action server write to the same SQLite file; while one of them
    holds the write lock, a resident's turn waits for it (SQLite's busy handler sleeps in the
    calling thread). In a worker thread it waits alone: the gateway's event loop — every other
    resident's frames — keeps running (bot.gateway.offloop.in_thread). On the event loop it froze
    the whole process for as long: the gateway's latency tail under load."""
    import sqlite3

    path = db.removeprefix("sqlite:///")
    held, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:  # as Rasa's tracker store does while it saves a turn
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(10)
        connection.execute("COMMIT")
        connection.close()

    with StandInRasa(database_url=db) as rasa:
        gateway = make_gateway(rasa.url)

        async def scenario() -> float:
            socket = resident(gateway, "r1")
            locker = threading.Thread(target=hold_the_write_lock)
            locker.start()
            await asyncio.to_thread(held.wait, 10)
            loop = asyncio.get_running_loop()
            loop.call_later(1.0, release.set)
            turn = asyncio.ensure_future(handle_resident_text(gateway, "r1", "楼道灯不亮"))
            longest, last = 0.0, loop.time()
            while not turn.done():  # another resident's work: it must not wait for r1's turn
                await asyncio.sleep(0.01)
                longest, last = max(longest, loop.time() - last), loop.time()
            await turn
            locker.join(10)
            assert socket.texts() == ["收到：楼道灯不亮"], "the turn itself went on once the lock was free"
            await gateway.rasa.close()
            return longest

        longest = asyncio.run(scenario())
    assert longest < 0.5, f"the event loop stood still for {longest:.2f} s while one turn waited for the database"


# --------------------------------------------------------------------------- gateway processes


ANSWERED_AGAIN_WITHIN = 10.0  # seconds from Rasa's return: the recovery probes it at most 5 s apart


def test_a_gateway_keeps_residents_through_rasa_down_and_answers_when_it_is_back(db: str, tmp_path: Path) -> None:
    make_agent(db, "甲")
    with StandInRasa(database_url=db) as rasa, running_gateway(db, rasa.url, tmp_path / "gw.log") as base:
        rasa.go_down()
        r = resident_session(base)
        client, _ = login(base, "甲")

        async def scenario() -> float:
            async with websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}")) as res, websockets.connect(
                ws_url(base, "/ws/agent"), extra_headers={"Cookie": cookie_header(client)}
            ) as agent:
                await asyncio.wait_for(agent.recv(), 20)  # the queue
                seen: list[dict] = []
                for text in ("楼道灯不亮", FIRE):
                    await res.send(json.dumps({"text": text}, ensure_ascii=False))
                    seen += [json.loads(await asyncio.wait_for(res.recv(), 20)) for _ in range(2)]
                # The fire was alerted by the gateway's own rules; the resident reads what to do now
                # (not the generic apology), and so does the agent who opens the case.
                assert [(f["message"]["role"], f["message"]["text"]) for f in seen] == [
                    ("resident", "楼道灯不亮"), ("bot", BUSY), ("resident", FIRE), ("bot", FIRE_WHILE_BUSY)
                ]
                assert texts.render("safety.fire") in FIRE_WHILE_BUSY and "119" in FIRE_WHILE_BUSY
                alerted = []
                while not alerted:
                    frame = json.loads(await asyncio.wait_for(agent.recv(), 20))
                    alerted = [frame] if frame["type"] == "alert" else []
                assert alerted[0]["conversation_id"] == r["resident_id"]
                told = []
                while not told:
                    frame = json.loads(await asyncio.wait_for(agent.recv(), 20))
                    told = [frame["message"]["text"]] if frame["type"] == "message" else []
                assert told == [FIRE_WHILE_BUSY]
                loop = asyncio.get_running_loop()
                back = loop.time()
                rasa.come_back()
                answers = []
                while len(answers) < 2:
                    frame = json.loads(await asyncio.wait_for(res.recv(), 30))
                    if frame["type"] == "message" and frame["message"]["role"] == "bot":
                        answers.append(frame["message"]["text"])
                assert answers == ["收到：楼道灯不亮", f"收到：{FIRE}"]
                return loop.time() - back

        assert asyncio.run(scenario()) < ANSWERED_AGAIN_WITHIN
        assert asked(rasa, r["resident_id"]) == ["楼道灯不亮", FIRE]


def bot_answers(database_url: str, text: str) -> int:
    with session_scope(database_url) as session:
        return session.execute(sa.select(sa.func.count()).select_from(Message).where(Message.text == f"收到：{text}")).scalar_one()


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_a_gateway_killed_mid_turn_is_replayed_once_by_one_of_the_others(database_url: str, tmp_path: Path) -> None:
    text = "慢慢说：地下车库B2的灯全灭了"
    env = {"TURN_LEASE_SECONDS": "2"}
    with StandInRasa(database_url=database_url, hold_containing="慢") as rasa, ExitStack() as stack:
        doomed, doomed_base = start_gateway(database_url, rasa.url, tmp_path / "doomed.log", **env)
        stack.callback(lambda: doomed.poll() is None and doomed.kill())
        survivors = [stack.enter_context(running_gateway(database_url, rasa.url, tmp_path / f"gw{i}.log", **env)) for i in range(2)]
        r = resident_session(doomed_base)
        rasa.release.clear()

        async def send() -> None:
            async with websockets.connect(ws_url(doomed_base, f"/ws/resident?token={r['token']}")) as socket:
                await socket.send(json.dumps({"type": "message", "text": text, "client_id": str(uuid.uuid4())}, ensure_ascii=False))
                await asyncio.wait_for(socket.recv(), 20)  # the echo: stored

        asyncio.run(send())
        wait_until(lambda: asked(rasa, r["resident_id"]) == [text], 20, "Rasa got the turn")
        os.kill(doomed.pid, signal.SIGKILL)  # mid-turn: Rasa holds the answer
        doomed.wait(10)
        rasa.release.set()  # Rasa answers a dead connection
        wait_until(lambda: bot_answers(database_url, text) >= 1, 30, "the turn was replayed")
        time.sleep(3)  # a second replay would have happened by now
        assert asked(rasa, r["resident_id"]) == [text, text], "asked again exactly once"
        assert bot_answers(database_url, text) == 1
        with session_scope(database_url) as session:
            states = session.execute(sa.select(Message.turn_state).where(Message.role == "resident")).scalars().all()
        assert states == ["done"]
        history = httpx.get(f"{survivors[0]}/api/resident/history", headers={"Authorization": f"Bearer {r['token']}"}, timeout=30)
        assert [m["text"] for m in history.json()["messages"]] == [text, f"收到：{text}"]
