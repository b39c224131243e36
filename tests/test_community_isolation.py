"""Communities through a real gateway process, on SQLite and PostgreSQL (issue 13 §1, §5, §6).

Like the cross-resident tests of test_gateway_api.py, across communities: a resident's widget is
bound to its community (a token of another community's conversation is not reused); an agent sees
the queue, transcripts, tickets and socket frames of the communities they serve only — another's
conversation is a 404 and never a frame; a manager sees all. An emergency of a community with no
agent logged in goes to every logged-in agent after UNSERVED_EMERGENCY_SECONDS, once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import websockets

from bot import communities
from bot.conversations.alerts import AlertSource, raise_alert
from bot.conversations.lifecycle import request_handoff
from bot.conversations.status import Priority
from bot.gateway.agents import create_agent
from bot.storage import session_scope
from bot.storage.models import HandoffRequest, Ticket
from bot.tickets.rules import INQUIRY_DEADLINES
from bot.tickets.service import NewTicket, create_ticket
from tests.gateway_support import cookie_header, login, running_gateway, ws_url
from tests.standin_rasa import unreachable_url

PASSWORD = "correct-horse-1"


@pytest.fixture
def setup(database_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Three communities: 锦华花园 (first), 兰亭苑, 翠湖苑 (whose agent never logs in); an agent for
    each, a manager; a gateway that opens unserved emergencies to everyone after 1 s."""
    with session_scope() as session:
        first = communities.default_community(session)
        lanting = communities.save_community(session, communities.CommunityFacts(slug="lanting", name="兰亭苑"), by="admin")
        cuihu = communities.save_community(session, communities.CommunityFacts(slug="cuihu", name="翠湖苑"), by="admin")
        create_agent(session, "ax", PASSWORD, communities=[first.id])
        create_agent(session, "ay", PASSWORD, communities=[lanting.id])
        create_agent(session, "az", PASSWORD, communities=[cuihu.id])
        create_agent(session, "boss", PASSWORD, role="manager")
    unreachable = unreachable_url()
    env = {"UNSERVED_EMERGENCY_SECONDS": "1", "ACTION_SERVER_URL": unreachable}
    with running_gateway(database_url, unreachable, tmp_path / "gateway.log", **env) as base:
        yield {"base": base, "first": first, "lanting": lanting, "cuihu": cuihu}


def session_for(base: str, community: str | None, token: str | None = None) -> httpx.Response:
    return httpx.post(f"{base}/api/resident/session", json={"token": token, "community": community}, timeout=30)


async def frames_for(base: str, client: httpx.Client, seconds: float) -> list[dict[str, Any]]:
    """Every frame a console receives within ``seconds``."""
    received: list[dict[str, Any]] = []
    async with websockets.connect(ws_url(base, "/ws/agent"), extra_headers={"Cookie": cookie_header(client)}) as socket:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                received.append(json.loads(await asyncio.wait_for(socket.recv(), left)))
            except asyncio.TimeoutError:
                break
    return received


def mentions(frames: list[dict[str, Any]], conversation_id: str) -> bool:
    return conversation_id in json.dumps(frames, ensure_ascii=False)


def test_a_resident_belongs_to_the_community_the_widget_was_opened_for(setup: dict[str, Any]) -> None:
    base = setup["base"]
    ours = session_for(base, "jinhua-garden").json()
    assert ours["community"]["name"] == "锦华花园" and ours["community"]["duty_phone"] == "0571-8765-4321"
    theirs = session_for(base, "lanting").json()
    assert theirs["community"]["slug"] == "lanting"
    # The same token again: the same conversation; without a community: the token's own.
    assert session_for(base, "lanting", theirs["token"]).json()["resident_id"] == theirs["resident_id"]
    assert session_for(base, None, theirs["token"]).json()["community"]["slug"] == "lanting"
    # Another community's widget with this token: a new conversation there, never theirs.
    moved = session_for(base, "jinhua-garden", theirs["token"]).json()
    assert moved["resident_id"] != theirs["resident_id"] and moved["community"]["slug"] == "jinhua-garden"
    # No community at all (the widget of before): the first one, as before.
    assert session_for(base, None).json()["community"]["slug"] == "jinhua-garden"
    unknown = session_for(base, "nowhere")
    assert unknown.status_code == 404 and "小区" in unknown.json()["error"]
    assert httpx.get(f"{base}/c/lanting").status_code == 200
    assert "兰亭苑" in httpx.get(f"{base}/c/lanting").text
    assert httpx.get(f"{base}/c/nowhere").status_code == 404
    with session_scope() as session:
        assert communities.community_of_conversation(session, theirs["resident_id"]).slug == "lanting"


