"""Photos go to the open case or start one, and the bot asks what they show (issue 12 §2):
bot.gateway.relay.handle_resident_photo with bot.gateway.attachments and
bot.tickets.service.open_case_ticket / link_attachments, in one process against the stand-in Rasa
(SQLite and PostgreSQL).

- with an open ticket: linked to it, and the resident is asked what the photo shows;
- after an agent resolved the conversation: never on the finished case's ticket (even while that
  ticket is still open); the photo starts a new case — the next ticket picks it up;
- in the middle of a form: kept for the ticket the form registers (not an earlier open one), and the
  form's own question stays the one to answer;
- while waiting for an agent: acknowledged, to the resident and the consoles;
- with an agent: the agent answers, the bot says nothing.
"""

from __future__ import annotations

import asyncio
import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from bot import texts
from bot.conversations import lifecycle
from bot.conversations.status import Priority
from bot.gateway.agents import LoggedIn
from bot.gateway.config import GatewayConfig
from bot.gateway.rasa_client import RasaClient
from bot.gateway.relay import handle_resident_photo
from bot.gateway.state import Gateway
from bot.roles import Role
from bot.storage import session_scope
from bot.storage.models import Attachment, Ticket
from bot.tickets.rules import REPAIR_DEADLINES
from bot.tickets.service import NewTicket, create_ticket
from tests.standin_rasa import StandInRasa


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x10\x20\x30")) + chunk(b"IEND", b"")


class Socket:
    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def send(self, data: str) -> None:
        self.frames.append(json.loads(data))

    def texts(self, role: str = "bot") -> list[str]:
        return [f["message"]["text"] for f in self.frames if f["type"] == "message" and f["message"]["role"] == role]


@pytest.fixture
def rasa(database_url: str) -> Iterator[StandInRasa]:
    with StandInRasa(database_url=database_url) as stand_in:
        yield stand_in


def gateway_for(rasa: StandInRasa) -> Gateway:
    return Gateway(GatewayConfig(port=0, rasa_url=rasa.url, secret=b"test"), RasaClient(rasa.url))


def repair_ticket(conversation_id: str, problem: str = "卫生间漏水") -> str:
    new = NewTicket("repair", "water", "一般", problem, "工程部", REPAIR_DEADLINES["一般"], "3-2-102", "13800138000", conversation_id=conversation_id)
    with session_scope() as session:
        return create_ticket(session, new).number


def linked_to(conversation_id: str) -> list[str | None]:
    """The ticket number each of the conversation's photos is linked to, in order."""
    with session_scope() as session:
        rows = session.execute(
            sa.select(Ticket.number).select_from(Attachment).outerjoin(Ticket, Ticket.id == Attachment.ticket_id)
            .where(Attachment.conversation_id == conversation_id).order_by(Attachment.id)
        )
        return list(rows.scalars())


def run(gateway: Gateway, scenario: Any) -> None:
    async def wrapped() -> None:
        try:
            await scenario()
        finally:
            await gateway.rasa.close()

    asyncio.run(wrapped())


def test_a_photo_joins_the_open_case_and_the_bot_asks_what_it_shows(rasa: StandInRasa) -> None:
    gateway = gateway_for(rasa)
    number = repair_ticket("open")

    async def scenario() -> None:
        socket = Socket()
        gateway.hub.residents["open"].add(socket)
        await handle_resident_photo(gateway, "open", png(), "leak.png")
        assert socket.texts() == [texts.render("photo.linked", number=number)]
        assert "照片拍的是什么情况" in socket.texts()[0]
        assert linked_to("open") == [number]

    run(gateway, scenario)


def test_a_photo_after_the_agent_resolved_never_lands_on_the_finished_case(rasa: StandInRasa) -> None:
    gateway = gateway_for(rasa)
    finished = repair_ticket("done", "电梯困人 救援")

    async def scenario() -> None:
        socket = Socket()
        gateway.hub.residents["done"].add(socket)
        with session_scope() as session:
            lifecycle.request_handoff(session, "done", reason="emergency", priority=Priority.EMERGENCY)
            assert lifecycle.claim(session, "done", "zhang") and lifecycle.resolve(session, "done", "zhang")
        await handle_resident_photo(gateway, "done", png(), "after.png")  # the ticket is still open: not the case
        assert socket.texts()[-1] == texts.render("photo.unlinked")
        assert "照片拍的是什么情况" in socket.texts()[-1]
        assert linked_to("done") == [None]
        later = repair_ticket("done", "阳台门关不上")  # the photo started a new case: its ticket picks it up
        assert linked_to("done") == [later] and later != finished

    run(gateway, scenario)


def test_a_photo_in_the_middle_of_a_form_waits_for_the_forms_ticket(rasa: StandInRasa) -> None:
    gateway = gateway_for(rasa)
    earlier = repair_ticket("form")
    rasa.forms["form"] = "repair_form"

    async def scenario() -> None:
        socket = Socket()
        gateway.hub.residents["form"].add(socket)
        await handle_resident_photo(gateway, "form", png(), "door.png")
        assert socket.texts() == [texts.render("photo.in_form")]  # no question of its own mid-form
        assert linked_to("form") == [None]
        registered = repair_ticket("form", "入户门锁坏了")
        assert linked_to("form") == [registered] and registered != earlier

    run(gateway, scenario)


def test_a_photo_while_waiting_for_an_agent_is_acknowledged_and_with_an_agent_left_to_the_agent(rasa: StandInRasa) -> None:
    gateway = gateway_for(rasa)
    number = repair_ticket("waiting")

    async def scenario() -> None:
        socket, agents = Socket(), Socket()
        gateway.hub.residents["waiting"].add(socket)
        gateway.hub.agents[agents] = LoggedIn(1, "zhang", "csrf", Role.AGENT)
        with session_scope() as session:
            lifecycle.request_handoff(session, "waiting", reason="request_human", priority=Priority.NORMAL)
        await handle_resident_photo(gateway, "waiting", png(), "wait.png")
        acknowledgement = texts.render("photo.waiting_linked", number=number)
        assert socket.texts() == [acknowledgement]
        assert agents.texts() == [acknowledgement] and agents.texts("resident") == ["[图片]"]
        assert rasa.webhook == [], "a photo never goes to Rasa"
        with session_scope() as session:
            assert lifecycle.claim(session, "waiting", "zhang")
        await handle_resident_photo(gateway, "waiting", png(), "agent.png")
        assert socket.texts() == [acknowledgement], "an agent has it: the agent answers"
        assert linked_to("waiting") == [number, number]

    run(gateway, scenario)


def test_a_photo_while_waiting_without_a_ticket_is_acknowledged(rasa: StandInRasa) -> None:
    gateway = gateway_for(rasa)

    async def scenario() -> None:
        socket = Socket()
        gateway.hub.residents["human"].add(socket)
        with session_scope() as session:
            lifecycle.request_handoff(session, "human", reason="request_human", priority=Priority.NORMAL)
        await handle_resident_photo(gateway, "human", png(), "x.png")
        assert socket.texts() == [texts.render("photo.waiting")]

    run(gateway, scenario)
