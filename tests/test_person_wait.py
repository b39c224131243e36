"""A resident waiting for a person who is no emergency is answered (bot.conversations.waiting).

「我要转人工」 then 「有人吗」 met silence for as long as the queue took (tried over the resident
WebSocket on `scripts/run`): Rasa is paused and only records the message. The gateway now answers
it — the message was passed on, how long they have waited, the duty phone — at most once a minute
(a case told over several messages is not answered after each), and once the queue's promise of 5
minutes (DOMAIN §4) has passed, with an apology and the plain fact that nobody has joined yet; with
no agent of the community logged in, that plainly instead (no promise of minutes, the duty phone),
as the hand-over itself says then (actions.ActionRequestHuman). No answer once an agent has the
case: the agent answers.

In one process (a Gateway with collecting sockets, the stand-in Rasa, the still clock; SQLite and
PostgreSQL).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot import communities, texts
from bot.clock import utcnow
from bot.conversations.alerts import claim_alerts
from bot.conversations.lifecycle import claim, request_handoff
from bot.conversations.status import Priority
from bot.conversations.unserved import mark_present, someone_serves
from bot.gateway.agents import create_agent, open_session
from bot.gateway.relay import handle_resident_text
from bot.intake.human import request_human
from bot.storage import session_scope
from tests.clock_support import StillClock
from tests.standin_rasa import StandInRasa
from tests.test_aftercare import DUTY_PHONE, console_socket, make_gateway, resident


@pytest.fixture
def rasa(database_url: str) -> Iterator[StandInRasa]:
    with StandInRasa(database_url=database_url) as stand_in:
        yield stand_in


def asked_for_a_person(conversation_id: str) -> None:
    """「我要转人工」 queued and announced (the relay claims the alert after the turn that asked)."""
    with session_scope() as session:
        request_handoff(session, conversation_id, reason="request_human", priority=Priority.NORMAL, summary="转人工")
        claim_alerts(session, conversation_id)


class Console:
    """An agent of the first community at a console (presence marked on demand, at the clock's now)."""

    def __init__(self) -> None:
        with session_scope() as session:
            agent = create_agent(session, "zhang", "password-1", communities=[communities.default_community(session).id])
            open_session(session, agent, hours=24 * 30)
            self.agent_id = agent.id

    def seen(self) -> None:
        with session_scope() as session:
            mark_present(session, [self.agent_id], utcnow())


def _told(key: str, waited: str) -> str:
    return texts.render(key, waited=waited, duty_phone=DUTY_PHONE)


def test_a_resident_waiting_for_a_person_is_told_at_most_once_a_minute_and_honestly_when_late(rasa: StandInRasa, still_clock: StillClock) -> None:
    gateway = make_gateway(rasa.url)

    async def scenario() -> None:
        asked_for_a_person("waiting")
        console = Console()
        socket, agents = resident(gateway, "waiting"), console_socket(gateway)
        still_clock.advance(timedelta(seconds=8))
        console.seen()
        await handle_resident_text(gateway, "waiting", "有人吗")
        assert socket.texts() == [_told("human.waiting", "8秒")]
        assert "转达" in socket.texts()[0] and DUTY_PHONE in socket.texts()[0]
        assert agents.texts()[-1] == socket.texts()[0], "the agents see what the resident was told"

        still_clock.advance(timedelta(seconds=20))
        await handle_resident_text(gateway, "waiting", "我家卫生间水管漏水")
        await handle_resident_text(gateway, "waiting", "已经漏了一上午了")
        assert len(socket.texts()) == 1, "the case told over several messages: not answered after each"
        assert [m["text"] for m in agents.messages("resident")] == ["有人吗", "我家卫生间水管漏水", "已经漏了一上午了"]

        still_clock.advance(timedelta(seconds=50))
        console.seen()
        await handle_resident_text(gateway, "waiting", "在吗")
        assert socket.texts()[-1] == _told("human.waiting", "1分18秒"), "a minute later: told again"

        still_clock.advance(timedelta(minutes=5))  # past the queue's promise of 5 minutes
        console.seen()
        await handle_resident_text(gateway, "waiting", "怎么还没人")
        late = socket.texts()[-1]
        assert late == _told("human.waiting_overdue", "6分18秒")
        assert late.startswith("非常抱歉") and "还没有客服同事接入" in late

        still_clock.advance(timedelta(minutes=1))  # the console went away (no presence for a minute)
        await handle_resident_text(gateway, "waiting", "到底有没有人")
        assert socket.texts()[-1] == _told("human.waiting_nobody_online", "7分18秒")
        assert "暂时没有客服同事在线" in socket.texts()[-1] and DUTY_PHONE in socket.texts()[-1]
        await gateway.rasa.close()

    asyncio.run(scenario())


def test_a_person_is_promised_within_minutes_only_when_someone_is_online(database_url: str) -> None:
    asked_for_a_person("nobody")
    with session_scope() as session:
        assert not someone_serves(session, communities.community_of_conversation(session, "nobody").id, utcnow())
    nobody = request_human("nobody-2", "转人工")
    assert not nobody.someone_online and "5分钟" not in nobody.joining_text() and DUTY_PHONE in nobody.joining_text()
    Console().seen()
    somebody = request_human("somebody", "转人工")
    assert somebody.someone_online and somebody.joining_text() == texts.render("human.joining")
    assert "5分钟内接入" in texts.render("human.handoff", joining=somebody.joining_text())


def test_nobody_is_told_to_wait_once_an_agent_has_the_case(rasa: StandInRasa, still_clock: StillClock) -> None:
    gateway = make_gateway(rasa.url)

    async def scenario() -> None:
        asked_for_a_person("talking")
        with session_scope() as session:
            assert claim(session, "talking", "zhang", "张明") is not None
        socket = resident(gateway, "talking")
        await handle_resident_text(gateway, "talking", "有人吗")
        assert socket.texts() == [], "the agent answers"
        await gateway.rasa.close()

    asyncio.run(scenario())