def test_an_agent_never_sees_a_community_they_do_not_serve(setup: dict[str, Any]) -> None:
    base = setup["base"]
    x = session_for(base, "jinhua-garden").json()["resident_id"]
    y = session_for(base, "lanting").json()["resident_id"]
    with session_scope() as session:
        request_handoff(session, x, reason="request_human", priority=Priority.NORMAL, summary="锦华的住户")
        request_handoff(session, y, reason="request_human", priority=Priority.NORMAL, summary="兰亭的住户")
        ticket = create_ticket(session, NewTicket("inquiry", "handover", "一般", "兰亭的问题", "客服中心", INQUIRY_DEADLINES, conversation_id=y))
        number = ticket.number
        assert ticket.community_id == setup["lanting"].id
    ax, ax_csrf = login(base, "ax", PASSWORD)
    ay, ay_csrf = login(base, "ay", PASSWORD)
    boss, _ = login(base, "boss", PASSWORD)

    def queue_ids(client: httpx.Client) -> set[str]:
        queue = client.get("/api/agent/queue").json()
        return {item["id"] for item in queue["pending"] + queue["assigned"]}

    assert x in queue_ids(ax) and y not in queue_ids(ax)
    assert y in queue_ids(ay) and x not in queue_ids(ay)
    assert {x, y} <= queue_ids(boss)
    [item] = [i for i in ay.get("/api/agent/queue").json()["pending"] if i["id"] == y]
    assert item["community"] == "兰亭苑" and item["case"]["community"] == "兰亭苑" and item["case"]["title"].startswith("兰亭苑 · ")
    # Another community's conversation does not exist for this agent: read, act, tickets.
    assert ax.get(f"/api/agent/conversations/{y}").status_code == 404
    assert ax.get(f"/api/agent/conversations/{y}/slots").status_code == 404
    for action in ("claim", "hand-back", "resolve"):
        assert ax.post(f"/api/agent/conversations/{y}/{action}", headers={"X-CSRF-Token": ax_csrf}).status_code == 404
    assert ax.post(f"/api/agent/conversations/{y}/reply", json={"text": "您好"}, headers={"X-CSRF-Token": ax_csrf}).status_code == 404
    assert number not in json.dumps(ax.get("/api/agent/tickets").json())
    assert number in json.dumps(ay.get("/api/agent/tickets").json())
    assert ax.post(f"/api/agent/tickets/{number}", json={"status": "dispatched"}, headers={"X-CSRF-Token": ax_csrf}).status_code == 404
    assert ay.get(f"/api/agent/conversations/{y}").status_code == 200
    assert ay.post(f"/api/agent/conversations/{y}/claim", headers={"X-CSRF-Token": ay_csrf}).status_code == 200

    # Over the socket: the resident of 兰亭苑 writes to the agent who has the conversation; 锦华's
    # console gets no frame about it, 兰亭苑's does.
    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        resident = session_for(base, "lanting", _token_of(base, y)).json()
        assert resident["resident_id"] == y

        async def write() -> None:
            await asyncio.sleep(1.5)
            async with websockets.connect(ws_url(base, f"/ws/resident?token={resident['token']}")) as socket:
                await socket.send(json.dumps({"type": "message", "text": "请问师傅几点到", "client_id": "iso-1"}, ensure_ascii=False))
                await asyncio.wait_for(socket.recv(), 10)

        seen_x, seen_y, _ = await asyncio.gather(frames_for(base, ax, 5), frames_for(base, ay, 5), write())
        return seen_x, seen_y

    seen_x, seen_y = asyncio.run(scenario())
    assert not mentions(seen_x, y)
    assert any(f["type"] == "message" and f["message"]["conversation_id"] == y for f in seen_y)

    # Finished conversations: searched by the agents of its community (and the manager) only.
    assert ay.post(f"/api/agent/conversations/{y}/resolve", headers={"X-CSRF-Token": ay_csrf}).status_code == 200

    def finished_ids(client: httpx.Client) -> set[str]:
        return {c["id"] for c in client.get("/api/agent/conversations", params={"q": "师傅"}).json()["conversations"]}

    assert y in finished_ids(ay) and y in finished_ids(boss) and y not in finished_ids(ax)


def _token_of(base: str, resident_id: str) -> str:
    """The token of a resident id (signed with the gateway's secret, as the session issued it)."""
    from bot.gateway.tokens import sign
    from tests.gateway_support import SECRET

    return sign(SECRET.encode(), resident_id)


def test_an_emergency_nobody_of_its_community_can_take_goes_to_every_agent(setup: dict[str, Any]) -> None:
    base = setup["base"]
    z = session_for(base, "cuihu").json()["resident_id"]  # 翠湖苑: its agent az never logs in
    ax, _ = login(base, "ax", PASSWORD)
    boss, _ = login(base, "boss", PASSWORD)
    ax_queue = ax.get("/api/agent/queue").json()
    assert ax_queue["unserved_wait_seconds"] == 1.0

    async def scenario() -> list[dict[str, Any]]:
        async def emergency() -> None:
            await asyncio.sleep(1.0)  # ax's console is connected (present) by now
            with session_scope() as session:
                raise_alert(session, z, kind="lift", text="电梯困人了", source=AlertSource.GATEWAY)

        frames, _ = await asyncio.gather(frames_for(base, ax, 8), emergency())
        return frames

    frames = asyncio.run(scenario())
    alerts = [f for f in frames if f["type"] == "alert" and f.get("conversation_id") == z]
    assert len(alerts) == 1 and alerts[0]["everyone"] is True and alerts[0]["waited_seconds"] >= 1
    [item] = [i for i in ax.get("/api/agent/queue").json()["pending"] if i["id"] == z]
    assert item["everyone"] is True and item["everyone_at"] and item["community"] == "翠湖苑"
    assert ax.get(f"/api/agent/conversations/{z}").status_code == 200
    with session_scope() as session:
        opened = session.execute(sa.select(HandoffRequest.everyone_at).where(HandoffRequest.conversation_id == z)).scalars().all()
    assert len(opened) == 1 and opened[0] is not None
    # A community whose agent is logged in (锦华花园: ax's console marked present) waits for its own.
    x = session_for(base, "jinhua-garden").json()["resident_id"]
    with session_scope() as session:
        raise_alert(session, x, kind="fire", text="楼道冒烟了", source=AlertSource.GATEWAY)
    time.sleep(3)
    with session_scope() as session:
        assert session.execute(sa.select(HandoffRequest.everyone_at).where(HandoffRequest.conversation_id == x)).scalar() is None
    assert boss.get(f"/api/agent/conversations/{x}").status_code == 200
    with session_scope() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Ticket)).scalar() == 0
