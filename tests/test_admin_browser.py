"""The administration page (/admin) in Chromium, as a manager uses it (issue 13 §4): create an agent,
see their console close and their login refused once disabled, enable them, reset their password to
a one-time password shown once and log in with it; edit a community's answer — the politeness
checker's refusal shown with what to say instead, the preview in the widget's bubble, saved, the
change in the community's and the page's audit trail. Screenshots in test-results/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot import communities
from bot.gateway.agents import create_agent
from bot.intake.inquiry import as_resident_reads
from bot.roles import Role
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope, upgrade
from tests.browser_support import log_in, submit_login
from tests.gateway_support import running_gateway
from tests.standin_rasa import unreachable_url

RESULTS = PROJECT_ROOT / "test-results"
TIMEOUT = 60_000
PASSWORD = "correct-horse-1"
MANAGER = "经理甲"
LAPTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('admin') / 'gw.db'}"
    upgrade(url)
    with session_scope(url) as session:
        create_agent(session, MANAGER, PASSWORD, role=Role.MANAGER)
    with running_gateway(url, unreachable_url(), tmp_path_factory.mktemp("log") / "gw.log") as base:
        yield base, url


def _open(browser: Any, base: str, path: str, name: str, password: str, device: dict[str, Any] = LAPTOP) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(locale="zh-CN", **device)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" and "Failed to load resource" not in message.text else None)
    log_in(page, base + path, name, password)
    return context, page, errors


def test_a_manager_creates_disables_and_resets_an_agent(browser: Any, site: tuple[str, str]) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    base, _ = site
    RESULTS.mkdir(exist_ok=True)
    admin, page, errors = _open(browser, base, "/admin", MANAGER, PASSWORD)
    agent_context = None
    try:
        page.on("dialog", lambda dialog: dialog.accept())  # "停用「客服丁」？…"
        expect(page.get_by_test_id("audit")).to_be_hidden()  # one tab at a time
        expect(page.get_by_test_id("community-facts")).to_be_hidden()
        expect(page.locator('tr[data-account="经理甲"]')).to_contain_text("当前登录账号")

        # Create: the server's rule refuses a short password, as the CLI would.
        form = page.get_by_test_id("create-account")
        form.get_by_test_id("new-name").fill("客服丁")
        form.get_by_test_id("new-display-name").fill("丁一")
        form.get_by_test_id("new-role").select_option("agent")
        form.get_by_test_id("new-password").fill("1234567")
        form.get_by_test_id("create-submit").click()
        expect(page.get_by_test_id("create-error")).to_contain_text("至少8个字符")
        form.get_by_test_id("new-password").fill(PASSWORD)
        form.get_by_test_id("create-submit").click()
        row = page.locator('tr[data-account="客服丁"]')
        expect(row.get_by_test_id("status")).to_have_text("启用")
        expect(row.get_by_test_id("served")).to_contain_text("锦华花园")  # the first community, as the CLI

        # The agent works the console.
        agent_context, agent, agent_errors = _open(browser, base, "/agent", "客服丁", PASSWORD)
        expect(agent.locator("#link")).to_have_text("在线")
        expect(row.get_by_test_id("sessions")).to_have_text("0")  # the page shows what it loaded
        page.get_by_test_id("tab-audit").click()
        page.get_by_test_id("tab-accounts").click()
        expect(row.get_by_test_id("sessions")).to_have_text("1")

        # Disable: the console closes into the login form, and the login is refused.
        row.get_by_test_id("disable").click()
        expect(row.get_by_test_id("status")).to_have_text("已停用")
        expect(page.get_by_test_id("notice")).to_contain_text("已停用「客服丁」")
        expect(agent.get_by_test_id("login-user")).to_be_visible()
        submit_login(agent, "客服丁", PASSWORD)
        expect(agent.locator("#login-error")).to_contain_text("此账号已停用")
        agent.screenshot(path=str(RESULTS / "admin-disabled-login.png"))

        # Enable, then reset to a one-time password, shown once; the old password no longer works.
        row.get_by_test_id("enable").click()
        expect(row.get_by_test_id("status")).to_have_text("启用")
        row.get_by_test_id("reset-password").click()
        page.get_by_test_id("reset-password-generate").click()
        one_time = page.get_by_test_id("one-time-value")
        expect(one_time).to_be_visible()
        password = one_time.inner_text().strip()
        assert len(password) == 12
        page.screenshot(path=str(RESULTS / "admin-accounts.png"), full_page=True)
        page.get_by_test_id("one-time-dismiss").click()
        expect(page.get_by_test_id("one-time-password")).to_be_hidden()
        submit_login(agent, "客服丁", PASSWORD)
        expect(agent.locator("#login-error")).to_contain_text("用户名或密码不正确")
        submit_login(agent, "客服丁", password)
        expect(agent.locator("#link")).to_have_text("在线")

        # Every change is in the audit trail, with who made it.
        page.get_by_test_id("tab-audit").click()
        trail = page.get_by_test_id("audit").locator("tbody tr")
        expect(trail.first).to_contain_text("重置密码")
        labels = trail.evaluate_all("rows => rows.map(r => [r.children[1].textContent, r.children[2].textContent, r.children[3].textContent])")
        assert labels[:4] == [
            [MANAGER, "重置密码", "客服丁"],
            [MANAGER, "启用账号", "客服丁"],
            [MANAGER, "停用账号", "客服丁"],
            [MANAGER, "新建账号", "客服丁"],
        ], labels
        expect(trail.first).to_contain_text("生成一次性密码")
        assert password not in page.content()  # the one-time password is gone from the page
        page.screenshot(path=str(RESULTS / "admin-audit.png"), full_page=True)
        assert errors == [] and agent_errors == []
    finally:
        admin.close()
        if agent_context is not None:
            agent_context.close()


POLITE = "锦华花园地下车位月租320元/月、年租3500元，临时停车首1小时免费，之后5元/小时，每天封顶30元。"


@pytest.mark.parametrize(("name", "device"), [("laptop", LAPTOP), ("phone", PHONE)])
def test_a_manager_edits_an_answer_with_its_preview(browser: Any, site: tuple[str, str], name: str, device: dict[str, Any]) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    base, url = site
    RESULTS.mkdir(exist_ok=True)
    context, page, errors = _open(browser, base, "/admin", MANAGER, PASSWORD, device)
    text = POLITE.replace("320", "320" if name == "laptop" else "330")
    try:
        # The page reloads after the login: its script has run once the accounts are listed (a
        # loaded CI machine once clicked the tab before, on the login page's successor still loading).
        expect(page.locator(f'tr[data-account="{MANAGER}"]')).to_contain_text("当前登录账号")
        page.get_by_test_id("tab-communities").click()
        expect(page.get_by_test_id("community-jinhua-garden")).to_have_attribute("aria-current", "true")
        expect(page.get_by_test_id("fact-name")).to_have_value("锦华花园")
        parking = page.locator('.answer[data-topic="parking"]')
        with session_scope(url) as session:
            before = communities.answer_with_covers(session, communities.default_community(session).id, "parking")[0]
        expect(parking.get_by_test_id("answer-text")).to_have_value(before or "")

        # Impolite: the checker's findings, and a refused save; nothing stored.
        parking.get_by_test_id("answer-text").fill("不知道，你自己去问开发商")
        parking.get_by_test_id("answer-save").click()
        status = parking.get_by_test_id("answer-status")
        expect(status).to_contain_text("没有通过礼貌用语检查")
        expect(status).to_contain_text("「不知道」→ 建议：")
        with session_scope(url) as session:
            assert communities.answer_with_covers(session, communities.default_community(session).id, "parking")[0] == before
        if name == "laptop":
            page.screenshot(path=str(RESULTS / "admin-answer-refused.png"), full_page=True)

        # Polite: previewed as the resident reads it, in the widget's bubble, then saved.
        parking.get_by_test_id("answer-text").fill(text)
        parking.get_by_test_id("answer-preview").click()
        bubble = parking.get_by_test_id("preview-bubble")
        expect(bubble).to_have_text(as_resident_reads(text))
        expect(status).to_have_text("")
        # Drawn by the widget's own stylesheet (static/widget.css), whatever its colours are today.
        expect(bubble).to_have_css("border-radius", "6px")
        expect(parking.locator(".wy-avatar")).not_to_have_css("background-color", "rgba(0, 0, 0, 0)")
        expect(parking.locator(".wy-avatar")).to_have_css("height", "40px")
        expect(parking.locator(".wy-community")).to_have_text("锦华花园")
        parking.get_by_test_id("answer-save").click()
        expect(status).to_contain_text("已保存")
        expect(parking.get_by_test_id("answer-meta")).to_contain_text(f"最后修改：{MANAGER}")
        with session_scope(url) as session:
            assert communities.answer_with_covers(session, communities.default_community(session).id, "parking")[0] == text  # the next message's answer
        changes = page.get_by_test_id("community-changes").locator("tbody tr")
        expect(changes.first).to_contain_text("修改答复")
        expect(changes.first).to_contain_text(MANAGER)
        expect(changes.first).to_contain_text(text)
        parking.scroll_into_view_if_needed()
        page.screenshot(path=str(RESULTS / f"admin-answer-{name}.png"), full_page=name == "laptop")

        # A fact: the duty phone residents are given.
        page.get_by_test_id("fact-duty-phone").fill("0571-8765-1111" if name == "laptop" else "0571-8765-2222")
        page.get_by_test_id("facts-save").click()
        expect(page.get_by_test_id("notice")).to_contain_text("已保存小区资料")
        expect(changes.first).to_contain_text("值班电话")
        page.get_by_test_id("tab-audit").click()
        expect(page.get_by_test_id("audit").locator("tbody tr").first).to_contain_text("修改小区资料")
        if name == "phone":
            page.screenshot(path=str(RESULTS / "admin-audit-phone.png"))
        assert errors == [], errors
    finally:
        context.close()


def test_the_page_refuses_agents(browser: Any, site: tuple[str, str]) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    base, url = site
    with session_scope(url) as session:
        create_agent(session, "客服戊", PASSWORD)
    context, page, _ = _open(browser, base, "/admin", "客服戊", PASSWORD)
    try:
        expect(page.get_by_test_id("login-notice")).to_contain_text("没有管理后台权限")
    finally:
        context.close()
