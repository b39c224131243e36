"""The whole product in a browser: Rasa + actions + gateway, the resident widget and the agent console.

Emergency → queue → claim → agent reply → resident sees it → hand back → the bot answers again;
reload restores history; HTML payloads render as text in both UIs; mobile screenshots in test-results/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bot.processes import Stack
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope
from bot.storage.models import HandoffRequest
from tests.browser_support import log_in
from tests.gateway_support import make_agent, running_gateway

pytestmark = pytest.mark.rasa
playwright_api = pytest.importorskip("playwright.sync_api")

RESULTS = PROJECT_ROOT / "test-results"
MOBILE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
HTML_PAYLOAD = '<img src=x onerror="window.__pwned=1"><b>粗体</b><script>window.__pwned=2</script>'
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def gateway(rasa_stack: Stack, stack_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    make_agent(stack_database, "小王")
    log = tmp_path_factory.mktemp("gwlog") / "gateway.log"
    with running_gateway(stack_database, f"http://127.0.0.1:{rasa_stack.rasa_port}", log) as base:
        yield base



def messages(page, role: str):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-testid="chat-message"][data-role="{role}"]')


def test_emergency_handoff_round_trip(gateway: str, stack_database: str, browser) -> None:  # type: ignore[no-untyped-def]
    RESULTS.mkdir(exist_ok=True)
    expect = playwright_api.expect
    resident_ctx = browser.new_context(**MOBILE)
    agent_ctx = browser.new_context(**MOBILE)
    resident, agent = resident_ctx.new_page(), agent_ctx.new_page()
    dialogs: list[str] = []
    for page in (resident, agent):
        page.set_default_timeout(TIMEOUT)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # The resident reports a fire: safety instructions from the bot, the conversation goes to the queue.
    resident.goto(gateway + "/")
    resident.get_by_test_id("chat-input").fill("救命 3栋2单元102厨房着火了 烟很大")
    resident.get_by_test_id("chat-send").click()
    expect(messages(resident, "bot").filter(has_text="119").first).to_be_visible()
    resident_id = resident.locator(".wy-app").get_attribute("data-resident")
    assert resident_id
    # The gateway's rules queued it before Rasa answered; the action's ticket joined that request.
    with session_scope(stack_database) as session:
        [request] = session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == resident_id)).scalars().all()
        assert request.ticket_id is not None and request.alerted_at is not None

    # The agent logs in and sees it highlighted in the live queue.
    log_in(agent, gateway + "/agent", "小王", "correct-horse-1")
    item = agent.locator(f'[data-testid="queue-item"][data-conversation="{resident_id}"]')
    expect(item).to_be_visible()
    expect(item).to_have_class("item emergency")
    agent.screenshot(path=str(RESULTS / "console-queue-mobile.png"), full_page=True)

    # Claim: the resident is told an agent joined.
    item.get_by_test_id("claim").click()
    expect(resident.get_by_test_id("chat-notice").filter(has_text="小王已接入")).to_be_visible()
    expect(agent.locator('[data-testid="transcript-message"][data-role="resident"]').first).to_contain_text("着火")

    # An impolite draft is flagged before sending and refused.
    agent.get_by_test_id("agent-input").fill("这个我不知道")
    expect(agent.get_by_test_id("draft-warning").first).to_be_visible()
    agent.get_by_test_id("agent-send").click()
    expect(agent.locator("#chat-error")).to_contain_text("不规范")
    expect(messages(resident, "agent")).to_have_count(0)

    # A polite reply (with HTML in it) reaches the resident, as text.
    reply = "<b>您好</b>，消防已通知，请您先离开厨房到楼下等候。"
    agent.get_by_test_id("agent-input").fill(reply)
    agent.get_by_test_id("agent-send").click()
    expect(messages(resident, "agent").last).to_contain_text(reply)
    assert resident.locator(".wy-bubble b").count() == 0

    # The resident's HTML payload shows as text in the console too; Rasa stays silent.
    bots_before = messages(resident, "bot").count()
    resident.get_by_test_id("chat-input").fill(HTML_PAYLOAD)
    resident.get_by_test_id("chat-send").click()
    expect(messages(resident, "resident").last).to_contain_text(HTML_PAYLOAD)
    expect(agent.locator('[data-testid="transcript-message"][data-role="resident"]').last).to_contain_text(HTML_PAYLOAD)
    assert agent.locator("#transcript img, #transcript script, #transcript b").count() == 0
    assert resident.locator(".wy-list img, .wy-list b").count() == 0
    assert resident.evaluate("window.__pwned") is None and agent.evaluate("window.__pwned") is None
    assert messages(resident, "bot").count() == bots_before
    resident.screenshot(path=str(RESULTS / "widget-agent-mobile.png"), full_page=True)
    agent.screenshot(path=str(RESULTS / "console-conversation-mobile.png"), full_page=True)

    # Reload: the whole history comes back in order.
    before = resident.locator('[data-testid="chat-message"]').all_inner_texts()
    resident.reload()
    expect(resident.locator('[data-testid="chat-message"]')).to_have_count(len(before))
    assert resident.locator('[data-testid="chat-message"]').all_inner_texts() == before
    assert resident.locator(".wy-app").get_attribute("data-resident") == resident_id

    # Hand back: the bot answers again.
    agent.get_by_test_id("hand-back").click()
    expect(resident.get_by_test_id("chat-notice").filter(has_text="智能助手继续")).to_be_visible()
    bots_before = messages(resident, "bot").count()
    resident.get_by_test_id("chat-input").fill("请问高层住宅的物业费标准是多少？")
    resident.get_by_test_id("chat-send").click()
    answer = messages(resident, "bot").nth(bots_before)
    expect(answer).to_be_visible()
    assert "元" in answer.inner_text(), answer.inner_text()
    resident.screenshot(path=str(RESULTS / "widget-mobile.png"), full_page=True)
    assert dialogs == []
    resident_ctx.close()
    agent_ctx.close()
