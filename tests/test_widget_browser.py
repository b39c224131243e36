"""The resident widget in a real browser (Debian's /usr/bin/chromium) against a real gateway process
on SQLite, with the stand-in Rasa (tests/standin_rasa.py; it holds a reply until released, so the
typing indicator can be seen): typing indicator, offline banner + outbox across a gateway restart, a photo
as an image bubble, agent join/leave notices, the five-level rating after resolve.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot import texts
from bot.conversations.lifecycle import request_handoff
from bot.conversations.status import Priority
from bot.processes import free_port, wait_for_http
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope, upgrade
from bot.storage.models import Attachment, Message, SatisfactionRating
from tests.gateway_support import SECRET, login, make_agent
from tests.standin_rasa import StandInRasa
from tests.test_gateway_widget_api import png

playwright_api = pytest.importorskip("playwright.sync_api")

WRONG_TYPE_REPLY, RATE_LIMIT_REPLY = texts.render("photo.wrong_type"), texts.render("message.too_fast")

RESULTS = PROJECT_ROOT / "test-results"
MOBILE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
TIMEOUT = 60_000


class GatewayProcess:
    """A gateway on a fixed port that can be stopped and started again (the offline test)."""

    def __init__(self, database_url: str, rasa_url: str, log: Path, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "GATEWAY_SECRET": SECRET,
            "PORT": str(self.port),
            "RASA_URL": rasa_url,
            "RASA_TELEMETRY_ENABLED": "false",
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "bot.gateway"], cwd=PROJECT_ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        wait_for_http(f"{self.base}/healthz", 60, self.process)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, StandInRasa, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('widget') / 'gw.db'}"
    upgrade(url)
    make_agent(url, "小李")
    with StandInRasa(hold_containing="慢") as rasa:  # answers 收到：<text>; a text with 慢 waits for rasa.release
        gateway = GatewayProcess(url, rasa.url, tmp_path_factory.mktemp("gwlog") / "gateway.log")
        gateway.start()
        yield gateway, rasa, url
        gateway.stop()



@pytest.fixture()
def page(browser: Any, stack: tuple[GatewayProcess, StandInRasa, str]) -> Iterator[Any]:
    context = browser.new_context(**MOBILE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(stack[0].base + "/")
    playwright_api.expect(page.locator(".wy-app.wy-online")).to_be_visible()
    yield page
    context.close()


def messages(page: Any, role: str) -> Any:
    return page.locator(f'[data-testid="chat-message"][data-role="{role}"]')


def say(page: Any, text: str) -> None:
    page.get_by_test_id("chat-input").fill(text)
    page.get_by_test_id("chat-send").click()


def stored(database_url: str, model: type, conversation_id: str) -> list:
    with session_scope(database_url) as session:
        return list(session.execute(sa.select(model).where(model.conversation_id == conversation_id).order_by(model.id)).scalars())


def test_header_and_welcome_come_from_the_server(page: Any) -> None:
    """The widget draws with the texts of GET /api/resident/config (inline in the page)."""
    expect = playwright_api.expect
    expect(page.locator(".wy-title")).to_have_text(texts.render("widget.title"))
    expect(page.get_by_test_id("chat-notice").first).to_have_text(texts.render("widget.welcome"))
    expect(page.get_by_test_id("chat-input")).to_have_attribute("placeholder", texts.render("widget.input_placeholder"))


def test_launcher_on_another_site_gets_its_texts_from_the_server(browser: Any, stack: tuple[GatewayProcess, StandInRasa, str]) -> None:
    """One <script> tag on any page: the launcher's label comes from GET /api/resident/config (CORS)."""
    expect = playwright_api.expect
    context = browser.new_context(**MOBILE)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.set_content(f'<html><body><p>物业公告</p><script src="{stack[0].base}/widget.js"></script></body></html>')
        launcher = page.get_by_role("button", name=texts.render("widget.launcher"))
        expect(launcher).to_be_visible()
        frame = page.locator("iframe")
        expect(frame).to_have_attribute("title", texts.render("widget.title"))
        launcher.click()
        expect(frame).to_be_visible()
        expect(page.get_by_role("button", name=texts.render("widget.launcher_close"))).to_be_visible()
        expect(page.frame_locator("iframe").locator(".wy-title")).to_have_text(texts.render("widget.title"))
    finally:
        context.close()


