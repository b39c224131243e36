"""The gateway as a real process on SQLite (Rasa deliberately unreachable): identity, storage,
bad input, rate limit, console authentication, CSRF, a claim's 200 and 409, the politeness gate."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import websockets

from bot import texts
from bot.conversations.lifecycle import request_handoff
from bot.conversations.status import Priority
from bot.gateway.agents import create_agent
from bot.gateway.relay import MAX_TEXT
from bot.storage import session_scope, upgrade
from bot.storage.models import Conversation, Message
from tests.gateway_support import cookie_header, exchange, login, make_agent, resident_session, running_gateway, ws_url
from tests.standin_rasa import unreachable_url

EMPTY_REPLY, MALFORMED_REPLY, RATE_LIMIT_REPLY = (texts.render(f"message.{key}") for key in ("empty", "malformed", "too_fast"))
RASA_DOWN_REPLY, TOO_LONG_REPLY = texts.render("message.assistant_busy"), texts.render("message.too_long", max_chars=MAX_TEXT)


@pytest.fixture(scope="module")
def gateway_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database this module's gateway process uses (not conftest's per-test ``db``)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('gwapi') / 'gw.db'}"
    upgrade(url)
    for name in ("甲", "乙"):
        make_agent(url, name)
    with session_scope(url) as session:
        create_agent(session, "zhangming", "correct-horse-1", display_name="张明")
    return url


@pytest.fixture(scope="module")
def base(gateway_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("gwlog") / "gateway.log"
    unreachable = unreachable_url()  # Rasa and the action server, for /healthz too
    with running_gateway(gateway_database, unreachable, log, GATEWAY_RATE_LIMIT="5", ACTION_SERVER_URL=unreachable) as url:
        yield url


def messages_of(gateway_database: str, conversation_id: str) -> list[Message]:
    with session_scope(gateway_database) as session:
        return list(session.execute(sa.select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)).scalars())


def test_session_issues_and_keeps_signed_tokens(base: str) -> None:
    first = resident_session(base)
    assert first["token"].startswith(first["resident_id"] + ".")
    assert resident_session(base, first["token"]) == first
    forged = first["resident_id"] + "." + "0" * 64
    assert resident_session(base, forged)["resident_id"] != first["resident_id"]


def test_messages_are_stored_and_history_is_private(base: str, gateway_database: str) -> None:
    alice, bob = resident_session(base), resident_session(base)
    frames = asyncio.run(exchange(base, alice["token"], [{"type": "message", "text": "电梯坏了"}], wait_for=2))
    echo, apology = frames
    assert echo["message"]["role"] == "resident" and echo["message"]["text"] == "电梯坏了"
    assert apology["message"]["text"] == RASA_DOWN_REPLY  # Rasa is down here: a polite reply, also stored
    stored = messages_of(gateway_database, alice["resident_id"])
    assert [(m.id, m.role) for m in stored] == [(echo["message"]["id"], "resident"), (apology["message"]["id"], "bot")]

    own = httpx.get(f"{base}/api/resident/history", headers={"Authorization": f"Bearer {alice['token']}"})
    assert [m["text"] for m in own.json()["messages"]] == ["电梯坏了", RASA_DOWN_REPLY]
    theirs = httpx.get(f"{base}/api/resident/history", headers={"Authorization": f"Bearer {bob['token']}"})
    assert theirs.json()["messages"] == []
    # Bob cannot pass Alice's id with his signature, nor read without a token.
    stolen = alice["resident_id"] + "." + bob["token"].split(".")[1]
    assert httpx.get(f"{base}/api/resident/history", headers={"Authorization": f"Bearer {stolen}"}).status_code == 401
    assert httpx.get(f"{base}/api/resident/history").status_code == 401


def test_socket_refuses_forged_token_and_foreign_origin(base: str) -> None:
    async def attempt(token: str, **kwargs: object) -> None:
        async with websockets.connect(ws_url(base, f"/ws/resident?token={token}"), **kwargs) as socket:
            await asyncio.wait_for(socket.recv(), 10)

    alice = resident_session(base)
    with pytest.raises(websockets.ConnectionClosed):
        asyncio.run(attempt(alice["resident_id"] + "." + "f" * 64))
    with pytest.raises(websockets.ConnectionClosed):
        asyncio.run(attempt(alice["token"], origin="http://evil.example"))


def test_bad_input_gets_polite_replies(base: str, gateway_database: str) -> None:
    r = resident_session(base)
    long_text = "漏" * 6000
    frames = asyncio.run(exchange(base, r["token"], ["{oops", {"text": ""}, {"text": long_text}], wait_for=5))
    assert frames[0] == {"type": "notice", "text": MALFORMED_REPLY}
    assert frames[1] == {"type": "notice", "text": EMPTY_REPLY}
    assert frames[2]["message"]["text"] == long_text
    assert frames[3]["message"]["text"] == TOO_LONG_REPLY
    assert messages_of(gateway_database, r["resident_id"])[0].text == long_text  # stored in full


def test_rate_limit_answers_politely(base: str, gateway_database: str) -> None:
    r = resident_session(base)
    sent = [{"text": f"第{i}条"} for i in range(7)]
    frames = asyncio.run(exchange(base, r["token"], sent, wait_for=12))
    notices = [f for f in frames if f["type"] == "notice"]
    assert notices == [{"type": "notice", "text": RATE_LIMIT_REPLY}] * 2
    assert len([m for m in messages_of(gateway_database, r["resident_id"]) if m.role == "resident"]) == 5


def test_the_desk_header_names_the_agent_as_residents_know_them(base: str) -> None:
    """「客服：张明（zhang）」: the name residents are told, with the login; an account without a
    display name is its login alone."""
    client, _ = login(base, "zhangming")
    page = client.get("/agent").text
    assert '<span class="who">客服：张明（zhangming）</span>' in page
    assert '<meta name="agent-name" content="zhangming">' in page  # the console matches its own cases by login
    plain, _ = login(base, "甲")
    assert '<span class="who">客服：甲</span>' in plain.get("/agent").text


def test_console_refuses_unauthenticated(base: str) -> None:
    assert httpx.get(f"{base}/api/agent/queue").status_code == 401
    assert httpx.post(f"{base}/api/agent/conversations/x/claim", headers={"X-CSRF-Token": "x"}).status_code == 401
    assert httpx.post(f"{base}/api/agent/login", json={"name": "甲", "password": "wrong-password"}).status_code == 401
    assert httpx.post(f"{base}/api/agent/login", data={"name": "甲", "password": "correct-horse-1"}).status_code == 415
    page = httpx.get(f"{base}/agent")
    assert 'data-testid="login-user"' in page.text and "csrf-token" not in page.text

    async def agent_socket() -> None:
        async with websockets.connect(ws_url(base, "/ws/agent")) as socket:
            await asyncio.wait_for(socket.recv(), 10)

    with pytest.raises(websockets.ConnectionClosed):
        asyncio.run(agent_socket())


def test_login_cookie_and_csrf(base: str, gateway_database: str) -> None:
    client, csrf = login(base, "甲")
    cookie = client.cookies.jar
    raw = httpx.post(f"{base}/api/agent/login", json={"name": "甲", "password": "correct-horse-1"}).headers["set-cookie"].lower()
    assert "httponly" in raw and "samesite=strict" in raw
    assert len(list(cookie)) == 1
    assert client.get("/api/agent/queue").status_code == 200
    with session_scope(gateway_database) as session:
        request_handoff(session, "csrf-1", reason="request_human", priority=Priority.NORMAL)
    assert client.post("/api/agent/conversations/csrf-1/claim").status_code == 403
    assert client.post("/api/agent/conversations/csrf-1/claim", headers={"X-CSRF-Token": "wrong"}).status_code == 403
    _, other_csrf = login(base, "乙")
    assert client.post("/api/agent/conversations/csrf-1/claim", headers={"X-CSRF-Token": other_csrf}).status_code == 403
    assert client.post("/api/agent/conversations/csrf-1/claim", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.post("/api/agent/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/agent/queue").status_code == 401


def test_claim_answers_200_to_the_first_agent_and_409_to_the_second(base: str, gateway_database: str) -> None:
    """The HTTP side of a claim: the winner gets 200, the other agent 409 with a reason, and the
    conversation is the winner's. Which of two simultaneous claims wins is the lifecycle's atomic
    transition, raced on SQLite and PostgreSQL in tests/test_conversation_lifecycle.py."""
    with session_scope(gateway_database) as session:
        request_handoff(session, "claim-http", reason="emergency", priority=Priority.EMERGENCY, summary="着火")
    (first, first_csrf), (second, second_csrf) = (login(base, name) for name in ("甲", "乙"))
    won = first.post("/api/agent/conversations/claim-http/claim", headers={"X-CSRF-Token": first_csrf})
    lost = second.post("/api/agent/conversations/claim-http/claim", headers={"X-CSRF-Token": second_csrf})
    assert [won.status_code, lost.status_code] == [200, 409]
    assert lost.json()["error"]
    with session_scope(gateway_database) as session:
        conversation = session.get(Conversation, "claim-http")
        assert (conversation.status, conversation.assigned_agent) == ("assigned", "甲")


def test_queue_order_and_impolite_reply_is_refused(base: str, gateway_database: str) -> None:
    with session_scope(gateway_database) as session:
        request_handoff(session, "q-normal", reason="request_human", priority=Priority.NORMAL)
        request_handoff(session, "q-fire", reason="emergency", priority=Priority.EMERGENCY)
    client, csrf = login(base, "甲")
    pending = client.get("/api/agent/queue").json()["pending"]
    ids = [item["id"] for item in pending]
    assert ids.index("q-fire") < ids.index("q-normal")
    assert next(i for i in pending if i["id"] == "q-fire")["emergency"] is True
    headers = {"X-CSRF-Token": csrf}
    assert client.post("/api/agent/conversations/q-normal/reply", json={"text": "您好"}, headers=headers).status_code == 409  # not claimed
    assert client.post("/api/agent/conversations/q-normal/claim", headers=headers).status_code == 200
    draft = client.post("/api/agent/check", json={"text": "这个我不知道，你自己去问"}, headers=headers).json()
    assert draft["violations"]
    refused = client.post("/api/agent/conversations/q-normal/reply", json={"text": "这个我不知道，你自己去问"}, headers=headers)
    assert refused.status_code == 422 and refused.json()["violations"]
    sent = client.post("/api/agent/conversations/q-normal/reply", json={"text": "您好，我是客服，请问有什么可以帮您？"}, headers=headers)
    assert sent.status_code == 200
    transcript = client.get("/api/agent/conversations/q-normal").json()
    assert [m["role"] for m in transcript["messages"]] == ["system", "agent"]
    other, other_csrf = login(base, "乙")
    assert other.post("/api/agent/conversations/q-normal/resolve", headers={"X-CSRF-Token": other_csrf}).status_code == 409
    assert client.post("/api/agent/conversations/q-normal/resolve", headers=headers).status_code == 200


def test_agent_socket_pushes_queue(base: str, gateway_database: str) -> None:
    client, _ = login(base, "甲")
    cookie = cookie_header(client)

    async def first_frame() -> dict:
        async with websockets.connect(ws_url(base, "/ws/agent"), extra_headers={"Cookie": cookie}) as socket:
            return json.loads(await asyncio.wait_for(socket.recv(), 10))

    frame = asyncio.run(first_frame())
    assert frame["type"] == "queue" and "pending" in frame and "assigned" in frame


def test_widget_and_pages_are_served(base: str) -> None:
    index = httpx.get(f"{base}/")
    assert '<script src="/widget.js"' in index.text and "default-src 'self'" in index.headers["content-security-policy"]
    widget = httpx.get(f"{base}/widget.js").text
    assert ".innerHTML" not in widget and "insertAdjacentHTML" not in widget and "textContent" in widget
    assert ".innerHTML" not in httpx.get(f"{base}/static/console.js").text
    assert httpx.get(f"{base}/agent").headers["x-frame-options"] == "DENY"


def test_health_with_rasa_down_keeps_the_gateway_in_service(base: str) -> None:
    """Rasa and the action server are unreachable here: degraded, listed, but 200 and ready."""
    health = httpx.get(f"{base}/healthz", timeout=10)
    assert health.status_code == 200 and health.headers["cache-control"] == "no-store"
    body = health.json()
    assert body["status"] == "degraded" and body["ok"] is True and body["ready"] is True and body["draining"] is False
    assert body["parts"]["database"]["ok"] is True
    [rasa] = body["parts"]["rasa"]
    assert rasa["ok"] is False and rasa["error"] and rasa["url"].startswith("http://127.0.0.1:")
    assert body["parts"]["actions"]["ok"] is False and "redis" not in body["parts"]
    assert set(body["degraded"]) == {"actions", f"rasa {rasa['url']}"}
    ready = httpx.get(f"{base}/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json() == {"ready": True}


def test_migration_downgrade_round_trip(tmp_path: Path) -> None:
    from bot.storage.migrate import downgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    downgrade(url, "0001")
    assert "agents" not in sa.inspect(sa.create_engine(url)).get_table_names()
    upgrade(url)
    assert {"agents", "agent_sessions"} <= set(sa.inspect(sa.create_engine(url)).get_table_names())
