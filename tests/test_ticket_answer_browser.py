"""An agent answers a registered question from the ticket list, in Chromium: the row opens the
resident's conversation, the ticket's answer box sends the answer, and the resident's open chat
shows it from the agent — without the agent taking the conversation over."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.storage import session_scope, upgrade
from bot.tickets.rules import INQUIRY_DEADLINES
from bot.tickets.service import NewTicket, create_ticket
from tests.browser_support import log_in
from tests.gateway_support import make_agent, running_gateway
from tests.standin_rasa import unreachable_url

playwright_api = pytest.importorskip("playwright.sync_api")
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('answer') / 'gw.db'}"
    upgrade(url)
    make_agent(url, "甲")
    with running_gateway(url, unreachable_url(), tmp_path_factory.mktemp("log") / "gw.log") as base:
        yield base, url


def test_an_agent_answers_a_registered_question_from_the_ticket_list(browser: Any, site: tuple[str, str]) -> None:
    expect = playwright_api.expect
    base, url = site
    resident_context, agent_context = browser.new_context(locale="zh-CN"), browser.new_context(locale="zh-CN")
    try:
        resident = resident_context.new_page()
        resident.set_default_timeout(TIMEOUT)
        resident.goto(base + "/")
        resident.get_by_test_id("chat-input").wait_for()
        expect(resident.locator(".wy-app")).to_have_attribute("data-resident", re.compile(".+"))
        resident_id = resident.locator(".wy-app").get_attribute("data-resident")
        assert resident_id
        with session_scope(url) as session:
            new = NewTicket("inquiry", "handover", "一般", "小区游泳池的水温多少度", "客服中心", INQUIRY_DEADLINES, conversation_id=resident_id)
            number = create_ticket(session, new).number

        agent = agent_context.new_page()
        agent.set_default_timeout(TIMEOUT)
        log_in(agent, base + "/agent", "甲", "correct-horse-1")
        agent.get_by_test_id("show-tickets").click()
        row = agent.locator(f'[data-testid="ticket-row"][data-number="{number}"]')
        row.click()
        card = agent.locator(f'[data-testid="ticket-panel"] [data-ticket="{number}"]')
        expect(card).to_contain_text("小区游泳池的水温多少度")
        card.get_by_test_id("ticket-answer-input").fill("这个我不知道")
        card.get_by_test_id("ticket-answer-send").click()
        expect(card.get_by_test_id("ticket-answer-message")).to_contain_text("不规范", timeout=TIMEOUT)
        answer = "您好，已为您核实：游泳池水温保持在26–28℃。"
        card.get_by_test_id("ticket-answer-input").fill(answer)
        card.get_by_test_id("ticket-answer-send").click()
        expect(agent.get_by_test_id("ticket-history")).to_contain_text("答复居民", timeout=TIMEOUT)
        expect(agent.get_by_test_id("agent-send")).to_be_disabled()  # answered without taking the conversation over
        expect(agent.locator('[data-testid="transcript-message"][data-role="agent"]')).to_contain_text(answer, timeout=TIMEOUT)

        said = resident.locator('[data-testid="chat-message"][data-role="agent"]')
        expect(said).to_contain_text(answer, timeout=TIMEOUT)
        expect(resident.locator("body")).not_to_contain_text("这个我不知道")
    finally:
        resident_context.close()
        agent_context.close()
