"""Hand-back continuity (issue 12 §2, bot.intake.continuity) with the real stack: Rasa with the
trained model, the action server and a gateway process.

A resident's complaint is registered; the resident asks for a person; an agent (with a display
name) claims, answers and hands the conversation back. What the resident writes next continues the
agent's case: no second apology, no phone asked again, the addition recorded on the case's ticket
with the agent named; a plain 「好的」 is acknowledged. The events the gateway appended at the
hand-back are in Rasa's tracker: the case slots cleared, the person kept.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import websockets

from bot import texts
from bot.gateway.agents import create_agent
from bot.politeness import is_polite
from bot.processes import Stack
from bot.storage import session_scope
from bot.storage.models import Ticket
from tests.gateway_support import login, resident_session, running_gateway, ws_url

pytestmark = pytest.mark.rasa

QUIET = 1.5  # seconds without a frame after the bot's first reply: the turn's replies are all in


@pytest.fixture(scope="module")
def gateway(rasa_stack: Stack, stack_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with session_scope(stack_database) as session:
        create_agent(session, "zhang", "correct-horse-1", display_name="张明")
    log = tmp_path_factory.mktemp("continuity") / "gateway.log"
    with running_gateway(stack_database, f"http://127.0.0.1:{rasa_stack.rasa_port}", log) as base:
        yield base


class Chat:
    """A resident's socket: send a message and collect what comes back for it."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket

    async def frames(self, until_role: str, timeout: float = 60) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        while not any(m["role"] == until_role for m in self.messages(got)):
            got.append(json.loads(await asyncio.wait_for(self.socket.recv(), timeout)))
        while True:
            try:
                got.append(json.loads(await asyncio.wait_for(self.socket.recv(), QUIET)))
            except asyncio.TimeoutError:
                return got

    @staticmethod
    def messages(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [f["message"] for f in frames if f["type"] == "message"]

    async def say(self, text: str) -> list[str]:
        """The bot's replies to ``text``."""
        await self.socket.send(json.dumps({"text": text}, ensure_ascii=False))
        replies = [m["text"] for m in self.messages(await self.frames("bot")) if m["role"] == "bot"]
        assert replies and all(is_polite(r) for r in replies), replies
        return replies

    async def notice(self) -> str:
        return [m["text"] for m in self.messages(await self.frames("system")) if m["role"] == "system"][-1]


def test_after_a_hand_back_the_bot_continues_the_agents_case(gateway: str, rasa_stack: Stack, stack_database: str) -> None:
    r = resident_session(gateway)
    rid = r["resident_id"]
    agent, csrf = login(gateway, "zhang")
    headers = {"X-CSRF-Token": csrf}

    async def scenario() -> dict[str, Any]:
        async with websockets.connect(ws_url(gateway, f"/ws/resident?token={r['token']}")) as socket:
            chat = Chat(socket)
            first = "\n".join(await chat.say("楼上邻居晚上十一点还在装修 电钻声吵得睡不着 你们管不管"))
            assert "周末和法定节假日不得进行噪音施工" in first
            await chat.say("5栋1单元802")
            summary = "\n".join(await chat.say("13812345678"))
            assert "请您确认投诉信息" in summary
            registered = "\n".join(await chat.say("确认"))
            assert "您的投诉已登记" in registered
            assert "人工" in "\n".join(await chat.say("转人工"))

            claim = await asyncio.to_thread(agent.post, f"/api/agent/conversations/{rid}/claim", headers=headers)
            assert claim.status_code == 200
            assert await chat.notice() == texts.render("agent.joined", agent="张明")  # the display name, not the login
            answer = "您好，我是客服张明。我们已经联系楼上住户，今晚会有同事上门劝止，请您放心。"
            replied = await asyncio.to_thread(agent.post, f"/api/agent/conversations/{rid}/reply", json={"text": answer}, headers=headers)
            assert replied.status_code == 200
            back = await asyncio.to_thread(agent.post, f"/api/agent/conversations/{rid}/hand-back", headers=headers)
            assert back.status_code == 200
            await chat.frames("system")  # the agent answered and left: 客服张明已离开…

            follow_up = await chat.say("楼上还在装修 吵得根本睡不着")
            thanks = await chat.say("好的")
            return {"follow_up": follow_up, "thanks": thanks}

    said = asyncio.run(scenario())
    [complaint] = _tickets(stack_database, rid)
    follow_up = "\n".join(said["follow_up"])
    assert follow_up == texts.render("complaint.added_to_case_after_agent", number=complaint.number, agent="张明")
    assert "致歉" not in follow_up and "代表" not in follow_up, "no second apology"
    assert "联系电话" not in follow_up and "事情发生在哪里" not in follow_up, "nothing known asked again"
    assert said["thanks"] == ["好的。请问还有什么可以帮您？"]
    with session_scope(stack_database) as session:
        notes = [e.note for e in session.get(Ticket, complaint.id).events]
    assert notes[-1] == "居民补充：楼上还在装修 吵得根本睡不着"
    tracker = httpx.get(f"http://127.0.0.1:{rasa_stack.rasa_port}/conversations/{rid}/tracker", timeout=30).json()
    assert tracker["slots"]["phone"] == "13812345678" and tracker["slots"]["address"] == "5-1-802"  # the person is kept
    assert tracker["slots"]["complaint_detail"] is None and tracker["slots"]["handed_back"] is True
    assert not tracker["paused"]


def _tickets(url: str, conversation_id: str) -> list[Ticket]:
    with session_scope(url) as session:
        return list(session.execute(sa.select(Ticket).where(Ticket.conversation_id == conversation_id)).scalars())