def test_typing_indicator_while_rasa_works(page: Any, stack: tuple[GatewayProcess, StandInRasa, str]) -> None:
    expect = playwright_api.expect
    _, rasa, _ = stack
    rasa.release.clear()
    say(page, "请您慢慢看一下我家的水管")
    indicator = page.get_by_test_id("typing-indicator")
    expect(indicator).to_be_visible()
    expect(indicator).to_contain_text("对方正在输入…")
    expect(messages(page, "resident").last).to_contain_text("水管")
    assert messages(page, "bot").count() == 0
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "widget-typing-mobile.png"))
    rasa.release.set()
    expect(messages(page, "bot").last).to_contain_text("收到：请您慢慢看一下我家的水管")
    expect(indicator).to_have_count(0)


def test_offline_banner_outbox_and_reconnect(page: Any, stack: tuple[GatewayProcess, StandInRasa, str]) -> None:
    expect = playwright_api.expect
    gateway, rasa, database_url = stack
    rasa.release.set()
    resident_id = page.locator(".wy-app").get_attribute("data-resident")
    banner = page.get_by_test_id("offline-notice")
    expect(banner).to_be_hidden()
    gateway.stop()
    try:
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("正在为您重新连接")
        say(page, "断网时写的留言：楼道灯不亮")
        expect(page.get_by_test_id("chat-pending")).to_contain_text("楼道灯不亮")
        assert page.get_by_test_id("chat-input").input_value() == ""
        assert stored(database_url, Message, resident_id) == []  # nothing reached the server yet
        page.screenshot(path=str(RESULTS / "widget-offline-mobile.png"))
    finally:
        gateway.start()
    # The back-off's next attempt finds the gateway again: at most one back-off delay away, which
    # grows with the time the gateway was down (1 s doubling to 30 s, lib/backoff.js) — on a busy
    # machine the stop and restart alone take several seconds.
    expect(banner).to_be_hidden(timeout=32_000)
    expect(messages(page, "resident").filter(has_text="楼道灯不亮")).to_have_count(1)
    expect(page.get_by_test_id("chat-pending")).to_have_count(0)
    expect(messages(page, "bot").filter(has_text="收到：断网时写的留言")).to_have_count(1)
    texts = [m.text for m in stored(database_url, Message, resident_id) if m.role == "resident"]
    assert texts == ["断网时写的留言：楼道灯不亮"]
    page.reload()  # the outbox is empty: nothing is sent twice
    expect(messages(page, "resident")).to_have_count(1)
    page.wait_for_timeout(1500)
    assert [m.text for m in stored(database_url, Message, resident_id) if m.role == "resident"] == texts


def test_browser_offline_and_online_events(page: Any, stack: tuple[GatewayProcess, StandInRasa, str]) -> None:
    expect = playwright_api.expect
    _, rasa, database_url = stack
    rasa.release.set()
    resident_id = page.locator(".wy-app").get_attribute("data-resident")
    page.context.set_offline(True)
    expect(page.get_by_test_id("offline-notice")).to_be_visible()
    say(page, "地铁里信号不好，先写下来")
    expect(page.get_by_test_id("chat-pending")).to_have_count(1)
    assert stored(database_url, Message, resident_id) == []
    page.context.set_offline(False)  # the online event reconnects at once, without waiting for the back-off
    expect(page.get_by_test_id("offline-notice")).to_be_hidden()
    expect(messages(page, "resident").filter(has_text="先写下来")).to_have_count(1)
    expect(page.get_by_test_id("chat-pending")).to_have_count(0)


def test_photo_becomes_an_image_bubble(page: Any, stack: tuple[GatewayProcess, StandInRasa, str], tmp_path: Path) -> None:
    expect = playwright_api.expect
    _, _, database_url = stack
    resident_id = page.locator(".wy-app").get_attribute("data-resident")
    photo = tmp_path / "漏水.png"
    photo.write_bytes(png(40, 30))
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("chat-photo").click()
    chooser.value.set_files(str(photo))
    image = messages(page, "resident").last.get_by_test_id("chat-image")
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 40", arg=image.element_handle())
    expect(messages(page, "bot").last).to_contain_text("照片已收到")
    (attachment,) = stored(database_url, Attachment, resident_id)
    assert attachment.size == photo.stat().st_size and attachment.filename == "漏水.png"

    fake = tmp_path / "不是照片.png"
    fake.write_text("这只是一段文字", encoding="utf-8")
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("chat-photo").click()
    chooser.value.set_files(str(fake))
    expect(page.get_by_test_id("chat-notice").filter(has_text=WRONG_TYPE_REPLY)).to_be_visible()
    assert len(stored(database_url, Attachment, resident_id)) == 1
    page.screenshot(path=str(RESULTS / "widget-photo-mobile.png"))


