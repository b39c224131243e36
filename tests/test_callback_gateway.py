"""Callbacks through real gateway processes (SQLite and PostgreSQL), on a clock the test moves
(``WUYE_CLOCK_FILE``): resolving a complaint in the console schedules its callback; three days on,
two gateway processes ask it in the resident's chat exactly once (delivered live across the
processes over Redis); the resident's unhappy answer is stored, reopens the ticket and alerts the
consoles; an agent claims and records a repair's callback between day 7 and day 10.

Rasa is unreachable on purpose: callbacks never go through it.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import websockets

from bot import texts
from bot.clock import ShiftedClock
from bot.gateway.callback_sender import run_once
from bot.gateway.config import GatewayConfig
from bot.gateway.rasa_client import RasaClient
from bot.gateway.state import Gateway
from bot.storage import session_scope
from bot.storage.models import Callback, Message, SatisfactionRating
from tests.callback_support import callback_row, chat_ticket, resolve_ticket, ticket_row
from tests.gateway_support import ClockFile, cookie_header, login, make_agent, resident_session, running_gateway, shared_clock, ws_url
from tests.service_support import missing
from tests.standin_rasa import unreachable_url
from tests.test_gateway_redis import REDIS_UNREACHABLE, REDIS_URL, redis_reachable


@pytest.fixture
def clock_file(tmp_path: Path) -> Iterator[ClockFile]:
    with shared_clock(tmp_path / "clock") as clock:
        yield clock


def _callback_messages(conversation_id: str) -> list[Message]:
    with session_scope() as session:
        rows = session.execute(sa.select(Message).where(Message.conversation_id == conversation_id, Message.role == "bot").order_by(Message.id)).scalars()
        return [m for m in rows if (m.payload or {}).get("callback")]


def _wait(condition: Any, timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def _frames_until(url: str, headers: dict[str, str], wanted: Any, timeout: float = 30) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    async with websockets.connect(url, extra_headers=headers) as socket:
        deadline = asyncio.get_running_loop().time() + timeout
        while not wanted(frames):
            remaining = deadline - asyncio.get_running_loop().time()
            assert remaining > 0, f"frames so far: {frames}"
            frames.append(json.loads(await asyncio.wait_for(socket.recv(), remaining)))
    return frames


def test_a_resolved_complaint_is_called_back_in_the_chat_once_by_two_gateways(database_url: str, clock_file: ClockFile, tmp_path: Path) -> None:
    if not redis_reachable():
        missing(REDIS_UNREACHABLE)
    make_agent(database_url, "客服甲")
    env = {**clock_file.env, "CALLBACK_POLL_SECONDS": "0.3", "REDIS_URL": REDIS_URL, "REDIS_PREFIX": f"loop-{uuid.uuid4().hex[:8]}"}
    with running_gateway(database_url, unreachable_url(), tmp_path / "a.log", **env) as first, running_gateway(database_url, unreachable_url(), tmp_path / "b.log", **env) as second:
        resident = resident_session(first)
        rid, token = resident["resident_id"], resident["token"]
        number = chat_ticket(rid, description="楼上每天晚上装修噪音太吵")
        agent, csrf = login(second, "客服甲")
        resolved = agent.post(f"/api/agent/tickets/{number}", json={"status": "resolved"}, headers={"X-CSRF-Token": csrf})
        assert resolved.status_code == 200 and resolved.json()["callback"]["id"], resolved.text
        callback_id = resolved.json()["callback"]["id"]
        time.sleep(1.5)  # several rounds of both schedules: nothing is due yet
        assert _callback_messages(rid) == []

        async def resident_and_console() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            resident_frames = asyncio.ensure_future(
                _frames_until(ws_url(first, f"/ws/resident?token={token}"), {}, lambda fs: any(f.get("type") == "message" and f["message"].get("callback") for f in fs))
            )
            await asyncio.sleep(1.0)  # the socket is open before the clock moves
            clock_file.advance(timedelta(days=3))
            asked = await resident_frames
            answer = httpx.post(
                f"{second}/api/resident/callback",
                json={"callback": callback_id, "resolved": False, "level": "很不满意", "remark": "晚上还是很吵"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            return asked, [answer.json()["message"]]

        asked, answered = asyncio.run(resident_and_console())
        time.sleep(1.5)  # more rounds of both schedules: still asked once
        [question] = _callback_messages(rid)
        live = [f["message"] for f in asked if f.get("type") == "message" and f["message"].get("callback")]
        assert [m["id"] for m in live] == [question.id]
        assert live[0]["callback"]["ticket"] == number and number in live[0]["text"] and "是否已经解决" in live[0]["text"]
        assert answered[0]["callback"]["id"] == callback_id and answered[0]["text"].startswith(texts.render("callback.answered", resolved=texts.render("callback.resolved_no"), level="很不满意", thanks="")[:12])

        # Stored, reopened, the manager's second callback scheduled, the resident queued for an agent.
        with session_scope() as session:
            row = session.get(Callback, callback_id)
            assert row is not None and (row.status, row.method, row.resolved, row.level, row.remark, row.message_id) == ("done", "chat", False, "很不满意", "晚上还是很吵", question.id)
            follow = session.execute(sa.select(Callback).where(Callback.previous_id == callback_id)).scalar_one()
            assert (follow.attempt, follow.assignee_role, follow.channel) == (2, "manager", "phone")
            assert session.execute(sa.select(sa.func.count()).select_from(SatisfactionRating).where(SatisfactionRating.callback_id == callback_id)).scalar_one() == 1
        assert ticket_row(number).status == "in_progress"
        agent, csrf = login(first, "客服甲")  # three days on: the morning's console session has expired
        queue = agent.get("/api/agent/queue").json()
        assert [i["reason"] for i in queue["pending"] if i["id"] == rid] == ["回访不满意"]
        # A second answer is refused politely.
        again = httpx.post(f"{first}/api/resident/callback", json={"callback": callback_id, "resolved": True, "level": "满意"}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert again.status_code == 409 and again.json()["error"] == texts.render("callback.already_answered")
        too_big = httpx.post(f"{first}/api/resident/callback", json={"callback": 2**70, "resolved": True, "level": "满意"}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        # Not a 5xx from the driver: no JSON of ours holds it (bot.inbound.load_json).
        assert too_big.status_code == 400 and too_big.json()["error"] == texts.render("message.bad_request")
        for callback in (-1, True, "七", None):  # names no callback of theirs (bot.inbound.row_id)
            unknown = httpx.post(f"{first}/api/resident/callback", json={"callback": callback, "resolved": True, "level": "满意"}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert unknown.status_code == 404 and unknown.json()["error"] == texts.render("callback.not_found"), callback


def test_the_console_is_alerted_and_a_repair_is_called_back_between_day_7_and_day_10(database_url: str, clock_file: ClockFile, tmp_path: Path) -> None:
    make_agent(database_url, "客服甲")
    make_agent(database_url, "客服乙")
    env = {**clock_file.env, "CALLBACK_POLL_SECONDS": "0.3"}
    with running_gateway(database_url, unreachable_url(), tmp_path / "gw.log", **env) as base:
        agent, csrf = login(base, "客服甲")
        other, other_csrf = login(base, "客服乙")
        number = chat_ticket("", category="repair", description="卧室窗户关不严")
        assert agent.post(f"/api/agent/tickets/{number}", json={"status": "resolved"}, headers={"X-CSRF-Token": csrf}).json()["callback"]
        clock_file.advance(timedelta(days=6, hours=23))
        agent, csrf = login(base, "客服甲")  # days on: a new console session
        assert agent.get("/api/agent/callbacks").json()["callbacks"] == []  # not due before day 7
        clock_file.advance(timedelta(hours=2))
        agent, csrf = login(base, "客服甲")  # a week on: new console sessions
        other, other_csrf = login(base, "客服乙")
        [item] = agent.get("/api/agent/callbacks").json()["callbacks"]
        assert (item["ticket"], item["state"], item["channel"], item["capabilities"]) == (number, "due", "phone", {"claim": True, "record": False})
        assert item["contact_phone"] != "13812345678"

        async def claim_and_hear_the_alert() -> list[dict[str, Any]]:
            def claimed_then_alerted(frames: list[dict[str, Any]]) -> bool:
                return any(f.get("type") == "callback_alert" for f in frames)

            listening = asyncio.ensure_future(_frames_until(ws_url(base, "/ws/agent"), {"Cookie": cookie_header(agent)}, claimed_then_alerted))
            await asyncio.sleep(1.0)
            first = agent.post(f"/api/agent/callbacks/{item['id']}/claim", headers={"X-CSRF-Token": csrf})
            late = other.post(f"/api/agent/callbacks/{item['id']}/claim", headers={"X-CSRF-Token": other_csrf})
            assert first.status_code == 200 and first.json()["callback"]["contact_phone"] == "13812345678"
            assert late.status_code == 409
            for action in ("claim", "record"):  # an id no database holds: not found, not a 5xx
                body = {"method": "phone", "resolved": True, "level": "满意"}
                assert agent.post(f"/api/agent/callbacks/{2**70}/{action}", json=body, headers={"X-CSRF-Token": csrf}).status_code == 404
            bad = agent.post(f"/api/agent/callbacks/{item['id']}/record", json={"method": "phone", "resolved": "是", "level": "满意"}, headers={"X-CSRF-Token": csrf})
            assert bad.status_code == 400
            for body in ({"method": {}, "resolved": True, "level": "满意"}, {"method": "phone", "resolved": True, "level": 4}, {"method": "phone", "resolved": True, "level": "满意", "remark": 5}):
                wrong = agent.post(f"/api/agent/callbacks/{item['id']}/record", json=body, headers={"X-CSRF-Token": csrf})  # {} was a 500
                assert (wrong.status_code, wrong.json()["reason"]) == (400, "bad_request"), body
            recorded = agent.post(
                f"/api/agent/callbacks/{item['id']}/record",
                json={"method": "phone", "resolved": True, "level": "不满意", "remark": "窗户还是漏风"},
                headers={"X-CSRF-Token": csrf},
            )
            assert recorded.status_code == 200 and recorded.json()["callback"]["state"] == "done", recorded.text
            return await listening

        frames = asyncio.run(claim_and_hear_the_alert())
        [alert] = [f for f in frames if f.get("type") == "callback_alert"]
        assert (alert["ticket"], alert["level"], alert["resolved"]) == (number, "不满意", True)
        assert any(f.get("type") == "callbacks" for f in frames)
        assert ticket_row(number).status == "in_progress"
        listed = agent.get("/api/agent/callbacks").json()["callbacks"]
        assert [(i["state"], i["method_label"]) for i in listed if i["id"] == item["id"]] == [("done", "电话回访")]
        clock_file.advance(timedelta(days=7, minutes=1))  # the follow-up's window, counted from the answer
        agent, csrf = login(base, "客服甲")
        follow = [i for i in agent.get("/api/agent/callbacks").json()["callbacks"] if i["attempt"] == 2]
        assert [(i["state"], i["assignee_role"], i["capabilities"]["claim"]) for i in follow] == [("due", "manager", False)]


def test_a_question_waits_for_the_residents_turn_to_end(database_url: str, clock: ShiftedClock) -> None:
    """The schedule (in-process, the Gateway object) never asks inside a resident's turn: while the
    conversation's turn lock is held, the callback stays scheduled; the next round asks it once."""
    callback_id = resolve_ticket(chat_ticket("r-busy"))
    clock.advance(timedelta(days=2))
    gateway = Gateway(GatewayConfig(port=0, rasa_url=unreachable_url(), secret=b"test"), RasaClient(unreachable_url()))

    async def rounds() -> tuple[int, int, int]:
        async with gateway.turn_locks.hold("r-busy"):
            during = await run_once(gateway)
        return during, await run_once(gateway), await run_once(gateway)

    assert asyncio.run(rounds()) == (0, 1, 0)
    row = callback_row(callback_id)
    [question] = _callback_messages("r-busy")
    assert (row.status, row.message_id) == ("sent", question.id)
