"""Three resident journeys (issue 12, "Done when") in real Chromium, as people meet them: the
widget on a phone (390×844) and the agent console at 1366×900, against the real stack — Rasa with
the trained model, the action server (tests/rasa_support.py) and a gateway process whose clock the
test moves (``WUYE_CLOCK_FILE``, tests/gateway_support.ClockFile). Assertions are on what the
resident reads in the bubbles; the database only confirms what the pages cannot show.

- An unclaimed emergency: 「电梯困人了 我在3号楼电梯里」 gets safety advice first, the duty phone
  (tappable) and the ticket with no promise that someone is coming; 「有人吗 快点」 is answered at
  once (still waiting, for how long, what to do now); two minutes on (the moved clock,
  ``EMERGENCY_ESCALATION_SECONDS``) the bot says plainly that nobody has claimed it and the console
  shows the escalation banner; the agent claims in the console and the resident reads the agent's
  display name (张明), never the login.
- A complaint that a repair is late: the resident reports a repair, then complains it is late; the
  bot asks which repair, offering the earlier ticket as a chip; the summary names it; after 确认
  the complaint ticket is linked to that repair (both tickets' histories).
- Hand-back continuity: a neighbour-noise complaint is registered, the resident asks for a person,
  the agent claims, answers and hands back in the console; what the resident writes next is added
  to the agent's case, naming the agent, without a second apology or a question about what is known.

Screenshots in ``test-results/journey-*.png``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot import texts
from bot.clock import utcnow
from bot.communities.records import community_of_conversation
from bot.conversations.status import Status
from bot.gateway.agents import create_agent
from bot.processes import Stack
from bot.safety import procedure_for
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope
from bot.storage.models import Conversation, HandoffRequest, Ticket
from tests.browser_support import log_in as log_in_at
from tests.gateway_support import ClockFile, running_gateway, shared_clock

pytestmark = pytest.mark.rasa
playwright_api = pytest.importorskip("playwright.sync_api")

RESULTS = PROJECT_ROOT / "test-results"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
DESK = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"}
TIMEOUT = 60_000
QUIET = 2.0  # seconds without a new bot bubble: the turn's replies are all in
ESCALATE_AFTER = 120  # EMERGENCY_ESCALATION_SECONDS of the gateway under test
AGENT, AGENT_NAME = "zhangming", "张明"  # the login (its own: the Rasa stack and its database are shared by modules) and the display name residents are told
PROMISES = ("正在赶来", "第一时间赶到", "正在赶往", "马上上门", "正在为您处理")


@pytest.fixture(scope="module")
def desk(rasa_stack: Stack, stack_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ClockFile]]:
    with session_scope(stack_database) as session:
        create_agent(session, AGENT, "correct-horse-1", display_name=AGENT_NAME)
        # Other modules' emergencies wait unclaimed in the stack's shared database; the moved clock
        # would escalate them too, and the console's banner would name them. This desk starts clear.
        session.execute(sa.update(HandoffRequest).where(HandoffRequest.handled_at.is_(None)).values(handled_at=utcnow()))
        session.execute(sa.update(Conversation).where(Conversation.status == Status.PENDING.value).values(status=Status.RESOLVED.value))
    folder = tmp_path_factory.mktemp("journeys")
    rasa_url = f"http://127.0.0.1:{rasa_stack.rasa_port}"
    with shared_clock(folder / "clock") as clock, running_gateway(
        stack_database, rasa_url, folder / "gateway.log", EMERGENCY_ESCALATION_SECONDS=str(ESCALATE_AFTER), **clock.env
    ) as base:
        yield base, clock


@pytest.fixture
def pages(browser: Any) -> Iterator[tuple[Any, Any]]:
    """The resident's phone and the agent's desk, each its own browser context."""
    RESULTS.mkdir(exist_ok=True)
    phone, laptop = browser.new_context(**PHONE), browser.new_context(**DESK)
    dialogs: list[str] = []
    try:
        widget, console = phone.new_page(), laptop.new_page()
        for page in (widget, console):
            page.set_default_timeout(TIMEOUT)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        yield widget, console
        assert dialogs == [], dialogs
    finally:
        phone.close()
        laptop.close()


# --------------------------------------------------------------------------- what the resident does and reads


def bot_bubbles(widget: Any) -> Any:
    return widget.locator('[data-testid="chat-message"][data-role="bot"] .wy-bubble')


def replies_since(widget: Any, before: int) -> list[str]:
    """The bot's bubbles after the first ``before``, once the turn has said everything."""
    widget.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"chat-message\"][data-role=\"bot\"]').length > n", arg=before, timeout=TIMEOUT
    )
    count, settled = bot_bubbles(widget).count(), time.monotonic()
    while time.monotonic() - settled < QUIET:
        time.sleep(0.25)
        if bot_bubbles(widget).count() != count:
            count, settled = bot_bubbles(widget).count(), time.monotonic()
    return bot_bubbles(widget).all_inner_texts()[before:]


