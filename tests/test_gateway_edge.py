"""The gateway's edge (issue 11, "bad input never reaches a 5xx"), through a real gateway process
against the stand-in Rasa.

- Any resident frame — any JSON value, fields of any type, bytes that are no JSON, text with
  lone surrogates, NUL, emoji, right-to-left scripts, HTML — gets a polite notice or is stored and
  answered, and the socket stays open (Hypothesis, fixed examples: tests/conftest.py's profile).
- Odd-but-valid text is stored with lone surrogates and NUL as U+FFFD and answered, on SQLite and
  on PostgreSQL (where a NUL used to raise in the handler and lose the message).
- Every JSON body of the gateway (session, rating, login, draft check, reply, ticket change, label,
  annotation) of any shape gets a 2xx or a polite 4xx, never a 5xx.
- Sanic's own refusals (404, 405, 413, 400, a plain GET on a socket) are polite JSON under /api/;
  ids past 2⁶³−1 are "not found"; headers with bytes that are no ASCII are refused, not a 500.

After each test the gateway's log holds no traceback: no input reached the unexpected-error path.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import websockets
from hypothesis import HealthCheck, example, given, settings

from bot import texts
from bot.gateway.app import REQUEST_MAX_SIZE, WEBSOCKET_MAX_SIZE
from bot.gateway.attachments import MAX_BYTES
from bot.gateway.relay import MAX_TEXT
from bot.inbound import clean_text
from bot.storage import session_scope, upgrade
from bot.storage.models import Attachment, Message
from tests.edge_support import (
    AGENT,
    MANAGER,
    PASSWORD,
    TRAINER,
    Desk,
    assert_no_unexpected_error,
    frames,
    odd_text,
    raw_bodies,
    seed_desk,
)
from tests.gateway_support import login, resident_session, running_gateway, ws_url
from tests.standin_rasa import StandInRasa

ECHO = "收到："  # the stand-in Rasa's answer: 收到：<text>
POLITE_NOTICES = {texts.render("message.malformed"), texts.render("message.empty")}
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


class Gateway:
    def __init__(self, base: str, url: str, log: Path, desk: Desk) -> None:
        self.base, self.url, self.log, self.desk = base, url, log, desk


@pytest.fixture(scope="module")
def rasa() -> Iterator[StandInRasa]:
    with StandInRasa() as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def gateway(rasa: StandInRasa, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """One gateway on SQLite for the module, resident messages unlimited (the rate limit is
    tested in test_gateway_api.py)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('edge') / 'gw.db'}"
    upgrade(url)
    desk = seed_desk(url)
    log = tmp_path_factory.mktemp("edgelog") / "gateway.log"
    with running_gateway(url, rasa.url, log, GATEWAY_RATE_LIMIT="1000000") as base:
        yield Gateway(base, url, log, desk)


def _gateway_on(database_url: str, rasa: StandInRasa, tmp_path: Path) -> Iterator[Gateway]:
    desk = seed_desk(database_url)
    log = tmp_path / "gateway.log"
    with running_gateway(database_url, rasa.url, log, GATEWAY_RATE_LIMIT="1000000") as base:
        yield Gateway(base, database_url, log, desk)


@pytest.fixture
def gateway_on_each_database(database_url: str, rasa: StandInRasa, tmp_path: Path) -> Iterator[Gateway]:
    """A gateway on SQLite, then on PostgreSQL (conftest's ``database_url``)."""
    yield from _gateway_on(database_url, rasa, tmp_path)


# --------------------------------------------------------------------------- resident frames


async def _turn(base: str, frame: str | bytes) -> list[dict[str, Any]]:
    """A new resident sends one frame; the frames back until the turn is over (a notice, or the
    bot's answer), then a ping proves the socket is still open."""
    token = (await asyncio.to_thread(resident_session, base))["token"]
    received: list[dict[str, Any]] = []
    async with websockets.connect(ws_url(base, f"/ws/resident?token={token}"), max_size=2**22) as socket:
        await socket.send(frame)
        while True:
            data = json.loads(await asyncio.wait_for(socket.recv(), 30))
            received.append(data)
            if data["type"] == "notice":
                break
            message = data.get("message") or {}
            if message.get("role") == "bot" and message.get("text", "").startswith(ECHO):
                break
        await asyncio.wait_for(await socket.ping(), 10)
    return received


