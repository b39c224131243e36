"""The resident's first screen on a phone (390×844), in real Chromium against a gateway process and
the stand-in Rasa with the real emergency intake (issue 12 §5): starter buttons to tap (报修 sends
the resident's words, 紧急求助 shows what to do and the numbers to call, nothing sent), phone numbers
as tel: links in prompts and in the emergency reply, the input capped at the server's limit with a
polite note, and every text at 4.5:1 contrast or more (measured in the browser). Screenshots in
``test-results/``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from bot import settings, texts
from bot.gateway.rasa_client import RASA_MAX_TEXT
from bot.gateway.widget_config import starters
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope, upgrade
from bot.storage.models import Message
from tests.contrast_support import low_contrast
from tests.gateway_support import running_gateway
from tests.standin_rasa import StandInRasa

playwright_api = pytest.importorskip("playwright.sync_api")

RESULTS = PROJECT_ROOT / "test-results"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
TIMEOUT = 30_000
LIFT = "电梯困人了 我在里面 3号楼"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('firstscreen') / 'gw.db'}"
    upgrade(url)
    with StandInRasa(database_url=url, emergencies={LIFT}) as rasa, running_gateway(url, rasa.url, tmp_path_factory.mktemp("log") / "gw.log") as base:
        yield base, url


def resident_texts(url: str) -> list[str]:
    with session_scope(url) as session:
        return list(session.execute(sa.select(Message.text).where(Message.role == "resident").order_by(Message.id)).scalars())


def test_first_screen_starters_tel_links_limit_and_contrast(stack: tuple[str, str], browser: Any) -> None:
    base, url = stack
    expect = playwright_api.expect
    expect.set_options(timeout=TIMEOUT)
    RESULTS.mkdir(exist_ok=True)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        page.goto(base + "/")
        expect(page.locator(".wy-app.wy-online")).to_be_visible()
        buttons = page.get_by_test_id("starter")
        expect(buttons).to_have_text(["报修", "咨询", "投诉", "紧急求助"])
        for box in (b.bounding_box() for b in buttons.all()):
            assert box["height"] >= 32 and box["y"] + box["height"] <= 844  # on the first screen, big enough to tap
        bad = low_contrast(page, at_least=3)
        assert bad == [], bad
        page.screenshot(path=str(RESULTS / "widget-first-screen.png"))

        # 紧急求助: what to do and whom to call, as links; nothing is sent for the resident.
        page.locator('[data-testid="starter"][data-kind="emergency"]').click()
        prompt = page.locator('[data-testid="starter-prompt"][data-kind="emergency"]')
        expect(prompt).to_be_visible()
        links = prompt.get_by_test_id("tel-link")
        expect(links).to_have_text(["119", "110", "120", settings.duty_phone()])
        expect(links.last).to_have_attribute("href", "tel:" + settings.duty_phone().replace("-", ""))
        expect(page.get_by_test_id("chat-input")).to_be_focused()
        assert resident_texts(url) == []
        bad = low_contrast(page, at_least=3)
        assert bad == [], bad
        page.screenshot(path=str(RESULTS / "widget-emergency-prompt.png"))

        # 报修 sends the resident's words and the conversation goes on; the starters give way.
        repair = next(s for s in starters() if s["kind"] == "repair")
        page.locator('[data-testid="starter"][data-kind="repair"]').click()
        expect(page.locator('[data-testid="chat-message"][data-role="resident"] .wy-bubble')).to_have_text([repair["message"]])
        expect(page.locator('[data-testid="chat-message"][data-role="bot"]').last).to_contain_text(repair["message"])
        expect(buttons).to_have_count(0)

        # While the emergency waits, the gateway keeps the resident company: its numbers are links too.
        page.get_by_test_id("chat-input").fill(LIFT)
        page.get_by_test_id("chat-send").click()
        expect(page.locator('[data-testid="chat-message"][data-role="bot"]').last).to_contain_text("工单号")
        page.get_by_test_id("chat-input").fill("有人吗 快点")
        page.get_by_test_id("chat-send").click()
        reply = page.locator('[data-testid="chat-message"][data-role="bot"]').last
        expect(reply).to_contain_text(settings.duty_phone())
        expect(reply.locator(f'a[href="tel:{settings.duty_phone().replace("-", "")}"]')).to_have_count(1)
        expect(reply.locator('a[href="tel:119"], a[href="tel:110"]').first).to_be_visible()
        bad = low_contrast(page)
        assert bad == [], bad
        page.screenshot(path=str(RESULTS / "widget-emergency-reply.png"))

        # The input takes what the assistant reads, no more, and says so.
        page.get_by_test_id("chat-input").fill("漏" * RASA_MAX_TEXT)
        page.get_by_test_id("chat-input").press("End")
        page.keyboard.type("水")
        assert len(page.get_by_test_id("chat-input").input_value()) == RASA_MAX_TEXT
        expect(page.get_by_test_id("input-limit")).to_have_text(texts.render("widget.too_long", max_chars=RASA_MAX_TEXT))
        bad = low_contrast(page)
        assert bad == [], bad
        page.get_by_test_id("chat-input").fill("好的")
        page.get_by_test_id("chat-input").dispatch_event("input")
        expect(page.get_by_test_id("input-limit")).to_be_hidden()
    finally:
        context.close()