def say(widget: Any, text: str) -> list[str]:
    """Type ``text``, send it, and read the bot's answer bubbles."""
    before = bot_bubbles(widget).count()
    widget.get_by_test_id("chat-input").fill(text)
    widget.get_by_test_id("chat-send").click()
    return replies_since(widget, before)


def tap(widget: Any, chip_text: str) -> list[str]:
    """Tap the quick-reply chip whose title has ``chip_text``, and read the bot's answer."""
    before = bot_bubbles(widget).count()
    widget.get_by_test_id("quick-reply").filter(has_text=chip_text).first.click()
    return replies_since(widget, before)


def chips(widget: Any) -> list[str]:
    return widget.get_by_test_id("quick-reply").all_inner_texts()


def open_widget(widget: Any, base: str) -> str:
    widget.goto(base + "/")
    playwright_api.expect(widget.locator(".wy-app.wy-online")).to_be_visible()
    resident = widget.locator(".wy-app").get_attribute("data-resident")
    assert resident
    return resident


def log_in(console: Any, base: str) -> None:
    log_in_at(console, base + "/agent", AGENT, "correct-horse-1")
    playwright_api.expect(console.locator("#link.online")).to_be_visible()


def tickets_of(url: str, conversation_id: str) -> list[Ticket]:
    with session_scope(url) as session:
        return list(session.execute(sa.select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id)).scalars())


def notes_of(url: str, ticket: Ticket) -> list[str]:
    with session_scope(url) as session:
        return [e.note for e in session.get(Ticket, ticket.id).events]


# --------------------------------------------------------------------------- (a) an emergency nobody has claimed yet