def turn(base: str, frame: str | bytes) -> list[dict[str, Any]]:
    return asyncio.run(_turn(base, frame))


def resident_rows(url: str, conversation_id: str) -> list[Message]:
    with session_scope(url) as session:
        query = sa.select(Message).where(Message.conversation_id == conversation_id, Message.role == "resident").order_by(Message.id)
        return list(session.execute(query).scalars())


@settings(max_examples=60)
@given(frame=frames)
@example(frame='{"text": "\\ud800"}')
@example(frame='{"text": 5}')
@example(frame='{"text": "hi", "payload": 5}')
@example(frame='{"type": "message", "text": ["a"]}')
@example(frame='{"text": "a", "payload": "/' + "x" * 300 + '"}')
@example(frame="[" * 5000)
@example(frame=b"\xff\xfe")
def test_any_frame_is_answered_politely_and_the_socket_stays_open(gateway: Gateway, frame: str | bytes) -> None:
    received = turn(gateway.base, frame)
    first = received[0]
    if first["type"] == "notice":
        assert first["text"] in POLITE_NOTICES and len(received) == 1
    else:
        echo = first["message"]
        assert echo["role"] == "resident" and echo["text"] == clean_text(echo["text"]) and echo["text"].strip()
        assert received[-1]["message"]["role"] == "bot"
        (stored,) = resident_rows(gateway.url, echo["conversation_id"])
        assert (stored.id, stored.text) == (echo["id"], echo["text"])


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=odd_text)
@example(text="\ud800漏水")
@example(text="水管爆了\x00快来")
def test_odd_but_valid_text_is_stored_and_answered(gateway_on_each_database: Gateway, text: str) -> None:
    """Stored with lone surrogates and NUL as U+FFFD (bot.inbound.clean_text), answered by the bot;
    text that is only spaces gets the polite "empty" notice."""
    gateway = gateway_on_each_database
    frame = json.dumps({"type": "message", "text": text})
    # What the frame says: "\ud800\udc00" in JSON is one character (𐀀), a lone "\ud800" is not.
    expected = clean_text(json.loads(frame)["text"]).strip()
    received = turn(gateway.base, frame)
    if not expected:
        assert received == [{"type": "notice", "text": texts.render("message.empty")}]
        return
    echo, reply = received[0]["message"], received[-1]["message"]
    assert echo["text"] == expected
    assert reply["text"] == ECHO + expected[:MAX_TEXT]
    assert [m.text for m in resident_rows(gateway.url, echo["conversation_id"])] == [expected]


