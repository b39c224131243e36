"""Emergency aftercare (issue 12 §1): bot.gateway.aftercare, bot.conversations.escalation and the
emergency's own reply.

In one process (a :class:`~bot.gateway.state.Gateway` with collecting sockets, the stand-in Rasa
doing what the emergency action does, the movable clock; SQLite and PostgreSQL):

- the emergency reply: safety advice first, then the duty phone, then the ticket, and no promise
  that someone is on the way;
- follow-ups while nobody has claimed it (「有人吗」「快点」) answered at once, within the turn: the
  agents alerted and nobody named yet, how long, what to do now, the right number and the duty
  phone — and no form, no script, no second ticket;
- the escalation after ``EMERGENCY_ESCALATION_SECONDS`` on the moved clock: the honest notice to the
  resident and the ``escalation`` frame to every console, once per step even with two gateways
  sweeping at the same moment; a late sweep takes the step reached, not each one it missed; at most
  ``MAX_STEPS``;
- the claim: the resident is told the agent's display name; no more escalations or company.

With two real gateway processes over Redis and a short escalation time: each step once — one
notice in the conversation, one frame on each process's console.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import websockets

from bot import settings, texts
from bot.clock import ShiftedClock
from bot.conversations.escalation import MAX_STEPS, EmergencyWait, due, emergency_wait, step_due
from bot.conversations.lifecycle import request_handoff
from bot.conversations.status import Priority
from bot.gateway import aftercare, console
from bot.gateway.agents import LoggedIn
from bot.gateway.config import GatewayConfig
from bot.gateway.hub import FEATURES
from bot.gateway.rasa_client import RasaClient
from bot.gateway.relay import handle_resident_text
from bot.gateway.state import Gateway
from bot.intake.emergency import handle_emergency
from bot.roles import Role
from bot.safety import PROCEDURES, procedure_for
from bot.storage import session_scope, upgrade
from bot.storage.models import HandoffRequest, Message, Ticket
from tests.clock_support import StillClock
from tests.gateway_support import cookie_header, login, make_agent, resident_session, running_gateway, ws_url
from tests.service_support import missing
from tests.standin_rasa import StandInRasa
from tests.test_gateway_redis import REDIS_UNREACHABLE, REDIS_URL, redis_reachable

LIFT = "电梯困人了 我在里面 3号楼"
ESCALATE_AFTER = 120.0
DUTY_PHONE = settings.DEFAULT_DUTY_PHONE


class Socket:
    """A WebSocket as the hub sees it: collects what it is sent."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def send(self, data: str) -> None:
        self.frames.append(json.loads(data))

    def messages(self, role: str | None = None) -> list[dict[str, Any]]:
        return [f["message"] for f in self.frames if f["type"] == "message" and (role is None or f["message"]["role"] == role)]

    def texts(self, role: str = "bot") -> list[str]:
        return [m["text"] for m in self.messages(role)]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] == kind]


def make_gateway(rasa_url: str) -> Gateway:
    config = GatewayConfig(port=0, rasa_url=rasa_url, secret=b"test", escalation_seconds=ESCALATE_AFTER)
    return Gateway(config, RasaClient(rasa_url))


def resident(gateway: Gateway, conversation_id: str) -> Socket:
    socket = Socket()
    gateway.hub.residents[conversation_id].add(socket)
    FEATURES[socket] = frozenset()
    return socket


def console_socket(gateway: Gateway, name: str = "zhang") -> Socket:
    socket = Socket()
    gateway.hub.agents[socket] = LoggedIn(1, name, "csrf", Role.AGENT)
    return socket


def bot_texts(conversation_id: str) -> list[str]:
    with session_scope() as session:
        query = sa.select(Message.text).where(Message.conversation_id == conversation_id, Message.role == "bot").order_by(Message.id)
        return list(session.execute(query).scalars())


@pytest.fixture
def rasa(database_url: str) -> Iterator[StandInRasa]:
    with StandInRasa(database_url=database_url, emergencies={LIFT}) as stand_in:
        yield stand_in


def waiting_reply(waited: str, kind: str = "lift") -> str:
    procedure = procedure_for(kind)
    return texts.render("aftercare.waiting", waited=waited, instructions=procedure.instructions, call_numbers=aftercare.call_numbers_text(procedure))


# --------------------------------------------------------------------------- the emergency's reply


