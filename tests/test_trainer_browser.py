"""The trainer console in a real browser (Playwright, /usr/bin/chromium) against a real gateway:
log in as a trainer, filter low confidence, correct a label with entities, see the conflict warning
for a test-set text and mark it as noise; HTML in a resident's text stays text. Then export into a
copy of the project (``TRAINER_ROOT``), and the model list, side-by-side comparison with confusion
pictures and the promotion guardrail on registered versions (training itself: trainer-core's tests)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.gateway.agents import create_agent
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope, upgrade
from bot.storage.models import Annotation, ModelVersion
from bot.trainer import registry
from tests.browser_support import log_in as log_in_at
from tests.standin_rasa import unreachable_url
from tests.trainer_inbox_support import HELDOUT_TEXT, parse, resident_said, seed, write_tracker
from tests.trainer_support import small_root

playwright_api = pytest.importorskip("playwright.sync_api")
playwright_api.expect.set_options(timeout=30_000)  # the first inbox reads the evaluation sets: seconds on a loaded machine

RESULTS = PROJECT_ROOT / "test-results"
TIMEOUT = 30_000
PASSWORD = "correct-horse-1"
ADDRESS_TEXT = "3-2-102 厨房水龙头漏水了 明天上午来修吧"
HTML_TEXT = '<img src=x onerror="window.__pwned=1">电梯按钮没反应'


@pytest.fixture(scope="module")
def gateway_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The database this module's gateway process uses (not conftest's per-test ``db``)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('trainerweb') / 'gw.db'}"
    upgrade(url)
    with session_scope(url) as session:
        create_agent(session, "培训员小李", PASSWORD, role="trainer")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        seed(url)
        resident_said(url, "web-1", ADDRESS_TEXT)
        write_tracker("web-1", [(ADDRESS_TEXT, parse("repair", 0.58, [("repair", 0.58), ("complaint", 0.3)]))])
        resident_said(url, "web-2", HTML_TEXT)
    yield url


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project the trainers work in: exports land here, not in the checkout."""
    return small_root(tmp_path_factory.mktemp("trainerproject") / "project", per_intent=5)


