"""Two communities in Chromium, with the real model and action server (issue 13, "Done when").

锦华花园 and 兰亭苑 have different fees: the same question in each community's widget (``/c/<slug>``)
gets that community's own answer; the widget's header names the community and remembers it (the
gateway's ``/`` opens the one the browser last used); an answer edited in the database (what the
admin pages do) is used by the very next message, without retraining. Screenshots in test-results/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot import communities
from bot.processes import Stack
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope
from tests.gateway_support import running_gateway

pytestmark = pytest.mark.rasa
playwright_api = pytest.importorskip("playwright.sync_api")

RESULTS = PROJECT_ROOT / "test-results"
MOBILE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
TIMEOUT = 60_000
QUESTION = "高层住宅物业费每平米多少钱"


@pytest.fixture(scope="module")
def gateway(rasa_stack: Stack, stack_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with session_scope(stack_database) as session:
        if communities.community_by_slug(session, "lanting-web") is None:
            communities.save_community(session, communities.CommunityFacts(
                slug="lanting-web", name="兰亭苑", address="杭州市拱墅区兰亭路1号", duty_phone="0571-1111-2222",
                answers={"fee_standard": "兰亭苑物业费为高层住宅3.20元/㎡·月，多层住宅2.20元/㎡·月。"},
            ), by="admin")
    log = tmp_path_factory.mktemp("gwlog") / "gateway.log"
    with running_gateway(stack_database, f"http://127.0.0.1:{rasa_stack.rasa_port}", log) as base:
        yield base


def bot_messages(page):  # type: ignore[no-untyped-def]
    return page.locator('[data-testid="chat-message"][data-role="bot"]')


def ask(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_test_id("chat-input").fill(text)
    page.get_by_test_id("chat-send").click()


def test_each_community_answers_with_its_own_facts(gateway: str, stack_database: str, browser) -> None:  # type: ignore[no-untyped-def]
    RESULTS.mkdir(exist_ok=True)
    expect = playwright_api.expect
    jinhua_ctx, lanting_ctx = browser.new_context(**MOBILE), browser.new_context(**MOBILE)
    jinhua, lanting = jinhua_ctx.new_page(), lanting_ctx.new_page()
    for page in (jinhua, lanting):
        page.set_default_timeout(TIMEOUT)

    jinhua.goto(gateway + "/c/jinhua-garden")
    lanting.goto(gateway + "/c/lanting-web")
    expect(jinhua.get_by_test_id("community")).to_have_text("锦华花园")
    expect(lanting.get_by_test_id("community")).to_have_text("兰亭苑")

    ask(jinhua, QUESTION)
    ask(lanting, QUESTION)
    expect(bot_messages(jinhua).filter(has_text="2.50元/㎡·月")).to_be_visible()
    expect(bot_messages(lanting).filter(has_text="3.20元/㎡·月")).to_be_visible()
    assert "3.20" not in jinhua.locator(".wy-app").inner_text()
    assert "2.50" not in lanting.locator(".wy-app").inner_text()
    lanting.screenshot(path=str(RESULTS / "community-lanting-mobile.png"), full_page=True)

    # Staff change 兰亭苑's answer: the next message uses it, no retraining.
    with session_scope(stack_database) as session:
        record = communities.community_by_slug(session, "lanting-web")
        assert record is not None
        communities.set_answer(session, record.id, "fee_standard", "兰亭苑物业费为高层住宅3.60元/㎡·月，多层住宅2.40元/㎡·月。", by="admin")
    ask(lanting, "请问高层的物业费标准是多少")
    expect(bot_messages(lanting).filter(has_text="3.60元/㎡·月")).to_be_visible()

    # The browser remembers its community: the gateway's plain page opens 兰亭苑's conversation again.
    resident = lanting.locator(".wy-app").get_attribute("data-resident")
    lanting.goto(gateway + "/")
    expect(lanting.get_by_test_id("community")).to_have_text("兰亭苑")
    expect(lanting.locator(".wy-app")).to_have_attribute("data-resident", resident or "")
    expect(bot_messages(lanting).filter(has_text="3.60元/㎡·月")).to_be_visible()
    jinhua_ctx.close()
    lanting_ctx.close()