def test_the_emergency_reply_gives_advice_first_then_the_duty_phone_then_the_ticket_and_promises_nothing() -> None:
    advice = procedure_for("lift").instructions
    reply = texts.render("emergency.received", number="WY202606150007", instructions=advice, ask=texts.render("emergency.ask_phone"))
    assert reply.startswith(advice)
    assert reply.index(advice) < reply.index(DUTY_PHONE) < reply.index("WY202606150007")
    for promise in ("正在赶来", "第一时间赶到", "正在赶往", "马上上门", "正在为您处理"):
        assert promise not in reply
        assert not any(promise in p.instructions for p in map(procedure_for, ("fire", "lift", "flood", "crime", "medical", "trapped", "other")))
    assert "已提醒所有值班客服" in reply  # what is true at that moment


@pytest.mark.parametrize("kind", ["gas", "lift", "medical", "crime"])
def test_an_emergency_rasa_could_not_answer_gets_its_dangers_instructions_first(kind: str) -> None:
    reply = aftercare.alerted_while_busy_text(kind, "0571-3333-4444")
    procedure = procedure_for(kind)
    assert reply.startswith(procedure.instructions)
    assert procedure.numbers in reply and "0571-3333-4444" in reply and "已提醒所有值班客服" in reply
    assert reply != texts.render("message.assistant_busy", duty_phone="0571-3333-4444")


@pytest.mark.parametrize("kind", sorted(PROCEDURES))
def test_the_waiting_and_escalation_replies_give_each_of_the_dangers_numbers_once(kind: str) -> None:
    """「请先确保自身安全；如有生命危险请立即拨打110、119或120。如情况危急，请立即拨打110、119或120」
    was said to every resident whose emergency waited (tried on scripts/run): the numbers are added
    only when the danger's instructions do not give them (the lift's and the flood's)."""
    procedure = procedure_for(kind)
    since = datetime(2026, 6, 15, 8, 0, tzinfo=timezone.utc)
    wait = EmergencyWait(conversation_id="c", request_id=1, kind=kind, waiting_since=since, escalations=0, ticket_number="WY1")
    replies = (
        aftercare.waiting_text(wait, since + timedelta(seconds=20), "0571-3333-4444"),
        aftercare.alerted_while_busy_text(kind, "0571-3333-4444"),
        aftercare.escalation_text(wait, since + timedelta(seconds=121), "0571-3333-4444"),
    )
    for reply in replies:
        for number in re.findall(r"\d{3}", procedure.numbers):
            assert reply.count(number) == max(1, procedure.instructions.count(number)), (kind, number, reply)  # no more than the advice says
        assert ("如情况危急" in reply) == (kind in ("lift", "flood"))


def test_the_duty_phone_is_one_setting_read_at_reply_time(monkeypatch: pytest.MonkeyPatch) -> None:
    assert DUTY_PHONE in texts.render("aftercare.escalated", waited="2分00秒", instructions="", call_numbers="")
    monkeypatch.setenv("DUTY_PHONE", "0571-1111-2222")
    assert "0571-1111-2222" in texts.render("emergency.received", number="WY1", instructions="", ask="")
    assert "0571-1111-2222" in texts.render("message.assistant_busy")


# --------------------------------------------------------------------------- keeping company


def test_follow_ups_of_an_unclaimed_emergency_are_answered_at_once(rasa: StandInRasa, still_clock: StillClock) -> None:
    gateway = make_gateway(rasa.url)

    async def scenario() -> None:
        socket, agents = resident(gateway, "trapped"), console_socket(gateway)
        await handle_resident_text(gateway, "trapped", LIFT)
        [ticket_reply] = socket.texts()
        assert ticket_reply.startswith("工单号")  # the stand-in's emergency action: ticket, queue, pause
        still_clock.advance(timedelta(seconds=20))
        await handle_resident_text(gateway, "trapped", "有人吗")
        assert socket.texts()[-1] == waiting_reply("20秒"), "answered within the turn that stored it"
        still_clock.advance(timedelta(seconds=75))
        await handle_resident_text(gateway, "trapped", "快点")
        assert socket.texts()[-1] == waiting_reply("1分35秒")
        reply = socket.texts()[-1]
        assert "119" in reply and DUTY_PHONE in reply and "还在等同事接手" in reply
        assert agents.texts()[-2:] == [waiting_reply("20秒"), waiting_reply("1分35秒")], "the agents see what the resident was told"
        assert [m["text"] for m in agents.messages("resident")] == ["有人吗", "快点"]
        # No script restarts: Rasa (paused) only recorded the follow-ups; one ticket, one request.
        assert rasa.tracker("trapped")["paused"] is True
        with session_scope() as session:
            assert session.execute(sa.select(sa.func.count()).select_from(Ticket).where(Ticket.conversation_id == "trapped")).scalar_one() == 1
            [request] = session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == "trapped")).scalars()
            assert (request.kind, request.escalations) == ("lift", 0)
        await gateway.rasa.close()

    asyncio.run(scenario())