def test_an_unclaimed_lift_emergency_keeps_the_resident_company_escalates_and_names_the_agent(
    desk: tuple[str, ClockFile], stack_database: str, pages: tuple[Any, Any]
) -> None:
    expect = playwright_api.expect
    base, clock = desk
    widget, console = pages
    resident = open_widget(widget, base)
    log_in(console, base)
    with session_scope(stack_database) as session:
        duty_phone = community_of_conversation(session, resident).duty_phone
    lift = procedure_for("lift")

    # The first reply: what to do now first, then the duty phone, then the ticket; nothing promised.
    first = "\n".join(say(widget, "电梯困人了 我在3号楼电梯里"))
    assert first.startswith(lift.instructions), first
    assert first.index(lift.instructions) < first.index(duty_phone) < first.index("工单号"), first
    assert "已提醒所有值班客服" in first
    assert not any(p in first for p in PROMISES), first
    expect(widget.locator(f'[data-testid="tel-link"][href="tel:{duty_phone.replace("-", "")}"]').first).to_be_visible()
    expect(widget.locator(".wy-status")).to_have_text(texts.render("widget.status_bot"))
    [ticket] = tickets_of(stack_database, resident)
    assert ticket.category == "emergency" and ticket.number in first
    queued = console.locator(f'[data-testid="queue-item"][data-conversation="{resident}"]')
    expect(queued).to_have_attribute("data-emergency", "true")

    # A follow-up while nobody has claimed it is answered at once: still waiting, how long, what to do.
    started = time.monotonic()
    [company] = say(widget, "有人吗 快点")
    assert time.monotonic() - started < QUIET + 10, "answered at once, not after a timeout"
    assert re.search(r"还在等同事接手.*您已等待\d+秒", company), company
    assert lift.instructions in company and lift.numbers in company and duty_phone in company
    assert not any(p in company for p in PROMISES), company
    assert len(tickets_of(stack_database, resident)) == 1, "no second ticket, no script restarted"
    widget.screenshot(path=str(RESULTS / "journey-emergency-waiting.png"), full_page=True)

    # Two minutes on nobody has claimed it: the resident is told so plainly, the console alarms louder.
    before = bot_bubbles(widget).count()
    clock.advance(timedelta(seconds=ESCALATE_AFTER + 1))
    escalated = widget.locator('[data-testid="chat-message"][data-role="bot"][data-event="escalated"]')
    expect(escalated).to_have_count(1)
    notice = escalated.inner_text()
    assert re.search(r"您已等待2分\d\d秒，还没有同事接手", notice), notice
    assert duty_phone in notice and lift.numbers in notice
    assert bot_bubbles(widget).count() == before + 1
    banner = console.get_by_test_id("escalation-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("第1次提醒")
    expect(queued).to_have_attribute("data-escalated", "true")
    widget.screenshot(path=str(RESULTS / "journey-emergency-escalated.png"), full_page=True)
    console.screenshot(path=str(RESULTS / "journey-emergency-console.png"))
    with session_scope(stack_database) as session:
        [request] = session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == resident)).scalars()
        assert (request.kind, request.escalations) == ("lift", 1)

    # The agent claims in the console: the resident reads the agent's display name, never the login.
    queued.get_by_test_id("claim").click()
    joined = widget.locator('[data-testid="chat-notice"][data-event="join"]')
    expect(joined).to_have_text(texts.render("agent.joined", agent=AGENT_NAME))
    expect(widget.locator(".wy-status")).to_contain_text(AGENT_NAME)
    assert AGENT not in joined.inner_text()
    expect(banner).to_be_hidden()

    # From now on the agent answers: the bot keeps quiet, no more escalation on the clock.
    bots = bot_bubbles(widget).count()
    widget.get_by_test_id("chat-input").fill("你好 我还在电梯里")
    widget.get_by_test_id("chat-send").click()
    expect(console.locator('[data-testid="transcript-message"][data-role="resident"]').last).to_contain_text("我还在电梯里")
    clock.advance(timedelta(seconds=ESCALATE_AFTER * 2))
    widget.wait_for_timeout(3000)  # three sweeps
    assert bot_bubbles(widget).count() == bots
    console.get_by_test_id("agent-input").fill("您好，我是客服张明，已通知电梯维保单位，请您保持冷静，不要扒门。")
    console.get_by_test_id("agent-send").click()
    expect(widget.locator('[data-testid="chat-message"][data-role="agent"]').last).to_contain_text("不要扒门")
    expect(widget.locator('[data-testid="chat-message"][data-role="agent"] .wy-meta').last).to_contain_text(AGENT_NAME)
    widget.screenshot(path=str(RESULTS / "journey-emergency-claimed.png"), full_page=True)
    console.get_by_test_id("hand-back").click()  # leave the queue as it was for the next journey
    expect(widget.locator('[data-testid="chat-notice"][data-event="leave"]')).to_be_visible()


# --------------------------------------------------------------------------- (b) a complaint that a repair is late


def test_a_complaint_that_a_repair_is_late_asks_which_repair_and_is_linked_to_it(
    desk: tuple[str, ClockFile], stack_database: str, pages: tuple[Any, Any]
) -> None:
    base, _ = desk
    widget, _console = pages
    resident = open_widget(widget, base)

    # First a repair, as residents report one.
    for answer in ("我家卫生间马桶堵了", "5号楼1单元802", "13912345678"):
        assert say(widget, answer)
    summary = "\n".join(say(widget, "明天下午三点以后"))
    assert "马桶" in summary and "5-1-802" in summary, summary
    assert chips(widget) == ["确认", "修改"]
    registered = "\n".join(tap(widget, "确认"))
    [repair] = tickets_of(stack_database, resident)
    assert repair.category == "repair" and repair.number in registered

    # Three days later (in the resident's words) it is late: which repair? The earlier one is offered.
    asked = "\n".join(say(widget, "报修三天了还没人来修 太慢了"))
    assert "哪一次报修" in asked and "工程部" in asked, asked
    assert "联系电话" not in asked, "the phone is known from the repair"
    offered = chips(widget)
    assert offered[0].startswith(repair.number) and "马桶堵了" in offered[0], offered
    assert offered[-1] == "都不是"
    widget.screenshot(path=str(RESULTS / "journey-late-repair-which.png"), full_page=True)

    # The resident taps the repair: the summary shows what will be filed and asks to confirm.
    confirm = "\n".join(tap(widget, repair.number))
    assert f"关联工单：{repair.number}" in confirm and "5-1-802" in confirm and "139****5678" in confirm, confirm
    assert "13912345678" not in confirm
    assert chips(widget) == ["确认", "修改"]
    assert len(tickets_of(stack_database, resident)) == 1, "nothing is filed before the resident confirms"
    widget.screenshot(path=str(RESULTS / "journey-late-repair-summary.png"), full_page=True)

    done = "\n".join(tap(widget, "确认"))
    repair, complaint = tickets_of(stack_database, resident)
    assert complaint.number in done and repair.number in done, done
    assert texts.render("complaint.linked", related=repair.number) in done
    assert complaint.category == "complaint" and complaint.description.startswith("【维修进度】")
    assert complaint.department == repair.department == "工程部"
    assert f"关联工单 {repair.number}" in notes_of(stack_database, complaint)
    assert f"居民投诉处理进度，投诉工单 {complaint.number}" in notes_of(stack_database, repair)
    assert repair.status == "new", "the link changes neither ticket's status"
    widget.screenshot(path=str(RESULTS / "journey-late-repair-linked.png"), full_page=True)


