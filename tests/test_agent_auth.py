"""Roles by endpoint: every route of the real Sanic app, for no session and for each role (agent,
trainer, manager), against a real gateway process (SQLite).

Routes under ``/api/agent/``, ``/api/trainer/``, ``/api/manager/``, ``/api/admin/`` and ``/ws/agent`` need the roles of ``bot.roles``
(through ``requires_role``): 401 without a session, 403 (``reason: role``) for another role, 403
(``reason: csrf``) for a POST of an allowed role without the CSRF token, and an allowed GET reaches
its handler. Every other route must be listed below as public, a resident's, or a desk page — a new
endpoint nobody classified, or one under those prefixes without the decorator, fails here.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from bot.conversations.lifecycle import request_handoff
from bot.conversations.status import Priority
from bot.gateway.agents import authenticate, create_agent
from bot.gateway.app import create_app
from bot.gateway.config import GatewayConfig
from bot.roles import ADMIN_ROLES, CONSOLE_ROLES, EVERY_ROLE, MANAGER_ROLES, TRAINER_ROLES, Role
from bot.storage import session_scope, upgrade
from tests.gateway_support import cookie_header, login, resident_session, running_gateway, ws_url
from tests.standin_rasa import unreachable_url

PASSWORD = "correct-horse-1"
NAMES = {Role.AGENT: "客服甲", Role.TRAINER: "培训员乙", Role.MANAGER: "经理丙"}
WHO = [None, Role.AGENT, Role.TRAINER, Role.MANAGER]  # None: no session

# Routes that need no account, by path as the router spells it.
PUBLIC = {"", "healthz", "readyz", "widget.js", "favicon.ico", "c/<slug:str>", "static/<__file_uri__:path>", "api/resident/session", "api/agent/login", "api/resident/config", "api/openapi.json"}
# A resident's token opens these; an account's session opens nothing: 401 for everyone here.
RESIDENT = {"api/resident/history", "api/resident/attachments", "api/resident/rating", "api/resident/callback", "api/resident/survey", "ws/resident"}
# The desks: the login form without a session, the desk for its roles, a refusal (403) for others.
DESK_PAGES = {"agent": CONSOLE_ROLES, "trainer": TRAINER_ROLES, "manager": MANAGER_ROLES, "admin": ADMIN_ROLES}
# A photo: its resident's token, or a session of the console (a trainer: 403).
PHOTO = "api/attachments/<attachment_id:int>"
SAMPLES = {"int": "987654", "str": "no-such", "path": "console.js"}


def required_roles(path: str) -> frozenset[Role] | None:
    """The roles an account route needs (the table the decorators must agree with)."""
    if path == "api/agent/logout":
        return EVERY_ROLE
    if path == "api/agent/login":
        return None
    if path.startswith("api/agent/") or path == "ws/agent":
        return CONSOLE_ROLES
    if path.startswith("api/trainer/"):
        return TRAINER_ROLES
    if path.startswith("api/manager/"):
        return MANAGER_ROLES
    if path.startswith("api/admin/"):  # the company's administration (issue 13): accounts, communities
        return ADMIN_ROLES
    return None


def concrete(path: str) -> str:
    """``api/trainer/models/<version_id:int>/confusion/<split:str>`` → a URL path to request."""
    path = path.replace("<split:str>", "heldout.png")
    return "/" + re.sub(r"<[^:>]+:([a-z]+)>", lambda m: SAMPLES[m.group(1)], path)


def routes() -> list[tuple[str, str, bool]]:
    """``(path, method, websocket)`` for every route of the real application."""
    app = create_app(GatewayConfig(port=0, rasa_url="http://127.0.0.1:9", secret=b"census"), name="route_census")
    return sorted({(r.path, method, bool(getattr(r.ctx, "websocket", False))) for r in app.router.routes for method in r.methods})


ROUTES = routes()


@pytest.fixture(scope="module")
def gateway_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('roles') / 'gw.db'}"
    upgrade(url)
    with session_scope(url) as session:
        for role, name in NAMES.items():
            create_agent(session, name, PASSWORD, role=role)
    return url


@pytest.fixture(scope="module")
def gateway(gateway_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_gateway(gateway_database, unreachable_url(), tmp_path_factory.mktemp("log") / "gw.log") as base:
        yield base


@pytest.fixture(scope="module")
def clients(gateway: str) -> dict[Role | None, tuple[httpx.Client, str]]:
    logged = {role: login(gateway, name, PASSWORD) for role, name in NAMES.items()}
    return {None: (httpx.Client(base_url=gateway, timeout=30), ""), **logged}


def test_every_route_is_classified() -> None:
    unknown = [
        (path, method)
        for path, method, _ in ROUTES
        if required_roles(path) is None and path not in PUBLIC | RESIDENT | set(DESK_PAGES) | {PHOTO}
    ]
    assert unknown == [], "a route nobody classified: give it requires_role(...) or list it in this test"
    assert {p for p, _, _ in ROUTES} >= PUBLIC | RESIDENT | set(DESK_PAGES) | {PHOTO}, "the lists name routes that no longer exist"


def _close_code(base: str, path: str, cookie: str) -> int | None:
    """The close code the server sends when it refuses the socket; None when it sends a frame."""

    async def attempt() -> int | None:
        async with websockets.connect(ws_url(base, path), extra_headers={"Cookie": cookie} if cookie else {}) as socket:
            try:
                await asyncio.wait_for(socket.recv(), 10)
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
            return None

    return asyncio.run(attempt())


def _request(client: httpx.Client, method: str, path: str, csrf: str = "") -> httpx.Response:
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return client.request(method, path, headers=headers, json={} if method == "POST" else None)


@pytest.mark.parametrize(("path", "method", "socket"), [r for r in ROUTES if required_roles(r[0])], ids=lambda v: str(v))
def test_account_routes_answer_by_role(clients: dict[Role | None, tuple[httpx.Client, str]], gateway: str, path: str, method: str, socket: bool) -> None:
    needed = required_roles(path)
    assert needed is not None
    for who in WHO:
        client, csrf = clients[who]
        if socket:
            code = _close_code(gateway, concrete(path), cookie_header(client) if who else "")
            assert code == (4401 if who is None else None if who in needed else 4403), (who, code)
            continue
        if who is None:
            reply = _request(client, method, concrete(path), "x")
            assert (reply.status_code, reply.json()["reason"]) == (401, "unauthenticated"), reply.text
        elif who not in needed:
            reply = _request(client, method, concrete(path), csrf)  # a valid token does not help
            assert (reply.status_code, reply.json()["reason"]) == (403, "role"), (who, reply.text)
        elif method == "POST":
            reply = _request(client, method, concrete(path))  # allowed: stopped only by the missing token
            assert (reply.status_code, reply.json()["reason"]) == (403, "csrf"), (who, reply.text)
        else:
            reply = _request(client, method, concrete(path), csrf)
            assert reply.status_code not in (401, 403) and reply.status_code < 500, (who, reply.status_code, reply.text)


def test_public_resident_and_page_routes_by_role(clients: dict[Role | None, tuple[httpx.Client, str]], gateway: str) -> None:
    for who in WHO:
        client, csrf = clients[who]
        cookie = cookie_header(client) if who else ""
        for path in ("/", "/healthz", "/widget.js", "/static/console.js"):
            assert client.get(path).status_code == 200, (who, path)
        assert client.post("/api/resident/session", json={}).status_code == 200
        for method, path in (("GET", "/api/resident/history"), ("POST", "/api/resident/attachments"), ("POST", "/api/resident/rating"), ("POST", "/api/resident/callback"), ("GET", "/api/resident/survey"), ("POST", "/api/resident/survey")):
            assert _request(client, method, path, csrf).status_code == 401, (who, path)
        assert _close_code(gateway, "/ws/resident", cookie) == 4401
        for page, roles in DESK_PAGES.items():
            answer = client.get("/" + page)
            expected = 200 if who is None or who in roles else 403
            assert answer.status_code == expected, (who, page)
            assert ('data-testid="login-user"' in answer.text) == (who not in roles), (who, page)
        photo = client.get("/api/attachments/987654")
        assert photo.status_code == (401 if who is None else 404 if who in CONSOLE_ROLES else 403), (who, photo.text)


def test_a_manager_works_the_console_and_a_trainer_cannot(
    clients: dict[Role | None, tuple[httpx.Client, str]], gateway: str, gateway_database: str
) -> None:
    rid = resident_session(gateway)["resident_id"]
    with session_scope(gateway_database) as session:
        request_handoff(session, rid, "request_human", Priority.NORMAL, summary="要人工")
    trainer, trainer_csrf = clients[Role.TRAINER]
    assert trainer.post(f"/api/agent/conversations/{rid}/claim", headers={"X-CSRF-Token": trainer_csrf}).status_code == 403
    manager, csrf = clients[Role.MANAGER]
    [item] = [i for i in manager.get("/api/agent/queue").json()["pending"] if i["id"] == rid]
    assert item["capabilities"] == {"claim": True, "reply": False, "hand_back": True, "resolve": True}
    claimed = manager.post(f"/api/agent/conversations/{rid}/claim", headers={"X-CSRF-Token": csrf})
    assert claimed.status_code == 200
    assert claimed.json()["capabilities"] == {"claim": False, "reply": True, "hand_back": True, "resolve": True}
    sent = manager.post(f"/api/agent/conversations/{rid}/reply", json={"text": "您好，我来为您处理"}, headers={"X-CSRF-Token": csrf})
    assert sent.status_code == 200
    agent, _ = clients[Role.AGENT]
    assert agent.get(f"/api/agent/conversations/{rid}").json()["capabilities"] == {"claim": False, "reply": False, "hand_back": False, "resolve": False}


def test_cli_creates_a_manager(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import getpass

    from bot.cli import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": PASSWORD)
    assert main(["agents", "create", "经理丁", "--role", "manager"]) == 0
    assert "manager 经理丁 created; log in at /agent" in capsys.readouterr().out
    with session_scope(url) as session:
        account = authenticate(session, "经理丁", PASSWORD)
        assert account is not None and account.role == Role.MANAGER
    with pytest.raises(SystemExit):
        main(["agents", "create", "谁", "--role", "admin"])
    with session_scope(url) as session, pytest.raises(ValueError):
        create_agent(session, "谁", PASSWORD, role="admin")


def test_frames_are_json_with_capabilities_for_each_console(clients: dict[Role | None, tuple[httpx.Client, str]], gateway: str) -> None:
    """The queue a console socket receives carries its own account's capabilities."""
    client, _ = clients[Role.MANAGER]

    async def first() -> dict[str, Any]:
        async with websockets.connect(ws_url(gateway, "/ws/agent"), extra_headers={"Cookie": cookie_header(client)}) as socket:
            return json.loads(await asyncio.wait_for(socket.recv(), 10))

    frame = asyncio.run(first())
    assert frame["type"] == "queue"
    assert all(set(item["capabilities"]) == {"claim", "reply", "hand_back", "resolve"} for item in frame["pending"] + frame["assigned"])