def test_an_address_and_phone_written_while_waiting_go_on_the_ticket_and_name_the_case(rasa: StandInRasa, still_clock: StillClock) -> None:
    """The safety instructions ask for the address and phone; written while the emergency waits,
    they were answered with the waiting text alone and the agents' card still said 地址未提供
    (tried in Chromium). Now they go on the ticket where missing, the resident is told so, and the
    consoles' queue names the case by them at once; a later address does not overwrite it."""
    gateway = make_gateway(rasa.url)

    async def scenario() -> None:
        socket, agents = resident(gateway, "trapped"), console_socket(gateway)
        await handle_resident_text(gateway, "trapped", LIFT)
        still_clock.advance(timedelta(seconds=10))
        await handle_resident_text(gateway, "trapped", "5栋2单元301 13812345678")
        noted = texts.render("aftercare.details_noted", details="地址 5-2-301、电话 138****5678")
        assert socket.texts()[-1] == noted + waiting_reply("10秒")
        with session_scope() as session:
            [ticket] = session.execute(sa.select(Ticket).where(Ticket.conversation_id == "trapped")).scalars()
            assert (ticket.address, ticket.contact_phone) == ("5-2-301", "13812345678")
            # The history names them as the resident's acknowledgement does, written by the resident.
            assert [(e.note, e.actor) for e in ticket.events if e.note.startswith("居民补充")] == [("居民补充：地址 5-2-301、电话 138****5678", "resident")]
        queues = [f for f in agents.frames if f["type"] == "queue" and f.get("pending")]
        assert queues[-1]["pending"][0]["case"]["address"] == "5-2-301"
        await handle_resident_text(gateway, "trapped", "是3栋 不对 就是5栋")
        assert socket.texts()[-1] == waiting_reply("10秒"), "nothing new to note: the waiting text alone"
        with session_scope() as session:
            assert session.execute(sa.select(Ticket.address).where(Ticket.conversation_id == "trapped")).scalar_one() == "5-2-301"
        await gateway.rasa.close()

    asyncio.run(scenario())


def test_a_request_for_a_human_gets_no_emergency_company(database_url: str) -> None:
    with session_scope() as session:
        request_handoff(session, "human", reason="request_human", priority=Priority.NORMAL, summary="转人工")
        assert emergency_wait(session, "human") is None


# --------------------------------------------------------------------------- escalation


def test_an_unclaimed_emergency_is_escalated_once_per_step_then_the_claim_names_the_agent(rasa: StandInRasa, clock: ShiftedClock) -> None:
    first, second = make_gateway(rasa.url), make_gateway(rasa.url)  # two processes sweeping one database

    async def scenario() -> None:
        socket = resident(first, "lift")
        # The resident's other tab, on the second process: the process that wins a step delivers
        # its notice (with REDIS_URL every process's sockets get it; here each hub is its own).
        other_tab = resident(second, "lift")
        agents = [console_socket(first), console_socket(second, "li")]
        await handle_resident_text(first, "lift", LIFT)
        clock.advance(timedelta(seconds=ESCALATE_AFTER - 1))
        assert await aftercare.escalate_due(first) == 0, "not before the set time"
        clock.advance(timedelta(seconds=2))
        won = await asyncio.gather(aftercare.escalate_due(first), aftercare.escalate_due(second))
        assert sorted(won) == [0, 1], "of two gateways sweeping at once, one escalates"
        assert await aftercare.escalate_due(first) == 0 and await aftercare.escalate_due(second) == 0
        notices = [m for tab in (socket, other_tab) for m in tab.messages("bot") if m["event"] == "escalated"]
        assert len(notices) == 1
        notice = notices[0]
        procedure = procedure_for("lift")
        assert notice["text"] == texts.render(
            "aftercare.escalated", waited="2分01秒", instructions=procedure.instructions, call_numbers=aftercare.call_numbers_text(procedure)
        )
        assert notice["event"] == "escalated" and "还没有同事接手" in notice["text"] and DUTY_PHONE in notice["text"]
        frames = [f for a in agents for f in a.of_type("escalation")]
        assert len(frames) == 1 and frames[0]["conversation_id"] == "lift"
        assert (frames[0]["step"], frames[0]["kind"], frames[0]["label"], frames[0]["waited_seconds"]) == (1, "lift", "电梯困人", 121)
        assert any(f["type"] == "queue" and f["pending"][0]["escalations"] == 1 for a in agents for f in a.frames)

        # A sweep that comes late takes the step reached (one notice), and the steps stop at the last.
        clock.advance(timedelta(seconds=ESCALATE_AFTER * 2))  # 6 min 1 s: step 3 reached, step 2 never swept
        assert await aftercare.escalate_due(second) == 1
        clock.advance(timedelta(hours=1))
        assert await aftercare.escalate_due(first) == 0, "no step after the last"
        steps = [f["step"] for a in agents for f in a.of_type("escalation")]
        assert steps == [1, MAX_STEPS]
        assert sum("还没有同事接手" in t for t in bot_texts("lift")) == 2

        # The claim: the resident is told by name; no more company, no more escalation.
        zhang = LoggedIn(7, "zhang", "csrf", Role.AGENT, display_name="张明")
        assert (await console.claim(first, "lift", zhang)).ok
        joined = socket.messages("system")[-1]
        assert joined["text"] == texts.render("agent.joined", agent="张明") and joined["agent"] == "张明"
        assert "zhang" not in joined["text"]
        before = len(socket.texts())
        await handle_resident_text(first, "lift", "你好 我还在电梯里")
        assert len(socket.texts()) == before, "an agent has it: the agent answers"
        with session_scope() as session:
            assert due(session, clock() + timedelta(days=1), timedelta(seconds=ESCALATE_AFTER)) == []
        await first.rasa.close()
        await second.rasa.close()

    asyncio.run(scenario())