def test_agent_notices_and_rating_after_resolve(page: Any, stack: tuple[GatewayProcess, StandInRasa, str]) -> None:
    expect = playwright_api.expect
    gateway, _, database_url = stack
    resident_id = page.locator(".wy-app").get_attribute("data-resident")
    say(page, "您好，我想找人工客服")
    expect(messages(page, "bot").last).to_contain_text("收到")
    client, csrf = login(gateway.base, "小李")
    headers = {"X-CSRF-Token": csrf}

    def queue() -> None:
        with session_scope(database_url) as session:
            request_handoff(session, resident_id, reason="request_human", priority=Priority.NORMAL, summary="要人工")

    queue()
    assert client.post(f"/api/agent/conversations/{resident_id}/claim", headers=headers).status_code == 200
    joined = page.locator('[data-testid="chat-notice"][data-event="join"]')
    expect(joined).to_contain_text("客服小李已接入")
    expect(joined).to_be_in_viewport()
    expect(page.locator(".wy-status")).to_have_text("客服小李为您服务")
    assert client.post(f"/api/agent/conversations/{resident_id}/hand-back", headers=headers).status_code == 200
    left = page.locator('[data-testid="chat-notice"][data-event="leave"]')
    expect(left).to_contain_text("客服小李已离开")
    expect(left).to_be_in_viewport()
    expect(page.locator(".wy-status")).to_have_text("智能助手")

    queue()
    assert client.post(f"/api/agent/conversations/{resident_id}/claim", headers=headers).status_code == 200
    assert client.post(f"/api/agent/conversations/{resident_id}/resolve", headers=headers).status_code == 200
    panel = page.get_by_test_id("rating-panel")
    expect(panel).to_be_in_viewport()
    options = panel.get_by_test_id("rating-option")
    expect(options).to_have_text(["非常满意", "满意", "一般", "不满意", "很不满意"])
    page.screenshot(path=str(RESULTS / "widget-rating-mobile.png"))
    options.nth(1).click()
    expect(page.locator('[data-testid="chat-notice"][data-event="rated"]')).to_contain_text("您的评价：满意。感谢您的评价")
    expect(panel).to_have_count(0)
    (rating,) = stored(database_url, SatisfactionRating, resident_id)
    assert (rating.level, rating.score, rating.source) == ("满意", 4, "widget")
    page.reload()  # rated once: the buttons do not come back
    expect(page.locator('[data-testid="chat-notice"][data-event="rated"]')).to_be_visible()
    expect(page.get_by_test_id("rating-panel")).to_have_count(0)


def test_rate_limited_text_returns_to_the_input(browser: Any, stack: tuple[GatewayProcess, StandInRasa, str], tmp_path: Path) -> None:
    expect = playwright_api.expect
    _, rasa, database_url = stack
    rasa.release.set()
    strict = GatewayProcess(database_url, rasa.url, tmp_path / "strict.log", GATEWAY_RATE_LIMIT="2", GATEWAY_RATE_WINDOW="60")
    strict.start()
    context = browser.new_context(**MOBILE)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.goto(strict.base + "/")
        expect(page.locator(".wy-app.wy-online")).to_be_visible()
        resident_id = page.locator(".wy-app").get_attribute("data-resident")
        for text in ("第一条", "第二条", "第三条：请尽快派人"):
            say(page, text)
        expect(page.get_by_test_id("chat-notice").filter(has_text=RATE_LIMIT_REPLY)).to_be_visible()
        expect(page.get_by_test_id("chat-input")).to_have_value("第三条：请尽快派人")  # nothing typed is lost
        expect(messages(page, "resident")).to_have_count(2)
        assert [m.text for m in stored(database_url, Message, resident_id) if m.role == "resident"] == ["第一条", "第二条"]
    finally:
        context.close()
        strict.stop()


# --------------------------------------------------------------------------- client ids, resync


