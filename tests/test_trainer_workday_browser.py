"""The trainer's inbox and model comparison in real Chromium against a gateway process (issue 12 §5):
the conversation around a message on request, a photo row said to be a photo (not "the assistant was
unavailable") and offering nothing to label, the agent's class correction as the default label, topics
and intents by their Chinese names, and a comparison that shows it is running (and for how long) and
is never offered for the active model against itself. Text contrast ≥ 4.5:1 measured in the browser;
screenshots in ``test-results/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.gateway.agents import create_agent
from bot.gateway.attachments import store_photo
from bot.gateway.transcript import store
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope, upgrade
from bot.trainer import registry
from tests.browser_support import log_in as log_in_at
from tests.contrast_support import low_contrast
from tests.gateway_support import running_gateway
from tests.standin_rasa import unreachable_url
from tests.test_gateway_widget_api import png
from tests.test_trainer_browser import metrics
from tests.trainer_inbox_support import parse, resident_said, seed, write_tracker
from tests.trainer_support import small_root

playwright_api = pytest.importorskip("playwright.sync_api")

RESULTS = PROJECT_ROOT / "test-results"
TIMEOUT = 30_000
PASSWORD = "correct-horse-1"
BOT_ANSWER = "物业费按季度或按年缴纳，年缴请于每年1月31日前。"
STALL = "等一下我找找号码"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('trainerday') / 'gw.db'}"
    upgrade(url)
    project = small_root(tmp_path_factory.mktemp("project") / "project", per_intent=5)
    with session_scope(url) as session:
        create_agent(session, "培训员小李", PASSWORD, role="trainer")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        ids = seed(url)["ids"]
        resident_said(url, "stall", STALL)  # the stall rule's intent, which trainers are not offered
        write_tracker("stall", [(STALL, parse("wait", 0.9))])
        with session_scope(url) as session:
            store(session, ids["agent"], "bot", BOT_ANSWER)
            store_photo(session, ids["agent"], png(), "门口.png")
            good = metrics()
            registry.register(session, project / "models" / "v2.tar.gz", name="v2-当前", status=registry.ACTIVE, metrics=good)
            registry.register(session, project / "models" / "v3.tar.gz", name="v3-候选", metrics=good)
    log = tmp_path_factory.mktemp("log") / "gw.log"
    with running_gateway(url, unreachable_url(), log, TRAINER_ROOT=str(project), MODEL_REGISTRY_DIR=str(tmp_path_factory.mktemp("registry"))) as base:
        yield base, url


def log_in(page: Any, base: str) -> None:
    log_in_at(page, base + "/trainer", "培训员小李", PASSWORD)


def test_inbox_context_photo_default_label_topics_and_compare(stack: tuple[str, str], browser: Any) -> None:
    base, _ = stack
    expect = playwright_api.expect
    expect.set_options(timeout=TIMEOUT)
    RESULTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        log_in(page, base)
        items = page.get_by_test_id("inbox-item")
        expect(items.first).to_be_visible()
        corrected = items.filter(has_text="物业费什么时候交")

        # The agent said 投诉: that is the label offered first; the model's topic is named in Chinese.
        expect(corrected.get_by_test_id("label-select")).to_have_value("complaint")
        expect(corrected).to_contain_text("模型：咨询·物业费缴纳")
        expect(corrected).to_contain_text("客服改为：投诉")
        names = corrected.get_by_test_id("label-select").locator("option").all_inner_texts()
        assert not [n for n in names if re.search(r"[a-z_]{3,}", n)], names  # no raw English keys
        # A prediction no label offers is named too (the stall rule's 'wait'), never by its key.
        expect(items.filter(has_text=STALL)).to_contain_text("模型：请稍等")
        assert "咨询·停车" in names

        # The conversation around it, with the current message marked.
        corrected.get_by_test_id("inbox-context-toggle").click()
        lines = corrected.get_by_test_id("inbox-context").locator(".context-line")
        expect(lines.filter(has_text=BOT_ANSWER)).to_have_count(1)
        expect(corrected.locator('[data-current="true"]')).to_contain_text("物业费什么时候交")
        expect(lines.filter(has_text="（一张图片）")).to_have_count(1)

        # The photo: said to be one, nothing to label, no claim that the assistant was down.
        photo = items.filter(has=page.get_by_test_id("inbox-photo"))
        expect(photo).to_have_count(1)
        expect(photo).not_to_contain_text("不可用")
        expect(photo.get_by_test_id("label-select")).to_have_count(0)
        bad = low_contrast(page)
        assert bad == [], bad
        page.screenshot(path=str(RESULTS / "trainer-inbox-context.png"), full_page=True)

        # Models: the active one is the yardstick, not a candidate; a comparison shows it is running.
        page.get_by_test_id("tab-models").click()
        rows = page.get_by_test_id("model-row")
        expect(rows).to_have_count(2)
        expect(rows.filter(has_text="v2-当前").get_by_test_id("compare")).to_have_count(0)
        held: list[Any] = []
        page.route(re.compile(r"/compare$"), lambda route: held.append(route))  # answered when the test says so
        rows.filter(has_text="v3-候选").get_by_test_id("compare").click()
        progress = page.get_by_test_id("compare-progress")
        expect(progress).to_be_visible()
        expect(progress).to_contain_text("v3-候选")
        expect(progress).to_contain_text(re.compile(r"已用 [2-9] 秒"))
        expect(rows.filter(has_text="v3-候选").get_by_test_id("compare")).to_be_disabled()
        bad = low_contrast(page)
        assert bad == [], bad
        page.screenshot(path=str(RESULTS / "trainer-compare-progress.png"), full_page=True)
        held[0].continue_()
        expect(progress).to_be_hidden()
        expect(page.get_by_test_id("verdict")).to_contain_text("可以上线")
        columns = page.locator(".compare-col h3")
        expect(columns).to_have_text(["当前模型：v2-当前", "候选模型：v3-候选"])
    finally:
        context.close()


def test_comparing_the_active_model_says_so_without_evaluating(stack: tuple[str, str], tmp_path: Path) -> None:
    _, url = stack
    with session_scope(url) as session:
        active = registry.active_version(session)
        result = registry.compare(session, active.id, evaluate=lambda path: pytest.fail("the active model must not be evaluated against itself"))
    assert result["same"] and result["current"] is None and "当前使用的模型" in result["verdict"]["reasons"][0]