@pytest.fixture(scope="module")
def base(gateway_database: str, project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.gateway_support import running_gateway

    log = tmp_path_factory.mktemp("trainerweblog") / "gateway.log"
    registry_dir = tmp_path_factory.mktemp("registry")  # retrained candidates: not in the checkout's models/
    with running_gateway(gateway_database, unreachable_url(), log, TRAINER_ROOT=str(project), MODEL_REGISTRY_DIR=str(registry_dir)) as url:
        yield url



def select_text(item, start: int, end: int) -> None:  # type: ignore[no-untyped-def]
    """Select characters [start, end) of the message text the way a mouse drag does."""
    item.get_by_test_id("inbox-text").evaluate(
        """(node, [start, end]) => {
            const range = document.createRange();
            range.setStart(node.firstChild, start);
            range.setEnd(node.firstChild, end);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            node.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
        }""",
        [start, end],
    )


def log_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    log_in_at(page, base + "/trainer", "培训员小李", PASSWORD)


def test_trainer_inbox_in_the_browser(base: str, gateway_database: str, browser) -> None:  # type: ignore[no-untyped-def]
    RESULTS.mkdir(exist_ok=True)
    expect = playwright_api.expect
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        log_in(page, base)
        items = page.get_by_test_id("inbox-item")
        expect(items).to_have_count(9)
        # worth a look first: the guard's disagreement or the agent's correction
        first = items.first.inner_text()
        assert "紧急判断不一致" in first or "客服纠正" in first
        html_item = items.filter(has_text="电梯按钮没反应")
        expect(html_item.get_by_test_id("inbox-text")).to_have_text(HTML_TEXT)  # shown as text, never markup
        assert page.evaluate("window.__pwned") is None

        page.get_by_test_id("inbox-filter-low-confidence").click()
        expect(page.locator("#inbox")).to_have_attribute("aria-busy", "false")
        expect(items).to_have_count(5)
        for confidence in items.get_by_test_id("inbox-confidence").all_inner_texts():
            assert float(confidence.rstrip("%")) < 70
        page.screenshot(path=str(RESULTS / "trainer-inbox.png"), full_page=True)

        # correct a label, with two entities picked by selecting text
        item = items.filter(has_text=ADDRESS_TEXT)
        select_text(item, 0, 7)
        item.get_by_test_id("entity-select").select_option("address")
        select_text(item, ADDRESS_TEXT.index("明天上午"), ADDRESS_TEXT.index("明天上午") + 4)
        item.get_by_test_id("entity-select").select_option("visit_time")
        expect(item.get_by_test_id("entity-chip")).to_have_count(2)
        item.get_by_test_id("label-select").select_option("complaint")
        item.get_by_test_id("label-confirm").click()
        done = page.locator('[data-testid="inbox-item"]', has_text=ADDRESS_TEXT)
        expect(done.get_by_test_id("annotation-state")).to_contain_text("已标注：投诉")

        # a held-out text: the warning, no override, then noise
        held = items.filter(has_text=HELDOUT_TEXT)
        held.get_by_test_id("label-confirm").click()
        warning = held.get_by_test_id("conflict-warning")
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("测试集")
        expect(held.get_by_test_id("label-override")).to_have_count(0)
        page.screenshot(path=str(RESULTS / "trainer-conflict.png"), full_page=True)
        held.get_by_test_id("mark-noise").click()
        expect(page.locator('[data-testid="inbox-item"]', has_text=HELDOUT_TEXT).get_by_test_id("annotation-state")).to_contain_text("噪声")

        # an overridable conflict: the guard calls it a fire, the trainer says complaint, then insists
        page.get_by_test_id("inbox-filter-all").click()
        expect(page.locator("#inbox")).to_have_attribute("aria-busy", "false")
        expect(items).to_have_count(9)
        fire = items.filter(has_text="楼下着火了")
        fire.get_by_test_id("label-select").select_option("complaint")
        fire.get_by_test_id("label-confirm").click()
        expect(fire.get_by_test_id("conflict-warning")).to_contain_text("紧急守卫")
        fire.get_by_test_id("label-override").click()
        expect(page.locator('[data-testid="inbox-item"]', has_text="楼下着火了").get_by_test_id("annotation-state")).to_contain_text("已标注：投诉")
    finally:
        page.screenshot(path=str(RESULTS / "trainer-final.png"), full_page=True)
        context.close()

    with session_scope(gateway_database) as session:
        rows = {r.text: r for r in session.execute(sa.select(Annotation).where(Annotation.source == "trainer")).scalars()}
    assert rows[ADDRESS_TEXT].intent == "complaint" and rows[ADDRESS_TEXT].author == "培训员小李"
    assert rows[ADDRESS_TEXT].entities == [
        {"start": 0, "end": 7, "value": "3-2-102", "entity": "address"},
        {"start": ADDRESS_TEXT.index("明天上午"), "end": ADDRESS_TEXT.index("明天上午") + 4, "value": "明天上午", "entity": "visit_time"},
    ]
    assert rows[HELDOUT_TEXT].noise and rows[HELDOUT_TEXT].intent is None
    assert rows["楼下着火了，好多烟，快来人"].intent == "complaint"


def metrics(wrong_emergencies: int = 0) -> dict:
    """Real metrics of the evaluation sets for answers that are right except ``wrong_emergencies``."""
    from bot.evaluation.datasets import external_examples, heldout_examples
    from bot.trainer.evaluation import split_metrics

    result = {}
    for split, examples in (("heldout", heldout_examples()), ("external", external_examples())):
        predicted, missed = [], 0
        for example in examples:
            if example.label == "emergency" and missed < wrong_emergencies:
                predicted.append("complaint")
                missed += 1
            else:
                predicted.append(example.label)
        result[split] = split_metrics(examples, predicted)
    return result


def test_export_models_compare_and_guardrail_in_the_browser(base: str, gateway_database: str, project: Path, browser) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    good, worse = metrics(), metrics(wrong_emergencies=3)
    with session_scope(gateway_database) as session:
        registry.register(session, project / "models" / "v1.tar.gz", name="v1-早期", status=registry.RETIRED, metrics=good)
        registry.register(session, project / "models" / "v2.tar.gz", name="v2-当前", status=registry.ACTIVE, metrics=good)
        candidate = registry.register(session, project / "models" / "v3.tar.gz", name="v3-候选", metrics=worse).id
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        log_in(page, base)
        expect(page.get_by_test_id("inbox-item").first).to_be_visible()
        page.get_by_test_id("tab-models").click()

        page.get_by_test_id("export").click()
        expect(page.get_by_test_id("export-validate")).to_contain_text("数据校验通过", timeout=120_000)
        expect(page.get_by_test_id("export-result")).to_contain_text("已写入")
        exported = (project / "nlu_data" / "annotated.yml").read_text(encoding="utf-8")
        assert "[3-2-102](address) 厨房水龙头漏水了 [明天上午](visit_time)来修吧" in exported
        assert HELDOUT_TEXT not in exported and "- intent: complaint" in exported
        expect(page.get_by_test_id("export-result")).to_contain_text("噪声")  # the test-set text marked as noise is listed as skipped

        rows = page.get_by_test_id("model-row")
        expect(rows).to_have_count(3)
        expect(rows.filter(has_text="v2-当前")).to_contain_text("当前使用")
        expect(rows.filter(has_text="v3-候选").get_by_test_id("promote")).to_have_count(1)
        expect(rows.filter(has_text="v1-早期").get_by_test_id("rollback")).to_have_count(1)

        rows.filter(has_text="v3-候选").get_by_test_id("compare").click()
        expect(page.get_by_test_id("verdict")).to_contain_text("不建议上线")
        expect(page.get_by_test_id("verdict")).to_contain_text("紧急类召回率下降")
        pictures = page.get_by_test_id("confusion-image")
        expect(pictures).to_have_count(4)  # current and candidate, held-out and external
        page.wait_for_function("() => Array.from(document.querySelectorAll('[data-testid=confusion-image]')).every(i => i.complete && i.naturalWidth > 0)")
        page.screenshot(path=str(RESULTS / "trainer-compare.png"), full_page=True)

        rows.filter(has_text="v3-候选").get_by_test_id("promote").click()
        expect(page.get_by_test_id("switch-result")).to_contain_text("紧急类召回率下降")
        expect(rows.filter(has_text="v3-候选")).to_contain_text("未通过")

        # rolling back to a version whose model file is gone changes nothing and says why
        rows.filter(has_text="v1-早期").get_by_test_id("rollback").click()
        expect(page.get_by_test_id("switch-result")).to_contain_text("未能回滚：模型文件不存在")
        expect(rows.filter(has_text="v2-当前")).to_contain_text("当前使用")
    finally:
        context.close()
    with session_scope(gateway_database) as session:
        assert session.get(ModelVersion, candidate).status == registry.REJECTED
        assert registry.active_version(session).name == "v2-当前"


@pytest.mark.rasa
def test_retraining_shows_its_progress_in_the_browser(base: str, gateway_database: str, project: Path, browser, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A real ``rasa train`` of the small project copy, started from the page; its progress is shown
    while it runs and the new candidate appears in the model list, evaluated. Then a real
    conversation with that model fills the tracker store, and the inbox reads what Rasa wrote."""
    expect = playwright_api.expect
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        log_in(page, base)
        page.get_by_test_id("tab-models").click()
        with session_scope(gateway_database) as session:
            before = len(session.execute(sa.select(ModelVersion.id)).all())
        expect(page.get_by_test_id("model-row")).to_have_count(before)
        page.get_by_test_id("train").click()
        progress = page.get_by_test_id("train-progress")
        expect(progress).to_be_visible()
        expect(progress).to_have_attribute("data-status", "running", timeout=60_000)
        stage = page.locator("#train-stage")
        expect(stage).to_contain_text(re.compile(r"训练中 · 训练 [A-Za-z]+ · \d+%"), timeout=300_000)  # a component is being trained
        page.screenshot(path=str(RESULTS / "trainer-training.png"), full_page=True)
        expect(progress).to_have_attribute("data-status", "done", timeout=900_000)
        expect(progress).to_contain_text("100%")
        expect(page.get_by_test_id("model-row")).to_have_count(before + 1)
        newest = page.get_by_test_id("model-row").first
        expect(newest).to_contain_text("候选")
        expect(newest).not_to_contain_text("— / —")  # evaluated on both sets
    finally:
        context.close()
    with session_scope(gateway_database) as session:
        newest_version = session.execute(sa.select(ModelVersion).order_by(ModelVersion.id.desc())).scalars().first()
        assert newest_version.status == registry.CANDIDATE and newest_version.metrics["heldout"]["macro_f1"] > 0
        assert Path(newest_version.path).is_file()

    # Rasa's own events, written by a real model through the product's tracker store
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from rasa.core.agent import Agent

    from bot.storage.tracker_store import DatabaseUrlTrackerStore
    from bot.trainer.inbox import inbox

    monkeypatch.setenv("DATABASE_URL", gateway_database)

    def converse() -> None:  # in a thread of its own: Playwright's loop runs in this one
        agent = Agent.load(newest_version.path, tracker_store=DatabaseUrlTrackerStore())
        for text in ("楼下着火了快来人", "嗯嗯那个"):
            asyncio.run(agent.handle_text(text, sender_id="real-model"))

    with ThreadPoolExecutor(1) as pool:
        pool.submit(converse).result()
    with session_scope(gateway_database) as session:
        live = {i["text"]: i for i in inbox(session) if i["conversation_id"] == "real-model"}
    assert set(live) == {"楼下着火了快来人", "嗯嗯那个"}
    fire = live["楼下着火了快来人"]
    assert fire["final_intent"] == "emergency" and fire["guard"]["emergency"]  # the guard's verdict, as Rasa recorded it
    assert fire["flags"]["guard_disagrees"] == (fire["intent"] != "emergency")
    for item in live.values():
        assert item["flags"]["parsed"] and 0 < item["confidence"] <= 1 and item["ranking"][0]["name"] == item["intent"]
        assert item["intent"] != "nlu_fallback" and item["flags"]["fallback"] == (item["final_intent"] == "nlu_fallback" or item["confidence"] < 0.5)
