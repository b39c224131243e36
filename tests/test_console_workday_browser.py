"""An agent's working day in the console, in real Chromium at 1366×900 and on a phone (390×844),
against a real gateway process (SQLite), the stand-in Rasa and a clock the test moves (issue 12 §5).

As an agent would: the queue names each case by community, address and resident (phone masked), never
by its id; before a case is chosen the work pane says so and offers no live buttons; an emergency is
claimed and answered with an emergency canned reply, and its ticket shows 已响应 — still not red
when the clock has moved past its 5-minute response deadline; a refused ticket change goes back and
its reason clears with the next success; an emergency nobody claims is escalated (the gateway's
sweep on the moved clock) and the console alarms louder — banner, title — until it is claimed; 结束会话
asks first, names the open ticket and marks it done only when asked; finished conversations are found
by address, by words and by day, and open read-only. Every page state: text contrast ≥ 4.5:1
measured in the browser (tests/contrast_support.py), the reply box in view, screenshots in
``test-results/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.clock import LOCAL_TZ, utcnow
from bot.conversations.lifecycle import request_handoff, resolve
from bot.conversations.status import Priority
from bot.gateway.canned import canned_groups
from bot.gateway.transcript import store
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope, upgrade
from bot.storage.models import Conversation, Ticket
from bot.tickets.rules import EMERGENCY_DEADLINES, REPAIR_DEADLINES
from bot.tickets.service import NewTicket, create_ticket
from tests.browser_support import log_in as log_in_at
from tests.contrast_support import low_contrast
from tests.gateway_support import make_agent, running_gateway, shared_clock
from tests.standin_rasa import StandInRasa

playwright_api = pytest.importorskip("playwright.sync_api")

RESULTS = PROJECT_ROOT / "test-results"
TIMEOUT = 30_000
DESK = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
LIFT, FIRE, DONE = "c-lift-0001", "c-fire-0002", "c-done-0003"


def _case(session: Any, conversation_id: str, said: str, ticket: NewTicket, emergency: bool = True) -> str:
    store(session, conversation_id, "resident", said)
    created = create_ticket(session, ticket)
    request_handoff(session, conversation_id, reason="emergency" if emergency else "request_human",
                    priority=Priority.EMERGENCY if emergency else Priority.NORMAL, summary=ticket.description, ticket_id=created.id)
    return created.number


@pytest.fixture(scope="module")
def clock_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clock") / "clock"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, clock_path: Path) -> Iterator[tuple[str, str, Any, dict[str, str]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('workday') / 'gw.db'}"
    upgrade(url)
    make_agent(url, "zhang")
    with session_scope(url) as session:
        numbers = {
            LIFT: _case(session, LIFT, "电梯困人了 我在里面 3号楼", NewTicket(
                "emergency", "lift", "紧急", "3号楼电梯困人", "工程部", EMERGENCY_DEADLINES,
                address="3-2-102", contact_phone="13812345678", contact_name="王女士", conversation_id=LIFT)),
            FIRE: _case(session, FIRE, "楼道里冒烟了 7号楼5楼", NewTicket(
                "emergency", "fire", "紧急", "7号楼5楼楼道冒烟", "秩序维护部", EMERGENCY_DEADLINES,
                address="7-1-501", contact_phone="13955556666", contact_name="李先生", conversation_id=FIRE)),
            DONE: _case(session, DONE, "楼道灯不亮好几天了", NewTicket(
                "repair", "light", "一般", "5号楼楼道灯不亮", "工程部", REPAIR_DEADLINES["一般"],
                address="5-1-301", contact_phone="13700001234", contact_name="赵女士", conversation_id=DONE), emergency=False),
        }
        store(session, DONE, "agent", "您好，已为您登记，电工今天下午检查。", {"agent": "张明"})
        resolve(session, DONE, "zhang", "张明")
    log = tmp_path_factory.mktemp("log") / "gw.log"
    with shared_clock(clock_path) as clock, StandInRasa(slots={LIFT: {"address": "3-2-102"}}) as rasa, running_gateway(url, rasa.url, log, **clock.env) as base:
        yield base, url, clock, numbers


def log_in(page: Any, base: str) -> None:
    log_in_at(page, base + "/agent", "zhang", "correct-horse-1")


def assert_readable(page: Any, where: str) -> None:
    bad = low_contrast(page)
    assert bad == [], f"{where}: text under 4.5:1 — {bad}"


def in_view(page: Any, testid: str) -> dict[str, float]:
    box = page.get_by_test_id(testid).bounding_box()
    assert box is not None, testid
    viewport = page.viewport_size
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], f"{testid} is outside the window: {box}"
    return box


def test_a_working_day_at_1366x900(desk: tuple[str, str, Any, dict[str, str]], browser: Any) -> None:  # noqa: PLR0915
    base, url, clock, numbers = desk
    expect = playwright_api.expect
    expect.set_options(timeout=TIMEOUT)
    RESULTS.mkdir(exist_ok=True)
    context = browser.new_context(**DESK)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        log_in(page, base)
        lift = page.locator(f'[data-testid="queue-item"][data-conversation="{LIFT}"]')
        expect(lift.get_by_test_id("case-title")).to_have_text("锦华花园 · 3-2-102 · 王女士 138****5678")
        expect(page.locator(f'[data-testid="queue-item"][data-conversation="{FIRE}"]').get_by_test_id("case-title")).to_have_text("锦华花园 · 7-1-501 · 李先生 139****6666")
        expect(page.locator(".queue-pane")).not_to_contain_text("c-lift")  # no internal id anywhere a person reads
        expect(page.locator(".queue-pane")).not_to_contain_text("13812345678")

        # Before a case is chosen: the pane says what to do, and nothing can be pressed.
        expect(page.get_by_test_id("chat-empty")).to_be_visible()
        for control in ("agent-send", "agent-input", "hand-back", "resolve"):
            expect(page.get_by_test_id(control)).to_be_hidden()
        assert_readable(page, "empty console")
        page.screenshot(path=str(RESULTS / "console-1366-empty.png"))

        # Claim the lift emergency and answer it with the emergency canned reply.
        lift.get_by_test_id("claim").click()
        expect(page.get_by_test_id("chat-title")).to_have_text("锦华花园 · 3-2-102 · 王女士 138****5678")
        expect(page.get_by_test_id("agent-input")).to_be_enabled()
        reply_box = in_view(page, "agent-input")
        send = in_view(page, "agent-send")
        transcript = page.get_by_test_id("transcript").bounding_box()
        pane = page.locator("#chat-pane").bounding_box()
        assert transcript["height"] >= 300, transcript  # the conversation has the room, no blank area above the reply box
        assert pane["width"] >= 900, pane  # nothing squeezes it
        assert reply_box["y"] + reply_box["height"] > 900 - 140 and send["x"] > 1000  # at the bottom of the window
        emergency = next(g for g in canned_groups() if g["group"] == "emergency")["replies"]
        page.get_by_test_id("canned-select").select_option(emergency[0])
        expect(page.get_by_test_id("agent-input")).to_have_value(emergency[0])
        page.get_by_test_id("agent-send").click()
        expect(page.locator('[data-testid="transcript-message"][data-role="agent"]')).to_have_count(1)
        panel = page.get_by_test_id("ticket-panel")
        badge = panel.locator(f'[data-ticket="{numbers[LIFT]}"] [data-responded="true"]')
        expect(badge).to_contain_text("已响应")
        expect(badge).to_have_attribute("data-overdue", "false")
        assert_readable(page, "claimed emergency")
        page.screenshot(path=str(RESULTS / "console-1366-claimed.png"))

        # A refused change goes back to what the ticket is; the next success clears the reason.
        card = panel.locator(f'[data-ticket="{numbers[LIFT]}"]')
        card.get_by_test_id("ticket-status").select_option("in_progress")
        card.get_by_test_id("ticket-save").click()
        expect(card.get_by_test_id("ticket-history")).to_contain_text("zhang")
        card.get_by_test_id("ticket-status").select_option("dispatched")  # backwards: refused
        card.get_by_test_id("ticket-save").click()
        expect(card.get_by_test_id("ticket-message")).to_contain_text("不能")
        expect(card.get_by_test_id("ticket-status")).to_have_value("in_progress")
        card.get_by_test_id("ticket-department").select_option("秩序维护部")
        card.get_by_test_id("ticket-save").click()
        expect(card.get_by_test_id("ticket-history")).to_contain_text("转秩序维护部")
        expect(card.get_by_test_id("ticket-message")).to_have_text("")

        # Nobody claims the fire: two minutes on, the gateway escalates it and the console alarms louder.
        clock.advance(timedelta(seconds=150))
        banner = page.get_by_test_id("escalation-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("7-1-501")
        expect(banner).to_contain_text("第1次提醒")
        expect(page.locator("body")).to_have_attribute("data-escalation", "on")
        expect(page).to_have_title("【紧急·无人接入】请立即处理")
        expect(page.locator(f'[data-testid="queue-item"][data-conversation="{FIRE}"]')).to_have_attribute("data-escalated", "true")
        in_view(page, "agent-input")  # the banner does not push the reply box out of the window
        assert_readable(page, "escalation banner")
        page.screenshot(path=str(RESULTS / "console-1366-escalation.png"))

        # Past the lift ticket's 5-minute response deadline: answered in time, so never red.
        clock.advance(timedelta(seconds=250))
        expect(banner).to_contain_text("第3次提醒")  # 400 s: the steps of 240 s and 360 s are due; the latest is announced
        expect(badge).to_have_attribute("data-overdue", "false")
        expect(panel.locator(".sla.overdue")).to_have_count(0)

        page.get_by_test_id("escalation-open").click()
        expect(page.get_by_test_id("chat-title")).to_contain_text("7-1-501")
        page.locator(f'[data-testid="queue-item"][data-conversation="{FIRE}"]').get_by_test_id("claim").click()
        expect(banner).to_be_hidden()
        expect(page.locator("body")).to_have_attribute("data-escalation", "off")
        assert not page.title().startswith("【紧急")

        # 结束会话 asks first and says what happens to the open ticket.
        page.locator(f'[data-testid="assigned-item"][data-conversation="{LIFT}"]').get_by_role("button", name="查看").click()
        expect(page.get_by_test_id("chat-title")).to_contain_text("3-2-102")
        page.get_by_test_id("resolve").click()
        dialog = page.get_by_test_id("resolve-dialog")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text(numbers[LIFT])
        expect(dialog).to_contain_text("不会因结束会话而关闭")
        assert_readable(page, "resolve dialog")
        page.screenshot(path=str(RESULTS / "console-1366-resolve-dialog.png"))
        page.get_by_test_id("resolve-cancel").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#chat-status")).to_contain_text("处理中")
        page.get_by_test_id("resolve").click()
        dialog.get_by_test_id("resolve-ticket-done").check()
        page.get_by_test_id("resolve-confirm").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#chat-status")).to_contain_text("已结束")
        expect(page.get_by_test_id("agent-input")).to_be_disabled()
        with session_scope(url) as session:
            ticket = session.execute(sa.select(Ticket).where(Ticket.number == numbers[LIFT])).scalar_one()
            conversation = session.get(Conversation, LIFT)
            assert ticket.status == "resolved" and ticket.responded_at is not None
            assert ticket.responded_at <= ticket.respond_by
            assert conversation.status == "resolved"

        # Finished conversations: by address, by words, by day; opened read-only.
        page.get_by_test_id("show-finished").click()
        finished = page.get_by_test_id("finished-item")
        expect(finished).to_have_count(2)
        page.get_by_test_id("finished-q").fill("5-1-301")
        page.get_by_test_id("finished-apply").click()
        expect(finished).to_have_count(1)
        expect(finished.first).to_have_attribute("data-conversation", DONE)
        expect(finished.first.get_by_test_id("case-title")).to_have_text("锦华花园 · 5-1-301 · 赵女士 137****1234")
        page.get_by_test_id("finished-q").fill("困人")
        page.get_by_test_id("finished-apply").click()
        expect(finished).to_have_count(1)
        expect(finished.first).to_have_attribute("data-conversation", LIFT)
        page.get_by_test_id("finished-q").fill("")
        today = utcnow().astimezone(LOCAL_TZ).date()
        page.get_by_test_id("finished-day").fill(today.isoformat())
        page.get_by_test_id("finished-apply").click()
        expect(finished).to_have_count(2)
        page.get_by_test_id("finished-day").fill((today - timedelta(days=3)).isoformat())
        page.get_by_test_id("finished-apply").click()
        expect(finished).to_have_count(0)
        expect(page.get_by_test_id("finished-note")).to_contain_text("没有找到")
        page.get_by_test_id("finished-day").fill("")
        page.get_by_test_id("finished-q").fill("楼道灯")
        page.get_by_test_id("finished-apply").click()
        expect(finished).to_have_count(1)
        assert_readable(page, "finished conversations")
        page.screenshot(path=str(RESULTS / "console-1366-finished.png"))
        finished.first.get_by_test_id("finished-open").click()
        expect(page.get_by_test_id("chat-title")).to_contain_text("5-1-301")
        expect(page.get_by_test_id("transcript")).to_contain_text("楼道灯不亮好几天了")
        expect(page.locator("#chat-status")).to_contain_text("已结束")
        for control in ("agent-send", "hand-back", "resolve"):
            expect(page.get_by_test_id(control)).to_be_disabled()

        # The ticket list has the whole work area; its headers stay on one line.
        page.get_by_test_id("show-tickets").click()
        expect(page.get_by_test_id("ticket-row")).to_have_count(3)
        heights = page.eval_on_selector_all(".ticket-list th", "cells => cells.map(c => c.getBoundingClientRect().height)")
        assert max(heights) < 36, heights
        assert page.locator(".ticket-list").bounding_box()["width"] >= 900
        assert_readable(page, "ticket list")
        page.screenshot(path=str(RESULTS / "console-1366-tickets.png"))
    finally:
        context.close()


def test_the_console_on_a_phone(desk: tuple[str, str, Any, dict[str, str]], browser: Any) -> None:
    base, _, _, _ = desk
    expect = playwright_api.expect
    expect.set_options(timeout=TIMEOUT)
    RESULTS.mkdir(exist_ok=True)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        log_in(page, base)
        item = page.locator("[data-conversation]").filter(has_text="7-1-501").first
        expect(item).to_be_visible()
        item.get_by_role("button", name="查看").click()
        expect(page.get_by_test_id("chat-title")).to_contain_text("7-1-501")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        page.get_by_test_id("agent-input").scroll_into_view_if_needed()
        in_view(page, "agent-input")
        in_view(page, "agent-send")
        heights = page.eval_on_selector_all(".bar button, .bar strong", "nodes => nodes.map(n => n.getBoundingClientRect().height)")
        assert max(heights) < 60, heights  # no header squeezed into a column of single characters
        assert_readable(page, "console on a phone")
        page.screenshot(path=str(RESULTS / "console-phone.png"), full_page=True)
    finally:
        context.close()