# --------------------------------------------------------------------------- (c) hand-back continuity


def test_after_the_agent_hands_back_the_bot_continues_the_agents_case(
    desk: tuple[str, ClockFile], stack_database: str, pages: tuple[Any, Any]
) -> None:
    expect = playwright_api.expect
    base, _ = desk
    widget, console = pages
    resident = open_widget(widget, base)
    log_in(console, base)

    first = "\n".join(say(widget, "楼上邻居晚上十一点还在装修 电钻声吵得睡不着 你们管不管"))
    assert "周末和法定节假日不得进行噪音施工" in first and "代表" not in first, first
    say(widget, "5栋1单元802")
    summary = "\n".join(say(widget, "13812345678"))
    assert "请您确认投诉信息" in summary, summary
    assert "您的投诉已登记" in "\n".join(tap(widget, "确认"))
    [complaint] = tickets_of(stack_database, resident)
    assert "人工" in "\n".join(say(widget, "转人工"))

    # The agent claims in the console, answers and hands the conversation back.
    queued = console.locator(f'[data-testid="queue-item"][data-conversation="{resident}"]')
    queued.get_by_test_id("claim").click()
    expect(widget.locator('[data-testid="chat-notice"][data-event="join"]')).to_have_text(texts.render("agent.joined", agent=AGENT_NAME))
    expect(console.locator('[data-testid="transcript-message"][data-role="resident"]').first).to_contain_text("装修")
    answer = "您好，我是客服张明。我们已经联系楼上住户，今晚会有同事上门劝止，请您放心。"
    console.get_by_test_id("agent-input").fill(answer)
    console.get_by_test_id("agent-send").click()
    expect(widget.locator('[data-testid="chat-message"][data-role="agent"]').last).to_have_text(re.compile(re.escape(answer)))
    console.get_by_test_id("hand-back").click()
    expect(widget.locator('[data-testid="chat-notice"][data-event="leave"]')).to_have_text(texts.render("agent.left", agent=AGENT_NAME))
    expect(widget.locator(".wy-status")).to_have_text(texts.render("widget.status_bot"))
    console.screenshot(path=str(RESULTS / "journey-handback-console.png"))

    # The resident goes on: added to the agent's case, the agent named, nothing asked again.
    [follow_up] = say(widget, "楼上还在装修 吵得根本睡不着")
    assert follow_up == texts.render("complaint.added_to_case_after_agent", number=complaint.number, agent=AGENT_NAME)
    assert "致歉" not in follow_up and "代表" not in follow_up, "no second apology"
    assert "联系电话" not in follow_up and "事情发生在哪里" not in follow_up, "nothing known asked again"
    assert notes_of(stack_database, complaint)[-1] == "居民补充：楼上还在装修 吵得根本睡不着"
    assert len(tickets_of(stack_database, resident)) == 1, "no second complaint"
    assert say(widget, "好的") == ["好的。请问还有什么可以帮您？"]
    widget.screenshot(path=str(RESULTS / "journey-handback-widget.png"), full_page=True)