def test_a_lone_surrogate_and_a_nul_are_kept_everywhere_a_resident_or_agent_writes(gateway_on_each_database: Gateway) -> None:
    """The known failures, each on SQLite and PostgreSQL: the resident's message (socket),
    the agent's reply, the photo's filename and the console's login name."""
    gateway, desk = gateway_on_each_database, gateway_on_each_database.desk
    for text, stored in (("\ud800漏水", "\ufffd漏水"), ("燃气\x00泄漏", "燃气\ufffd泄漏")):
        received = turn(gateway.base, json.dumps({"text": text}))
        assert [f["message"]["text"] for f in received] == [stored, ECHO + stored]
        assert [m.text for m in resident_rows(gateway.url, received[0]["message"]["conversation_id"])] == [stored]

    agent, csrf = login(gateway.base, AGENT, PASSWORD)
    sent = agent.post(f"/api/agent/conversations/{desk.conversation_id}/reply", content=b'{"text": "\\u60a8\\u597d\\u0000\\ud800"}',
                      headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"})
    assert sent.status_code == 200, sent.text
    with session_scope(gateway.url) as session:
        replies = session.execute(sa.select(Message.text).where(Message.role == "agent")).scalars().all()
    assert replies == ["您好\ufffd\ufffd"]

    resident = resident_session(gateway.base)
    uploaded = httpx.post(f"{gateway.base}/api/resident/attachments?filename=a%00b.jpg", content=JPEG,
                          headers={"Authorization": f"Bearer {resident['token']}"})
    assert uploaded.status_code == 200, uploaded.text
    with session_scope(gateway.url) as session:
        assert session.execute(sa.select(Attachment.filename)).scalars().all() == ["a\ufffdb.jpg"]

    refused = httpx.post(f"{gateway.base}/api/agent/login", content=b'{"name": "\\u0000", "password": "\\ud800"}',
                         headers={"Content-Type": "application/json"})
    assert refused.status_code == 401

    filtered = agent.get("/api/agent/tickets", params={"priority": "急修\x00"})  # ?priority=…%00: a WHERE on PostgreSQL
    assert (filtered.status_code, filtered.json()["tickets"]) == (200, [])
    trainer, _ = login(gateway.base, TRAINER, PASSWORD)
    searched = trainer.get("/api/trainer/inbox", params={"q": "漏\x00"})
    assert searched.status_code == 200, searched.text
    assert_no_unexpected_error(gateway.log)


def test_a_frame_up_to_the_limit_is_stored_whole_and_a_larger_one_closes_only_its_socket(gateway: Gateway) -> None:
    """WEBSOCKET_MAX_SIZE: 40,000 characters fit even fully escaped (and are stored whole); past the
    limit the websockets library closes that socket with 1009, and the next socket works."""
    text = "漏" * 40_000
    frame = json.dumps({"text": text})  # \u6f0f: six bytes a character
    assert len(frame) < WEBSOCKET_MAX_SIZE
    received = turn(gateway.base, frame)
    assert received[0]["message"]["text"] == text

    async def oversized() -> int | None:
        token = resident_session(gateway.base)["token"]
        async with websockets.connect(ws_url(gateway.base, f"/ws/resident?token={token}")) as socket:
            await socket.send(json.dumps({"text": "漏" * (WEBSOCKET_MAX_SIZE // 3)}, ensure_ascii=False))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 30)
            return closed.value.rcvd.code if closed.value.rcvd else None

    assert asyncio.run(oversized()) == 1009
    assert turn(gateway.base, json.dumps({"text": "还在吗"}))[0]["message"]["text"] == "还在吗"
    assert_no_unexpected_error(gateway.log)


def test_a_photo_of_5_mb_passes_although_json_bodies_stop_at_256_kb(gateway: Gateway) -> None:
    """REQUEST_MAX_SIZE bounds JSON bodies; the photo upload streams past it to its own limit."""
    photo = JPEG + b"\x00" * (MAX_BYTES - len(JPEG))
    assert len(photo) == MAX_BYTES > REQUEST_MAX_SIZE
    uploaded = httpx.post(f"{gateway.base}/api/resident/attachments", content=photo, headers=_resident_headers(gateway), timeout=60)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["message"]["attachment"]["content_type"] == "image/jpeg"


# --------------------------------------------------------------------------- JSON bodies


def _resident_headers(gateway: Gateway) -> dict[str, str]:
    return {"Authorization": f"Bearer {resident_session(gateway.base)['token']}"}


def _account(gateway: Gateway, name: str) -> tuple[httpx.Client, dict[str, str]]:
    client, csrf = login(gateway.base, name, PASSWORD)
    return client, {"X-CSRF-Token": csrf}


ODD = odd_text
# Each endpoint that reads a JSON body, the fields it reads (their right type), and who calls it.
ENDPOINTS: dict[str, tuple[str, dict[str, Any], str]] = {
    "session": ("/api/resident/session", {"token": ODD}, "public"),
    "rating": ("/api/resident/rating", {"level": ODD, "resolution": ODD}, "resident"),
    "login": ("/api/agent/login", {"name": ODD, "password": ODD}, "public"),
    "check": ("/api/agent/check", {"text": ODD}, "agent"),
    "reply": ("/api/agent/conversations/{conversation_id}/reply", {"text": ODD}, "agent"),
    "ticket": ("/api/agent/tickets/{ticket_number}", {"status": ODD, "department": ODD}, "agent"),
    "label": ("/api/agent/messages/{message_id}/label", {"intent": ODD}, "agent"),
    "annotate": ("/api/trainer/annotate", {"item_id": ODD, "intent": ODD, "entities": ODD, "noise": ODD, "override": ODD}, "trainer"),
    "callback_record": ("/api/agent/callbacks/{callback_id}/record", {"method": ODD, "resolved": ODD, "level": ODD, "remark": ODD}, "agent"),
    "callback_answer": ("/api/resident/callback", {"callback": ODD, "resolved": ODD, "level": ODD, "remark": ODD}, "resident"),
    "survey_open": ("/api/manager/surveys", {"title": ODD, "days": ODD, "community_id": ODD}, "manager"),
    "survey_answer": ("/api/resident/survey", {"survey": ODD, "levels": ODD, "texts": ODD}, "resident"),
}


@pytest.fixture(scope="module")
def callers(gateway: Gateway) -> dict[str, tuple[httpx.Client, dict[str, str]]]:
    return {
        "public": (httpx.Client(base_url=gateway.base, timeout=30), {}),
        "resident": (httpx.Client(base_url=gateway.base, timeout=30), _resident_headers(gateway)),
        "agent": _account(gateway, AGENT),
        "trainer": _account(gateway, TRAINER),
        "manager": _account(gateway, MANAGER),
    }


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_any_json_body_gets_an_answer_and_never_a_server_error(
    gateway: Gateway, callers: dict[str, tuple[httpx.Client, dict[str, str]]], endpoint: str
) -> None:
    path, fields, caller = ENDPOINTS[endpoint]
    desk = gateway.desk
    path = path.format(conversation_id=desk.conversation_id, ticket_number=desk.ticket_number, message_id=desk.message_id, callback_id=desk.phone_callback_id)
    client, headers = callers[caller]

    @settings(max_examples=30)
    @given(body=raw_bodies(fields))
    def post(body: bytes) -> None:
        reply = client.post(path, content=body, headers={**headers, "Content-Type": "application/json"})
        assert reply.status_code < 500, (reply.status_code, reply.text)
        answer = reply.json()
        if reply.status_code >= 400:
            assert answer.get("error") or answer.get("ok") is False, answer

    post()
    assert_no_unexpected_error(gateway.log)


# --------------------------------------------------------------------------- paths, sizes, headers

INT_ROUTES = [
    "/api/attachments/{id}",
    "/api/trainer/jobs/{id}",
    "/api/trainer/models/{id}/compare",
    "/api/trainer/models/{id}/confusion/heldout",
]


@pytest.mark.parametrize("number", ["12345678901234567890123", "9223372036854775808", "٣", "1e3"])
@pytest.mark.parametrize("route", INT_ROUTES)
def test_an_id_no_database_column_holds_is_not_found(gateway: Gateway, callers: dict, route: str, number: str) -> None:
    client, headers = callers["trainer" if "trainer" in route else "resident"]
    reply = client.get(route.format(id=number), headers=headers)
    assert reply.status_code == 404
    assert reply.json() == {"error": texts.render("error.not_found"), "reason": "not_found"}


def test_sanic_refusals_are_polite_json_under_api(gateway: Gateway, callers: dict) -> None:
    client, _ = callers["public"]
    assert client.get("/api/no/such/thing").json() == {"error": texts.render("error.not_found"), "reason": "not_found"}
    wrong = client.put("/api/resident/session")
    assert (wrong.status_code, wrong.json()["reason"]) == (405, "method_not_allowed")
    assert "POST" in wrong.headers.get("allow", "")
    huge = client.post("/api/resident/session", content=b"{" + b" " * REQUEST_MAX_SIZE + b"}", headers={"Content-Type": "application/json"})
    assert (huge.status_code, huge.json()) == (413, {"error": texts.render("error.too_large"), "reason": "too_large"})
    for body in (b"{", b"[" * 5000, b"NaN", b'{"token": 1e400}', b"\xff"):
        bad = client.post("/api/resident/session", content=body)
        assert (bad.status_code, bad.json()) == (400, {"error": texts.render("message.bad_request"), "reason": "bad_request"})
    plain = client.get("/ws/resident")
    assert (plain.status_code, plain.json()["reason"]) == (426, "upgrade_required")
    page = client.get("/no/such/page")
    assert (page.status_code, page.text) == (404, texts.render("error.not_found"))
    assert_no_unexpected_error(gateway.log)


def _raw_request(base: str, head: bytes) -> int | None:
    """Send ``head`` as the request's head (bytes httpx would refuse to send); the status, or None
    when the server closed the connection without an answer."""
    host, port = base.removeprefix("http://").split(":")

    async def send() -> int | None:
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(head + b"\r\n\r\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        return int(line.split()[1]) if line else None

    return asyncio.run(send())


def test_headers_of_any_bytes_are_refused_not_a_server_error(gateway: Gateway, callers: dict) -> None:
    """A token, a session cookie or a CSRF header with bytes that are no ASCII (Sanic decodes
    headers with surrogateescape) is compared as bytes: refused, never a TypeError."""
    agent, csrf = callers["agent"]
    cookie = "; ".join(f"{c.name}={c.value}" for c in agent.cookies.jar).encode()
    host = gateway.base.removeprefix("http://").encode()
    resident = b"r-" + b"0" * 32
    assert _raw_request(gateway.base, b"GET /api/resident/history HTTP/1.1\r\nHost: " + host + b"\r\nAuthorization: Bearer " + resident + b".\xe9\xff") == 401
    assert _raw_request(gateway.base, b"GET /api/agent/queue HTTP/1.1\r\nHost: " + host + b"\r\nCookie: wuye_agent=\xe9\xff\x80") == 401
    claim = f"POST /api/agent/conversations/{gateway.desk.conversation_id}/claim HTTP/1.1\r\nHost: ".encode()
    assert _raw_request(gateway.base, claim + host + b"\r\nCookie: " + cookie + b"\r\nX-CSRF-Token: \xe9" + csrf["X-CSRF-Token"].encode()[1:]) == 403
    assert _raw_request(gateway.base, b"GET /api/resident/history?token=r-%ff%00 HTTP/1.1\r\nHost: " + host) == 401
    assert _raw_request(gateway.base, b"POST /api/resident/session HTTP/1.1\r\nHost: " + host + b"\r\nContent-Length: abc") == 400

    async def close_code(path: str, **headers: str) -> int | None:
        async with websockets.connect(ws_url(gateway.base, path), extra_headers=headers) as socket:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 10)
            return closed.value.rcvd.code if closed.value.rcvd else None

    token = resident_session(gateway.base)["token"]
    assert asyncio.run(close_code(f"/ws/resident?token={token}", Origin="http://[")) == 4401  # not a URL: not ours
    assert asyncio.run(close_code("/ws/agent", Origin="http://[", Cookie=cookie.decode())) == 4401
    assert_no_unexpected_error(gateway.log)


def test_a_request_line_sanic_cannot_read_gets_no_server_error(tmp_path: Path) -> None:
    """Bytes that are no ASCII, or a NUL, in the URL itself: Sanic 21.12 cannot build its request
    object and closes the connection (logging its own traceback, hence a gateway of this test's
    own). Browsers and HTTP libraries percent-encode; what is left is no answer, never a 5xx."""
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    upgrade(url)
    with running_gateway(url, "http://127.0.0.1:9", tmp_path / "gateway.log") as base:
        host = base.removeprefix("http://").encode()
        for target in (b"/api/\xe9\xff", b"/api/attachments/1\x00", b"/api/agent/conversations/\xe9"):
            assert _raw_request(base, b"GET " + target + b" HTTP/1.1\r\nHost: " + host) in (None, 400)
        assert httpx.get(f"{base}/healthz").status_code == 200
