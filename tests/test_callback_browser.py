"""The callback (回访) in a real browser (/usr/bin/chromium): a complaint resolved in the console is
called back in the resident's widget three days later (the clock of the gateway process moved by
the test, WUYE_CLOCK_FILE), the resident answers with the card's buttons and a remark, the unhappy
answer is stored, reopens the ticket and alerts the agent's console (red banner, the resident in the
queue). A periodic survey the manager opens is offered in the widget and answered on its form.
Screenshots of the phone and the console in test-results/.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot import texts
from bot.gateway.agents import create_agent
from bot.roles import Role
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope, upgrade
from bot.storage.models import Callback, SatisfactionRating, SurveyResponse, Ticket
from tests.browser_support import log_in
from tests.gateway_support import ClockFile, login, make_agent, running_gateway, shared_clock
from tests.standin_rasa import StandInRasa
from tests.test_widget_browser import MOBILE, TIMEOUT, say
from tests.ticket_support import new_ticket

playwright_api = pytest.importorskip("playwright.sync_api")
RESULTS = PROJECT_ROOT / "test-results"
LAPTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, str, ClockFile]]:
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    upgrade(url)
    make_agent(url, "小李")
    with shared_clock(tmp_path / "clock") as clock, StandInRasa() as rasa, running_gateway(url, rasa.url, tmp_path / "gateway.log", CALLBACK_POLL_SECONDS="0.3", **clock.env) as base:
        yield base, url, clock


def _complaint_for(url: str, conversation_id: str) -> str:
    from bot.tickets.rules import COMPLAINT_DEADLINES
    from bot.tickets.service import create_ticket

    with session_scope(url) as session:
        ticket = create_ticket(session, new_ticket(category="complaint", deadlines=COMPLAINT_DEADLINES["一般"], description="楼上每天晚上装修噪音太吵", conversation_id=conversation_id))
        return ticket.number


def test_the_resident_answers_a_callback_with_buttons_and_the_console_is_alerted(browser: Any, stack: tuple[str, str, ClockFile]) -> None:
    expect = playwright_api.expect
    base, url, clock = stack
    RESULTS.mkdir(exist_ok=True)
    phone = browser.new_context(**MOBILE)
    desk = browser.new_context(**LAPTOP)
    try:
        widget = phone.new_page()
        widget.set_default_timeout(TIMEOUT)
        widget.goto(base + "/")
        expect(widget.locator(".wy-app.wy-online")).to_be_visible()
        say(widget, "楼上每天晚上装修噪音太吵")
        expect(widget.locator('[data-testid="chat-message"][data-role="bot"]')).to_have_count(1)
        resident = widget.locator(".wy-app").get_attribute("data-resident")
        assert resident
        number = _complaint_for(url, resident)
        agent, csrf = login(base, "小李")
        assert agent.post(f"/api/agent/tickets/{number}", json={"status": "resolved"}, headers={"X-CSRF-Token": csrf}).json()["callback"]

        widget.wait_for_timeout(1500)  # the schedule runs, nothing is due yet
        expect(widget.get_by_test_id("callback-card")).to_have_count(0)
        clock.advance(timedelta(days=3))
        card = widget.get_by_test_id("callback-card")
        expect(card).to_be_visible()  # delivered live into the open widget
        question = widget.locator('[data-testid="chat-message"][data-role="bot"]').last
        expect(question).to_contain_text(number)
        expect(question).to_contain_text("是否已经解决")

        # The agent's console (a new session: three days have passed) is open when the answer comes.
        console = desk.new_page()
        console.set_default_timeout(TIMEOUT)
        log_in(console, base + "/agent", "小李", "correct-horse-1")
        expect(console.locator("#link.online")).to_be_visible()

        submit = card.get_by_test_id("callback-submit")
        expect(submit).to_be_disabled()
        card.locator('[data-testid="callback-resolved"][data-value="no"]').click()
        card.locator('[data-testid="callback-level"][data-level="很不满意"]').click()
        card.get_by_test_id("callback-remark").fill("晚上还是很吵")
        widget.screenshot(path=str(RESULTS / "callback-widget-mobile.png"), full_page=True)
        submit.click()
        expect(widget.get_by_test_id("callback-card")).to_have_count(0)
        answered = widget.locator('[data-testid="chat-notice"]').last
        expect(answered).to_contain_text(texts.render("callback.resolved_no"))
        expect(answered).to_contain_text("很不满意")

        expect(console.get_by_test_id("callback-alert")).to_be_visible()
        expect(console.get_by_test_id("callback-alert")).to_contain_text(number)
        expect(console.locator(f'[data-testid="queue-item"][data-conversation="{resident}"]')).to_be_visible()
        expect(console.get_by_test_id("callbacks-done").locator(f'[data-ticket="{number}"]')).to_be_visible()
        console.screenshot(path=str(RESULTS / "callback-console.png"), full_page=True)

        with session_scope(url) as session:
            row = session.execute(sa.select(Callback).where(Callback.conversation_id == resident, Callback.attempt == 1)).scalar_one()
            assert (row.status, row.resolved, row.level, row.remark, row.method) == ("done", False, "很不满意", "晚上还是很吵", "chat")
            assert session.execute(sa.select(Ticket.status).where(Ticket.number == number)).scalar_one() == "in_progress"

        widget.reload()  # the answered callback offers no card again
        expect(widget.locator('[data-testid="chat-notice"]').last).to_contain_text("很不满意")
        expect(widget.get_by_test_id("callback-card")).to_have_count(0)
    finally:
        phone.close()
        desk.close()


def test_the_resident_answers_a_survey_on_the_widgets_form(browser: Any, stack: tuple[str, str, ClockFile]) -> None:
    expect = playwright_api.expect
    base, url, _ = stack
    RESULTS.mkdir(exist_ok=True)
    with session_scope(url) as session:
        create_agent(session, "经理丙", "correct-horse-1", role=Role.MANAGER)
    manager, csrf = login(base, "经理丙")
    opened = manager.post("/api/manager/surveys", json={"title": "2026年上半年满意度调查", "days": 30}, headers={"X-CSRF-Token": csrf})
    assert opened.status_code == 200, opened.text
    phone = browser.new_context(**MOBILE)
    try:
        widget = phone.new_page()
        widget.set_default_timeout(TIMEOUT)
        widget.goto(base + "/")
        card = widget.get_by_test_id("survey-card")
        expect(card).to_be_visible()
        expect(card).to_contain_text("2026年上半年满意度调查")
        expect(card).to_contain_text(texts.render("survey.intro"))
        opener = card.get_by_test_id("survey-open")
        for _ in range(3):  # a tap while the list still scrolls to the new card can land beside it (seen once under load)
            opener.click()
            widget.wait_for_timeout(300)
            if opener.count() == 0:
                break
        expect(opener).to_have_count(0)  # the form is open: its button is gone
        expect(card.get_by_test_id("survey-submit")).to_be_visible()
        expect(card.get_by_test_id("survey-level")).to_have_count(18)  # seed 003: 17 items and the overall one
        submit = card.get_by_test_id("survey-submit")
        expect(submit).to_be_disabled()
        card.locator('[data-testid="survey-level"][data-item="客服工作态度"]').select_option("非常满意")
        card.locator('[data-testid="survey-level"][data-item="服务总体满意度"]').select_option("满意")
        card.locator('[data-testid="survey-text"][data-question="improve"]').fill("夜间巡逻多一些")
        widget.screenshot(path=str(RESULTS / "survey-widget-mobile.png"), full_page=True)
        submit.click()
        expect(widget.get_by_test_id("survey-card")).to_have_count(0)
        expect(widget.locator('[data-testid="chat-notice"]').last).to_have_text(texts.render("survey.thanks"))
        resident = widget.locator(".wy-app").get_attribute("data-resident")
        with session_scope(url) as session:
            response = session.execute(sa.select(SurveyResponse)).scalar_one()
            assert (response.conversation_id, response.improve) == (resident, "夜间巡逻多一些")
            rows = session.execute(sa.select(SatisfactionRating.item, SatisfactionRating.level).where(SatisfactionRating.survey_response_id == response.id).order_by(SatisfactionRating.id)).all()
            assert [tuple(r) for r in rows] == [("客服工作态度", "非常满意"), ("服务总体满意度", "满意")]
        widget.reload()  # answered: not offered again
        expect(widget.locator(".wy-app.wy-online")).to_be_visible()
        widget.wait_for_timeout(1000)
        expect(widget.get_by_test_id("survey-card")).to_have_count(0)
    finally:
        phone.close()
