"""A danger written while the conversation is with the agents (bot.intake.emergency.raise_with_agents).

A resident who asked for a person waits in the queue at normal priority, and Rasa is paused: it
only records what they write. 「我家厨房着火了」 written then was recorded and nothing more — no
alert, no safety instructions, no ticket, the case still behind every other in the queue (tried
over the resident WebSocket on `scripts/run`). The gateway's emergency rules now raise it as the
emergency action would: the alert to the consoles, emergency priority, the emergency ticket, and
the danger's instructions to the resident at once — while it waits for someone, and when an agent
already has it (the agent is alerted; the case stays theirs). A danger in a conversation whose
emergency is already open joins it: no second ticket, the usual company while it waits.

In one process (a Gateway with collecting sockets, the stand-in Rasa; SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bot import texts
from bot.conversations.lifecycle import claim
from bot.conversations.status import Priority, Status
from bot.gateway.relay import handle_resident_text
from bot.intake.emergency import EmergencyOutcome
from bot.storage import session_scope
from bot.storage.models import Conversation, HandoffRequest, Ticket
from tests.clock_support import StillClock
from tests.standin_rasa import StandInRasa
from tests.test_aftercare import DUTY_PHONE, LIFT, console_socket, make_gateway, resident, waiting_reply
from tests.test_person_wait import asked_for_a_person

FIRE = "我家厨房着火了 5栋2单元301"


@pytest.fixture
def rasa(database_url: str) -> Iterator[StandInRasa]:
    with StandInRasa(database_url=database_url, emergencies={LIFT}) as stand_in:
        yield stand_in


def _tickets(conversation_id: str) -> list[Ticket]:
    with session_scope() as session:
        found = session.execute(sa.select(Ticket).where(Ticket.conversation_id == conversation_id)).scalars().all()
        session.expunge_all()
        return list(found)


def _conversation(conversation_id: str) -> tuple[Status, int]:
    with session_scope() as session:
        row = session.execute(sa.select(Conversation.status, Conversation.priority).where(Conversation.id == conversation_id)).one()
        return Status(row.status), row.priority


def _emergency_requests(conversation_id: str) -> list[tuple[str | None, int | None]]:
    with session_scope() as session:
        query = sa.select(HandoffRequest.kind, HandoffRequest.ticket_id).where(
            HandoffRequest.conversation_id == conversation_id, HandoffRequest.reason == "emergency"
        )
        return [tuple(row) for row in session.execute(query)]


def _received(key: str, ticket: Ticket) -> str:
    outcome = EmergencyOutcome(ticket.number, "fire", address_missing=False, phone_missing=True, duty_phone=DUTY_PHONE)
    return texts.render(key, **outcome.text_values())


def test_a_fire_written_while_waiting_for_a_person_is_alerted_ticketed_and_answered(rasa: StandInRasa, still_clock: StillClock) -> None:
    gateway = make_gateway(rasa.url)

    async def scenario() -> None:
        asked_for_a_person("waiting")
        socket, agents = resident(gateway, "waiting"), console_socket(gateway)
        await handle_resident_text(gateway, "waiting", "有人吗")
        assert len(socket.texts()) == 1 and _tickets("waiting") == [], "the wait acknowledged (tests/test_person_wait.py), no ticket"

        await handle_resident_text(gateway, "waiting", FIRE)
        [ticket] = _tickets("waiting")
        assert (ticket.category, ticket.subcategory, ticket.priority, ticket.address) == ("emergency", "fire", "紧急", "5-2-301")
        assert socket.texts()[1:] == [_received("emergency.received", ticket)]
        assert socket.texts()[1].startswith("请立即"), "the danger's instructions first"
        assert agents.texts()[-1] == socket.texts()[1], "the agents see what the resident was told"
        assert _conversation("waiting") == (Status.PENDING, Priority.EMERGENCY), "first in the queue now"
        assert _emergency_requests("waiting") == [("fire", ticket.id)]
        assert [f["conversation_id"] for f in agents.of_type("alert")] == ["waiting"]

        # More about the same fire: the open emergency is joined; the usual company while it waits.
        await handle_resident_text(gateway, "waiting", "着火了 烟好大 快来人")
        assert len(_tickets("waiting")) == 1 and len(_emergency_requests("waiting")) == 1
        assert socket.texts()[-1] == waiting_reply("0秒", "fire")
        assert len(agents.of_type("alert")) == 1, "one alert for one emergency"
        await gateway.rasa.close()

    asyncio.run(scenario())


def test_a_fire_written_to_the_agent_who_has_the_case_alerts_them_and_keeps_it_theirs(rasa: StandInRasa, still_clock: StillClock) -> None:
    gateway = make_gateway(rasa.url)

    async def scenario() -> None:
        asked_for_a_person("talking")
        with session_scope() as session:
            assert claim(session, "talking", "zhang", "张明") is not None
        socket, agents = resident(gateway, "talking"), console_socket(gateway)
        await handle_resident_text(gateway, "talking", FIRE)
        [ticket] = _tickets("talking")
        assert ticket.category == "emergency"
        assert socket.texts() == [_received("emergency.received_with_agent", ticket)]
        assert "正在为您服务的客服同事" in socket.texts()[0] and "已提醒所有值班客服" not in socket.texts()[0]
        assert _conversation("talking") == (Status.ASSIGNED, Priority.EMERGENCY), "still the agent's, now an emergency"
        [alert] = agents.of_type("alert")
        assert (alert["conversation_id"], alert["status"]) == ("talking", "assigned")
        await gateway.rasa.close()

    asyncio.run(scenario())


def test_a_second_danger_in_an_open_emergency_gets_its_instructions_and_no_second_ticket(rasa: StandInRasa, still_clock: StillClock) -> None:
    gateway = make_gateway(rasa.url)

    async def scenario() -> None:
        socket = resident(gateway, "trapped")
        await handle_resident_text(gateway, "trapped", LIFT)  # the stand-in's emergency action: ticket, queue, pause
        await handle_resident_text(gateway, "trapped", FIRE)
        assert len(_tickets("trapped")) == 1 and len(_emergency_requests("trapped")) == 1
        noted = texts.render("aftercare.details_noted", details="地址 5-2-301")
        assert socket.texts()[-1] == noted + waiting_reply("0秒", "fire"), "the wait's company, with what to do for the danger named now"
        await gateway.rasa.close()

    asyncio.run(scenario())


def test_a_person_hurt_in_a_lift_while_waiting_for_a_person_gets_first_aid_first(rasa: StandInRasa, still_clock: StillClock) -> None:
    """The gateway's path gives a joined procedure as the action does (bot.safety.joined_kind):
    「电梯里有人晕倒了」 is 120 first, then the lift; the agents' queue names both."""
    gateway = make_gateway(rasa.url)

    async def scenario() -> None:
        asked_for_a_person("fainted")
        socket, agents = resident(gateway, "fainted"), console_socket(gateway)
        await handle_resident_text(gateway, "fainted", "电梯里有人晕倒了 快来人")
        [ticket] = _tickets("fainted")
        assert (ticket.subcategory, ticket.department) == ("medical+lift", "秩序维护部")
        assert _emergency_requests("fainted") == [("medical+lift", ticket.id)]
        [told] = socket.texts()
        assert told.startswith(texts.render("safety.medical") + texts.render("safety.lift"))
        assert [f["conversation_id"] for f in agents.of_type("alert")] == ["fainted"]
        with session_scope() as session:
            summary = session.execute(sa.select(HandoffRequest.summary).where(HandoffRequest.conversation_id == "fainted", HandoffRequest.reason == "emergency")).scalar_one()
        assert summary.startswith("急救、电梯困人"), "the queue names both dangers"
        await gateway.rasa.close()

    asyncio.run(scenario())
