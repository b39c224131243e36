"""The agent console in real Chromium against the gateway and a stand-in Rasa tracker API:
emergency alert title, SLA badge, collected slots, ticket status update, canned reply, class
correction, ticket list filters with masked phones."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from bot.gateway.canned import CANNED_REPLIES
from bot.handoff.queue import PRIORITY_EMERGENCY, request_handoff
from bot.storage import session_scope, upgrade
from bot.storage.models import Annotation, Message, Ticket, TicketEvent
from bot.tickets.rules import EMERGENCY_DEADLINES, INQUIRY_DEADLINES
from bot.tickets.service import NewTicket, create_ticket
from tests.gateway_support import make_agent, running_gateway

playwright_api = pytest.importorskip("playwright.sync_api")
TIMEOUT = 30_000
SLOTS = {"address": "3栋2单元501", "contact_phone": "13812345678", "requested_slot": None, "emergency_type": "gas", "empty": ""}


def tracker_stand_in() -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            found = self.path.startswith("/conversations/urgent-1/tracker")
            data = json.dumps({"sender_id": "urgent-1", "slots": SLOTS} if found else {}).encode()
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


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
        request_handoff(session, "urgent-1", reason="emergency", priority=PRIORITY_EMERGENCY, summary="燃气泄漏", ticket_id=urgent.id)
        ids = urgent.number, other.number, message.id
    server = tracker_stand_in()
    with running_gateway(url, f"http://127.0.0.1:{server.server_address[1]}", tmp_path_factory.mktemp("log") / "gw.log") as base:
        yield base, url, ids[0], ids[2]
    server.shutdown()



def test_console_alert_slots_ticket_update_canned_and_list(setup: tuple[str, str, str, int], browser) -> None:  # type: ignore[no-untyped-def]
    base, url, number, message_id = setup
    expect = playwright_api.expect
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(base + "/agent")
    page.get_by_test_id("login-user").fill("甲")
    page.get_by_test_id("login-password").fill("correct-horse-1")
    page.get_by_test_id("login-submit").click()

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

    page.locator('[data-testid="transcript-message"][data-role="resident"]').get_by_test_id("correct-class").select_option("emergency")
    expect(page.get_by_test_id("correct-class")).to_have_attribute("data-saved", "emergency", timeout=TIMEOUT)

    page.get_by_test_id("claim").click()
    expect(page.locator("body")).to_have_attribute("data-alert", "off", timeout=TIMEOUT)
    assert not page.title().startswith("【紧急】")
    expect(page.get_by_test_id("agent-input")).to_be_enabled(timeout=TIMEOUT)
    page.get_by_test_id("canned-reply").first.click()
    expect(page.get_by_test_id("agent-input")).to_have_value(CANNED_REPLIES[0])
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
