"""The agent console in real Chromium against the gateway and the stand-in Rasa's tracker API:
emergency alert title, SLA badge, collected slots, ticket status update, canned reply, class
correction, ticket list filters with masked phones."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from bot.conversations.lifecycle import request_handoff
from bot.conversations.status import Priority
from bot.gateway.canned import canned_replies
from bot.gateway.transcript import store
from bot.storage import session_scope, upgrade
from bot.storage.models import Annotation, Message, Ticket, TicketEvent
from bot.tickets.rules import EMERGENCY_DEADLINES, INQUIRY_DEADLINES
from bot.tickets.service import NewTicket, create_ticket
from tests.browser_support import log_in
from tests.gateway_support import exchange, login, make_agent, resident_session, running_gateway
from tests.standin_rasa import StandInRasa

playwright_api = pytest.importorskip("playwright.sync_api")
TIMEOUT = 30_000
SLOTS = {"address": "3栋2单元501", "contact_phone": "13812345678", "requested_slot": None, "emergency_type": "gas", "empty": ""}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str, int]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('console') / 'gw.db'}"
    upgrade(url)
    make_agent(url, "甲")
    with session_scope(url) as session:
        urgent = create_ticket(
            session,
            NewTicket("emergency", "gas", "紧急", "厨房燃气味", "值班室", EMERGENCY_DEADLINES, contact_phone="13812345678", conversation_id="urgent-1"),
        )
        other = create_ticket(session, NewTicket("inquiry", "fee", "一般", "物业费怎么交", "客服中心", INQUIRY_DEADLINES, contact_phone="13900001111"))
        message = Message(conversation_id="urgent-1", role="resident", text="厨房有燃气味")
        session.add(message)
        session.flush()
        request_handoff(session, "urgent-1", reason="emergency", priority=Priority.EMERGENCY, summary="燃气泄漏", ticket_id=urgent.id)
        ids = urgent.number, other.number, message.id
    rasa = StandInRasa(slots={"urgent-1": SLOTS})  # the tracker the console reads the collected slots from
    with rasa, running_gateway(url, rasa.url, tmp_path_factory.mktemp("log") / "gw.log") as base:
        yield base, url, ids[0], ids[2]



def test_console_alert_slots_ticket_update_canned_and_list(setup: tuple[str, str, str, int], browser) -> None:  # type: ignore[no-untyped-def]
    base, url, number, message_id = setup
    expect = playwright_api.expect
    page = browser.new_context(locale="zh-CN").new_page()
    log_in(page, base + "/agent", "甲", "correct-horse-1")

    item = page.locator('[data-testid="queue-item"][data-conversation="urgent-1"]')
    expect(item).to_have_attribute("data-emergency", "true", timeout=TIMEOUT)
    expect(item.get_by_test_id("sla")).to_contain_text("响应", timeout=TIMEOUT)
    expect(page).to_have_title(re.compile("^【紧急】"), timeout=TIMEOUT)
    expect(page.locator("body")).to_have_attribute("data-alert", "on")

    item.get_by_role("button", name="查看").click()
    slots = page.get_by_test_id("slots")
    expect(slots.locator('[data-slot="address"]')).to_have_text("3栋2单元501", timeout=TIMEOUT)
    expect(slots.locator('[data-slot="empty"]')).to_have_count(0)
    panel = page.get_by_test_id("ticket-panel")
    expect(panel).to_contain_text(number, timeout=TIMEOUT)
    expect(panel).to_contain_text("138****5678")
    expect(panel).not_to_contain_text("13812345678")

    panel.get_by_test_id("ticket-status").select_option("in_progress")
    panel.get_by_test_id("ticket-department").select_option("工程部")
    panel.get_by_test_id("ticket-save").click()
    expect(page.get_by_test_id("ticket-history")).to_contain_text("甲", timeout=TIMEOUT)
    panel.get_by_test_id("ticket-status").select_option("new")  # not an allowed transition
    panel.get_by_test_id("ticket-save").click()
    expect(panel.get_by_test_id("ticket-message")).to_contain_text("不能", timeout=TIMEOUT)
    expect(panel.get_by_test_id("ticket-status")).to_have_value("in_progress")  # the refused value does not stay

    page.locator('[data-testid="transcript-message"][data-role="resident"]').get_by_test_id("correct-class").select_option("emergency")
    expect(page.get_by_test_id("correct-class")).to_have_attribute("data-saved", "emergency", timeout=TIMEOUT)

    page.get_by_test_id("claim").click()
    expect(page.locator("body")).to_have_attribute("data-alert", "off", timeout=TIMEOUT)
    assert not page.title().startswith("【紧急】")
    expect(page.get_by_test_id("agent-input")).to_be_enabled(timeout=TIMEOUT)
    page.get_by_test_id("canned-select").select_option(canned_replies()[0])
    expect(page.get_by_test_id("agent-input")).to_have_value(canned_replies()[0])
    expect(page.get_by_test_id("draft-warning")).to_have_count(0)

    page.get_by_test_id("show-tickets").click()
    rows = page.get_by_test_id("ticket-row")
    expect(rows).to_have_count(2, timeout=TIMEOUT)
    expect(page.get_by_test_id("ticket-list")).not_to_contain_text("13900001111")
    page.get_by_test_id("filter-category").select_option("emergency")
    page.get_by_test_id("filter-apply").click()
    expect(rows).to_have_count(1, timeout=TIMEOUT)
    expect(rows.first).to_have_attribute("data-number", number)
    page.get_by_test_id("filter-category").select_option("")
    page.get_by_test_id("filter-status").select_option("closed")
    page.get_by_test_id("filter-apply").click()
    expect(rows).to_have_count(0, timeout=TIMEOUT)
    page.get_by_test_id("filter-status").select_option("")
    page.get_by_test_id("filter-overdue").check()
    page.get_by_test_id("filter-apply").click()
    expect(rows).to_have_count(0, timeout=TIMEOUT)

    with session_scope(url) as session:
        ticket = session.execute(sa.select(Ticket).where(Ticket.number == number)).scalar_one()
        assert (ticket.status, ticket.department) == ("in_progress", "工程部")
        actors = session.execute(sa.select(TicketEvent.actor).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)).scalars()
        assert list(actors) == ["bot", "甲"]
        labels = session.execute(sa.select(Annotation.message_id, Annotation.intent, Annotation.source)).all()
        assert [tuple(row) for row in labels] == [(message_id, "emergency", "agent")]


def test_console_resyncs_its_open_conversation_after_the_socket_drops(setup: tuple[str, str, str, int], browser) -> None:  # type: ignore[no-untyped-def]
    """While the console's socket is down, the resident writes and another console claims the
    conversation; after the reconnect the open conversation shows what it missed, once each, in
    order, and the controls follow its new state."""
    base, url, _, _ = setup
    expect = playwright_api.expect
    resident = resident_session(base)
    rid = resident["resident_id"]
    with session_scope(url) as session:
        request_handoff(session, rid, reason="request_human", priority=Priority.NORMAL, summary="想找人工")
        store(session, rid, "resident", "第一条：门禁卡刷不开")
    down = {"on": False}
    routes: list = []

    def route(ws) -> None:  # type: ignore[no-untyped-def]
        if down["on"]:
            ws.close()  # the gateway is unreachable for now
            return
        routes.append(ws)
        ws.connect_to_server()

    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.route_web_socket(re.compile(r"/ws/agent"), route)
        log_in(page, base + "/agent", "甲", "correct-horse-1")
        page.locator(f'[data-testid="queue-item"][data-conversation="{rid}"]').get_by_role("button", name="查看").click(timeout=TIMEOUT)
        lines = page.get_by_test_id("transcript-message")
        expect(lines).to_have_count(1, timeout=TIMEOUT)
        expect(page.locator("#link")).to_have_text("在线", timeout=TIMEOUT)
        expect(page.get_by_test_id("agent-input")).to_be_disabled()

        down["on"] = True
        routes[-1].close()
        expect(page.locator("#link")).to_have_text("重新连接中…", timeout=TIMEOUT)
        with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's event loop
            # Two frames back: the echo and the acknowledgement of the wait (bot.conversations.waiting).
            pool.submit(asyncio.run, exchange(base, resident["token"], [{"text": "第二条：还是打不开，我在门外等着"}], 2)).result()
        client, csrf = login(base, "甲")  # the same agent at another desk
        assert client.post(f"/api/agent/conversations/{rid}/claim", headers={"X-CSRF-Token": csrf}).status_code == 200
        page.wait_for_timeout(500)
        expect(lines).to_have_count(1)  # nothing arrived while the socket was down

        down["on"] = False
        expect(page.locator("#link")).to_have_text("在线", timeout=TIMEOUT)
        expect(lines).to_have_count(4, timeout=TIMEOUT)
        told = re.compile("^您的消息已(转达|保存)")  # 保存: before the gateway marked this console present
        expect(lines.locator(".text")).to_have_text(["第一条：门禁卡刷不开", "第二条：还是打不开，我在门外等着", told, "客服甲已接入，将为您继续服务。"])
        expect(page.get_by_test_id("agent-input")).to_be_enabled()  # claimed meanwhile: the capabilities came with the resync
        page.wait_for_timeout(1500)
        expect(lines).to_have_count(4)
        with session_scope(url) as session:
            assert len(session.execute(sa.select(Message).where(Message.conversation_id == rid)).scalars().all()) == 4
    finally:
        context.close()


def test_a_case_already_yours_turning_urgent_beeps_and_flashes_until_you_look(setup: tuple[str, str, str, int], browser) -> None:  # type: ignore[no-untyped-def]
    """The resident whose case 甲 has writes 「我家厨房着火了」 (bot.intake.emergency.raise_with_agents):
    it never enters the pending queue, and the console said 【新的转人工】 at most. Now it beeps and
    flashes its own title until 甲 opens the case; a case claimed already urgent does not."""
    base, url, _, _ = setup
    expect = playwright_api.expect
    client, csrf = login(base, "甲")
    client.post("/api/agent/conversations/urgent-1/claim", headers={"X-CSRF-Token": csrf})  # no other pending emergency (claimed by the first test)
    resident = resident_session(base)
    rid = resident["resident_id"]
    with session_scope(url) as session:
        request_handoff(session, rid, reason="request_human", priority=Priority.NORMAL, summary="想找人工")
        store(session, rid, "resident", "门禁卡刷不开")
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        log_in(page, base + "/agent", "甲", "correct-horse-1")
        item = page.locator(f'[data-testid="queue-item"][data-conversation="{rid}"]')
        item.get_by_role("button", name="接入").click(timeout=TIMEOUT)
        expect(page.get_by_test_id("agent-input")).to_be_enabled(timeout=TIMEOUT)
        page.get_by_test_id("show-tickets").click()  # the agent turns to other work
        body = page.locator("body")
        expect(body).not_to_have_attribute("data-alert", re.compile("on|mine"))
        beeps = int(body.get_attribute("data-beeps") or 0)

        with ThreadPoolExecutor(1) as pool:  # the echo and the fire's instructions
            pool.submit(asyncio.run, exchange(base, resident["token"], [{"text": "我家厨房着火了 5栋2单元301"}], 2)).result()
        expect(body).to_have_attribute("data-alert", "mine", timeout=TIMEOUT)
        expect(page).to_have_title(re.compile("^【紧急】您接入的居民报告了紧急情况"), timeout=TIMEOUT)
        assert int(body.get_attribute("data-beeps") or 0) == beeps + 1, "one beep for one danger"
        page.wait_for_timeout(1200)
        expect(body).to_have_attribute("data-alert", "mine")  # still, while nobody has looked

        mine = page.locator(f'[data-testid="assigned-item"][data-conversation="{rid}"]')
        expect(mine).to_have_attribute("data-alerted", "true")
        expect(mine).to_have_attribute("data-emergency", "true")
        mine.get_by_role("button", name="查看").click(timeout=TIMEOUT)
        expect(body).to_have_attribute("data-alert", "off", timeout=TIMEOUT)
        expect(mine).to_have_attribute("data-alerted", "false")
        expect(page).not_to_have_title(re.compile("^【紧急】"), timeout=TIMEOUT)
    finally:
        context.close()
