"""SIGTERM drains a real gateway process (SQLite, a stand-in Rasa the test holds): the running turn
finishes and its reply reaches the resident; messages sent during the drain are stored, a live
emergency among them still reaches the agents' queue, and they are answered that the assistant is
restarting — Rasa gets no new turn; ``/readyz`` says 503 and a new socket is refused; then every
socket is closed with 1012 (service restart) and the process exits 0."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import websockets

from bot import texts
from bot.conversations.status import Status
from bot.gateway.aftercare import alerted_while_busy_text
from bot.gateway.draining import RESTART_CLOSE_CODE
from bot.storage import session_scope, upgrade
from bot.storage.models import Conversation, HandoffRequest, Message
from tests.gateway_support import resident_session, start_gateway, ws_url
from tests.standin_rasa import StandInRasa

RESTARTING_REPLY = texts.render("message.assistant_restarting")


@pytest.fixture
def rasa(standin_rasa: StandInRasa) -> StandInRasa:
    """The stand-in Rasa, holding every reply to a text with 电梯 until the test releases it."""
    standin_rasa.hold_containing = "电梯"
    standin_rasa.release.clear()
    return standin_rasa


def asked(rasa: StandInRasa, count: int = 1, seconds: float = 30) -> bool:
    """Whether ``count`` texts reached the stand-in's REST channel within ``seconds``."""
    deadline = time.monotonic() + seconds
    while len(rasa.webhook) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(rasa.webhook) >= count


def stored(url: str, conversation_id: str) -> list[tuple[str, str]]:
    with session_scope(url) as session:
        rows = session.execute(sa.select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)).scalars()
        return [(m.role, m.text) for m in rows]


async def frames_until_closed(socket: websockets.WebSocketClientProtocol, seconds: float = 30) -> list[dict[str, Any]]:
    """Every frame until the server closes the socket."""
    received = []
    try:
        while True:
            received.append(json.loads(await asyncio.wait_for(socket.recv(), seconds)))
    except websockets.ConnectionClosed:
        return received


def test_sigterm_lets_the_running_turn_finish_and_stores_what_comes_during_the_drain(rasa: StandInRasa, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drain.db'}"
    upgrade(url)
    process, base = start_gateway(url, rasa.url, tmp_path / "gateway.log", GATEWAY_DRAIN_SECONDS="30")
    try:
        alice, bob, carol = (resident_session(base) for _ in range(3))

        async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int | None, int | None, int | None]:
            async with websockets.connect(ws_url(base, f"/ws/resident?token={alice['token']}")) as a, \
                    websockets.connect(ws_url(base, f"/ws/resident?token={bob['token']}")) as b:
                await a.send(json.dumps({"text": "电梯坏了"}))
                assert await asyncio.to_thread(asked, rasa), "the turn reached Rasa"
                process.send_signal(signal.SIGTERM)
                async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                    for _ in range(100):  # the drain has begun when the gateway stops being ready
                        ready = await http.get("/readyz")
                        if ready.status_code == 503:
                            break
                        await asyncio.sleep(0.1)
                    assert ready.status_code == 503 and ready.json() == {"ready": False, "reason": "draining"}
                    health = (await http.get("/healthz")).json()
                    assert health["ok"] is True and health["ready"] is False and health["draining"] is True
                    assert health["handling"] == 1  # Alice's turn
                await a.send(json.dumps({"text": "还有楼道灯不亮了"}))  # waits behind her running turn
                await b.send(json.dumps({"text": "厨房着火了"}))  # a live emergency, during the drain
                bob_frames = [json.loads(await asyncio.wait_for(b.recv(), 10)) for _ in range(2)]
                async with websockets.connect(ws_url(base, f"/ws/resident?token={carol['token']}")) as c:
                    await frames_until_closed(c, 10)
                late_code = c.close_code
                await asyncio.sleep(1)
                rasa.release.set()  # the running turn finishes
                alice_frames = await frames_until_closed(a)
                bob_frames += await frames_until_closed(b)
            return alice_frames, bob_frames, a.close_code, b.close_code, late_code

        alice_frames, bob_frames, alice_code, bob_code, late_code = asyncio.run(scenario())
        started = time.monotonic()
        assert process.wait(timeout=30) == 0
        assert time.monotonic() - started < 30
    finally:
        if process.poll() is None:
            process.kill()

    assert [f["message"]["text"] for f in alice_frames if f["type"] == "message"] == [
        "电梯坏了", "收到：电梯坏了", "还有楼道灯不亮了", RESTARTING_REPLY,
    ]
    fire = alerted_while_busy_text("fire")  # the live emergency: what to do now, not the generic notice
    assert [f["message"]["text"] for f in bob_frames if f["type"] == "message"] == ["厨房着火了", fire]
    assert alice_code == bob_code == late_code == RESTART_CLOSE_CODE
    assert [body["message"] for body in rasa.webhook] == ["电梯坏了"], "no Rasa turn started during the drain"
    assert stored(url, alice["resident_id"]) == [
        ("resident", "电梯坏了"), ("bot", "收到：电梯坏了"), ("resident", "还有楼道灯不亮了"), ("bot", RESTARTING_REPLY),
    ]
    assert stored(url, bob["resident_id"]) == [("resident", "厨房着火了"), ("bot", fire)]
    with session_scope(url) as session:
        assert session.get(Conversation, bob["resident_id"]).status == Status.PENDING
        handoff = session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == bob["resident_id"])).scalar_one()
        assert handoff.reason == "emergency"
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert "draining: no new turns" in log and "closed 2 socket(s) with 1012" in log


def test_the_drain_waits_for_a_turn_whose_socket_dropped(rasa: StandInRasa, tmp_path: Path) -> None:
    """A turn outlives its socket (bot.gateway.relay.outlive_the_socket): SIGTERM must not cut it."""
    url = f"sqlite:///{tmp_path / 'drain.db'}"
    upgrade(url)
    process, base = start_gateway(url, rasa.url, tmp_path / "gateway.log", GATEWAY_DRAIN_SECONDS="30")
    try:
        dave = resident_session(base)

        async def drop_mid_turn() -> None:
            async with websockets.connect(ws_url(base, f"/ws/resident?token={dave['token']}")) as socket:
                await socket.send(json.dumps({"text": "电梯还是坏的"}))
                await asyncio.wait_for(socket.recv(), 10)  # the echo: stored, its turn has begun
                assert await asyncio.to_thread(asked, rasa)

        asyncio.run(drop_mid_turn())
        process.send_signal(signal.SIGTERM)
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=2)  # still draining: Dave's reply is held
        rasa.release.set()
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert stored(url, dave["resident_id"]) == [("resident", "电梯还是坏的"), ("bot", "收到：电梯还是坏的")]