def test_step_due_counts_whole_periods_from_the_wait(database_url: str, clock: ShiftedClock) -> None:
    handle_emergency("gas", "厨房一股很浓的煤气味", "3-2-102", "13812345678")
    every = timedelta(minutes=2)
    with session_scope() as session:
        wait = emergency_wait(session, "gas")
    assert wait is not None and wait.kind == "gas" and wait.ticket_number
    assert step_due(wait, clock(), every) is None
    assert step_due(wait, clock() + every, every) == 1
    assert step_due(wait, clock() + every * 10, every) == MAX_STEPS


@pytest.mark.parametrize(("seconds", "shown"), [(0, "0秒"), (59, "59秒"), (60, "1分00秒"), (605, "10分05秒")])
def test_waiting_time_is_said_as_residents_say_it(seconds: int, shown: str) -> None:
    assert aftercare.waited_text(timedelta(seconds=seconds)) == shown


# --------------------------------------------------------------------------- real gateway processes


def test_two_gateway_processes_escalate_each_step_once(tmp_path: Path) -> None:
    if not redis_reachable():
        missing(REDIS_UNREACHABLE)
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    upgrade(url)
    make_agent(url, "甲")
    env = {"REDIS_URL": REDIS_URL, "REDIS_PREFIX": f"test-{uuid.uuid4().hex}", "EMERGENCY_ESCALATION_SECONDS": "2"}
    with StandInRasa(database_url=url, emergencies={LIFT}) as rasa, running_gateway(
        url, rasa.url, tmp_path / "a.log", **env
    ) as a, running_gateway(url, rasa.url, tmp_path / "b.log", **env) as b:
        r = resident_session(a)
        cookies = [cookie_header(login(base, "甲")[0]) for base in (a, b)]

        async def scenario() -> tuple[list[dict], list[list[dict]]]:
            async with websockets.connect(ws_url(a, f"/ws/resident?token={r['token']}")) as res, websockets.connect(
                ws_url(a, "/ws/agent"), extra_headers={"Cookie": cookies[0]}
            ) as on_a, websockets.connect(ws_url(b, "/ws/agent"), extra_headers={"Cookie": cookies[1]}) as on_b:
                await res.send(json.dumps({"text": LIFT}, ensure_ascii=False))
                resident_frames: list[dict] = []
                consoles: list[list[dict]] = [[], []]
                deadline = time.monotonic() + 2 * MAX_STEPS + 6  # every step is 2 s apart, plus the sweeps' second

                async def collect(socket: Any, into: list[dict]) -> None:
                    while time.monotonic() < deadline:
                        try:
                            into.append(json.loads(await asyncio.wait_for(socket.recv(), max(0.1, deadline - time.monotonic()))))
                        except asyncio.TimeoutError:
                            return

                await asyncio.gather(collect(res, resident_frames), collect(on_a, consoles[0]), collect(on_b, consoles[1]))
                return resident_frames, consoles

        resident_frames, consoles = asyncio.run(scenario())
    notices = [f["message"] for f in resident_frames if f["type"] == "message" and f["message"]["event"] == "escalated"]
    assert len(notices) == MAX_STEPS, [n["text"] for n in notices]
    for frames in consoles:  # every console, on either process, gets each step once
        assert [f["step"] for f in frames if f["type"] == "escalation"] == [1, 2, 3]
    assert re.search(r"您已等待\d+秒，还没有同事接手", notices[0]["text"])
    with session_scope(url) as session:
        stored = session.execute(sa.select(Message.text).where(Message.conversation_id == r["resident_id"], Message.role == "bot")).scalars()
        assert sum("还没有同事接手" in text for text in stored) == MAX_STEPS