def _page_with_socket_route(browser: Any, base: str, route: Any, *, history: Any = None) -> tuple[Any, Any]:
    """A fresh mobile page whose resident WebSocket goes through ``route`` (Playwright's
    route_web_socket: the test may swallow the server's frames or drop the connection)."""
    context = browser.new_context(**MOBILE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.route_web_socket(re.compile(r"/ws/resident"), route)
    if history is not None:
        page.route(re.compile(r"/api/resident/history"), history)
    page.goto(base + "/")
    playwright_api.expect(page.locator(".wy-app.wy-online")).to_be_visible()
    return context, page


def _wait_for(found: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not found():
        assert time.monotonic() < deadline, "the gateway did not get there"
        time.sleep(0.1)


def test_outbox_resent_after_a_gateway_restart_leaves_one_bubble_per_message(browser: Any, stack: tuple[GatewayProcess, StandInRasa, str]) -> None:
    """A message the server stored but whose echo never reached the page, and two written while the
    gateway was down: after the restart, each is shown once, stored once, answered once."""
    expect = playwright_api.expect
    gateway, rasa, database_url = stack
    rasa.release.set()
    swallow = {"on": False}

    def route(ws: Any) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda message: None if swallow["on"] else ws.send(message))

    context, page = _page_with_socket_route(browser, gateway.base, route)
    try:
        resident_id = page.locator(".wy-app").get_attribute("data-resident")
        written = ["留言一：电梯按钮失灵", "留言二：地库灯不亮", "留言三：垃圾没清运"]

        def replies() -> list[str]:
            return [m.text for m in stored(database_url, Message, resident_id) if m.role == "bot"]

        swallow["on"] = True  # the server stores and answers; the page hears nothing of it
        say(page, written[0])
        _wait_for(lambda: replies() == ["收到：" + written[0]])
        assert messages(page, "resident").count() == 0
        gateway.stop()
        try:
            expect(page.get_by_test_id("offline-notice")).to_be_visible()
            expect(page.get_by_test_id("chat-pending")).to_have_count(1)  # sent, never confirmed: shown as waiting
            swallow["on"] = False
            say(page, written[1])
            say(page, written[2])
            expect(page.get_by_test_id("chat-pending")).to_have_count(3)
        finally:
            gateway.start()
        expect(page.get_by_test_id("offline-notice")).to_be_hidden()
        for text in written:
            expect(messages(page, "resident").filter(has_text=text)).to_have_count(1)
            expect(messages(page, "bot").filter(has_text="收到：" + text)).to_have_count(1)
        expect(page.get_by_test_id("chat-pending")).to_have_count(0)
        expect(messages(page, "resident")).to_have_count(3)
        assert [m.text for m in stored(database_url, Message, resident_id) if m.role == "resident"] == written
        assert replies() == ["收到：" + text for text in written]  # Rasa asked once per message
        page.reload()  # the outbox is empty: nothing is sent again
        expect(messages(page, "resident")).to_have_count(3)
        page.wait_for_timeout(1500)
        assert [m.text for m in stored(database_url, Message, resident_id) if m.role == "resident"] == written
    finally:
        context.close()


def test_a_resend_the_server_already_holds_is_echoed_not_run_again(browser: Any, stack: tuple[GatewayProcess, StandInRasa, str]) -> None:
    """The echo was lost and the resync after the reconnect fails too, so the widget sends its
    outbox again: the server answers with the stored message (same client id) and asks Rasa
    nothing; the page shows the message once."""
    expect = playwright_api.expect
    gateway, rasa, database_url = stack
    rasa.release.set()
    swallow = {"on": False}
    routes: list[Any] = []
    sent: list[dict] = []  # what the page sent, over every connection

    def route(ws: Any) -> None:
        routes.append(ws)
        server = ws.connect_to_server()
        server.on_message(lambda message: None if swallow["on"] else ws.send(message))
        ws.on_message(lambda message: (sent.append(json.loads(message)), server.send(message)))

    refuse_history = {"on": False}

    def history(request: Any) -> None:
        if refuse_history["on"]:
            request.abort()
        else:
            request.continue_()

    context, page = _page_with_socket_route(browser, gateway.base, route, history=history)
    try:
        resident_id = page.locator(".wy-app").get_attribute("data-resident")
        text = "请派人看看五楼的消防门"
        swallow["on"] = True
        say(page, text)
        _wait_for(lambda: [m.text for m in stored(database_url, Message, resident_id) if m.role == "bot"] == ["收到：" + text])
        swallow["on"] = False
        refuse_history["on"] = True
        routes[-1].close()  # the connection drops; the widget reconnects, its resync is refused
        expect(messages(page, "resident").filter(has_text=text)).to_have_count(1)
        expect(page.get_by_test_id("chat-pending")).to_have_count(0)
        assert len(routes) >= 2
        page.wait_for_timeout(1500)
        expect(messages(page, "resident")).to_have_count(1)
        [message] = [m for m in stored(database_url, Message, resident_id) if m.role == "resident"]
        assert message.text == text and message.client_id
        frames = [frame for frame in sent if frame.get("text") == text]
        assert frames == [{"type": "message", "text": text, "client_id": message.client_id}] * 2  # sent, then resent
        assert [m.text for m in stored(database_url, Message, resident_id) if m.role == "bot"] == ["收到：" + text]
    finally:
        context.close()
