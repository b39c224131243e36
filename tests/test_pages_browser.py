"""Every page loads clean in Chromium: no request answered 4xx/5xx (the favicon a browser asks for
on its own included) and no script error — the resident's chat, a community's chat, and each desk
after its account logs in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.gateway.agents import create_agent
from bot.roles import Role
from bot.storage import session_scope, upgrade
from tests.browser_support import log_in
from tests.gateway_support import running_gateway
from tests.standin_rasa import unreachable_url

PASSWORD = "correct-horse-1"
ACCOUNTS = {"/agent": ("客服甲", Role.AGENT), "/trainer": ("培训员甲", Role.TRAINER), "/manager": ("经理甲", Role.MANAGER), "/admin": ("经理乙", Role.MANAGER)}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'gw.db'}"
    upgrade(url)
    with session_scope(url) as session:
        for name, role in ACCOUNTS.values():
            create_agent(session, name, PASSWORD, role=role)
    with running_gateway(url, unreachable_url(), tmp_path_factory.mktemp("log") / "gw.log") as base:
        yield base


def _watched(browser: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    problems: list[str] = []
    page.on("response", lambda reply: problems.append(f"{reply.status} {reply.url}") if reply.status >= 400 else None)
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return context, page, problems


@pytest.mark.parametrize("path", ["/", "/c/jinhua-garden"])
def test_the_residents_chat_loads_clean(browser: Any, site: str, path: str) -> None:
    context, page, problems = _watched(browser)
    try:
        page.goto(site + path)
        page.get_by_test_id("chat-input").wait_for()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)  # the favicon is asked for after the load
        assert problems == []
    finally:
        context.close()


@pytest.mark.parametrize("path", list(ACCOUNTS))
def test_each_desk_loads_clean_after_login(browser: Any, site: str, path: str) -> None:
    name, _ = ACCOUNTS[path]
    context, page, problems = _watched(browser)
    try:
        log_in(page, site + path, name, PASSWORD)
        page.wait_for_selector('meta[name="csrf-token"]', state="attached")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)
        assert problems == []
    finally:
        context.close()
