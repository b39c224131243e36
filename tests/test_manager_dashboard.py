"""The manager's dashboard on seeded data (tests/report_support.py): the workbook holds the figures
(openpyxl reads it back), the JSON API and the page in Chromium (laptop 1366×900 and phone 390×844,
screenshots in test-results/) show the same numbers as bot.reports.figures — which
tests/test_report_figures.py checks against SQL. Agents and trainers are refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot.clock import ShiftedClock, system_utcnow
from bot.gateway.agents import create_agent
from bot.reports.figures import Scope, figures
from bot.reports.workbook import SHEETS, _cell, workbook_bytes
from bot.roles import Role
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope
from tests.browser_support import log_in
from tests.gateway_support import login, running_gateway
from tests.report_support import FIRST_DAY, LAST_DAY, seed
from tests.standin_rasa import unreachable_url

RESULTS = PROJECT_ROOT / "test-results"
SCOPE = Scope(FIRST_DAY, LAST_DAY)
QUERY = f"start={FIRST_DAY.isoformat()}&end={LAST_DAY.isoformat()}"
TIMEOUT = 60_000


def _check_workbook(data: bytes, expected: dict[str, Any]) -> None:
    book = openpyxl.load_workbook(BytesIO(data))
    assert book.sheetnames == [title for title, _, _ in SHEETS] + ["说明"]
    for title, table, columns in SHEETS:
        rows = list(book[title].iter_rows(values_only=True))
        assert list(rows[0]) == [header for _, header, _ in columns], title
        assert [list(row) for row in rows[1:]] == [[_cell(r[key], kind) for key, _, kind in columns] for r in expected[table]], title
    assert book["满意度"]["D2"].number_format == "0.0%"


def test_the_workbook_holds_the_figures(database_url: str, clock: ShiftedClock) -> None:
    now = seed(clock)
    with session_scope() as session:
        expected = figures(session, SCOPE, now)
    _check_workbook(workbook_bytes(expected), expected)
    assert any(row["answers"] for row in expected["satisfaction"]) and expected["supervision"]


@pytest.fixture
def dashboard(tmp_path: Path, clock: ShiftedClock) -> Iterator[tuple[str, dict[str, Any], datetime]]:
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    from bot.storage import upgrade

    upgrade(url)
    pytest.MonkeyPatch().setenv("DATABASE_URL", url)
    now = seed(clock)
    with session_scope(url) as session:
        expected = figures(session, SCOPE, now)
        create_agent(session, "经理丙", "correct-horse-1", role=Role.MANAGER)
        create_agent(session, "客服甲", "correct-horse-1", role=Role.AGENT)
    offset = (now - system_utcnow()).total_seconds()  # the gateway lives on the seed's morning
    with running_gateway(url, unreachable_url(), tmp_path / "gw.log", WUYE_CLOCK_OFFSET=str(offset), CALLBACK_POLL_SECONDS="3600") as base:
        yield base, expected, now


def _without_moment(result: dict[str, Any]) -> dict[str, Any]:
    return {**result, "period": {k: v for k, v in result["period"].items() if k != "as_of"}}


def test_api_and_workbook_for_the_manager_only(dashboard: tuple[str, dict[str, Any], datetime]) -> None:
    base, expected, _ = dashboard
    manager, _ = login(base, "经理丙")
    agent, _ = login(base, "客服甲")
    assert agent.get(f"/api/manager/figures?{QUERY}").status_code == 403
    assert agent.get("/manager").status_code == 403
    answer = manager.get(f"/api/manager/figures?{QUERY}")
    assert answer.status_code == 200
    assert _without_moment(answer.json()) == _without_moment(expected)
    assert manager.get("/api/manager/figures?start=2026-06-09&end=2026-06-01").status_code == 400
    assert manager.get("/api/manager/figures?start=六月").json()["error"]
    # 500s before the query was read at the edge: a community past 2⁶³−1, or one str.isdigit()
    # takes and int() does not; days at the ends of Python's calendar (no period around them).
    for query in ("community=9223372036854775808", "community=²", "start=0001-01-01&end=0001-01-02", "start=9999-12-30&end=9999-12-31", "month=9999-12"):
        for path in ("/api/manager/figures", "/api/manager/report.xlsx"):
            refused = manager.get(f"{path}?{query}")
            assert (refused.status_code, refused.json()["reason"]) == (400, "bad_request") and refused.json()["error"], (path, query)
    report = manager.get(f"/api/manager/report.xlsx?{QUERY}")
    assert report.status_code == 200 and report.headers["content-type"].startswith("application/vnd.openxmlformats")
    _check_workbook(report.content, answer.json())
    month = manager.get("/api/manager/report.xlsx?month=2026-06")
    assert month.status_code == 200 and openpyxl.load_workbook(BytesIO(month.content))["说明"]["B1"].value == "2026-06-01 至 2026-06-30"


@pytest.mark.parametrize(
    ("name", "device"),
    [("laptop", {"viewport": {"width": 1366, "height": 900}}), ("phone", {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True})],
)
def test_the_page_shows_the_figures_in_chromium(browser: Any, dashboard: tuple[str, dict[str, Any], datetime], name: str, device: dict[str, Any]) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    base, expected, _ = dashboard
    RESULTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="zh-CN", **device)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" and "Failed to load resource" not in message.text else None)
        page.on("response", lambda reply: errors.append(f"{reply.status} {reply.url}") if reply.status >= 400 else None)
        log_in(page, f"{base}/manager?{QUERY}", "经理丙", "correct-horse-1")
        expect(page.locator('body[data-loaded="true"]')).to_be_attached()
        for testid, table, key in (("fig-satisfaction", "satisfaction", "area"), ("fig-callbacks", "callbacks", "kind"), ("fig-sla", "sla", "category"),
                                   ("fig-supervision", "supervision", "agent"), ("fig-open-tickets", "open_tickets", "category"), ("fig-emergencies", "emergencies", "requests")):
            cells = page.get_by_test_id(testid).locator("tr[data-row]")
            expect(cells).to_have_count(len(expected[table]))
            shown = cells.evaluate_all("rows => rows.map(r => Object.fromEntries([...r.querySelectorAll('td')].map(td => [td.dataset.key, td.dataset.value])))")
            for row, values in zip(expected[table], shown, strict=True):
                for column, value in values.items():
                    assert value == ("" if row[column] is None else str(row[column]).replace("True", "true")) or float(value) == row[column], (testid, column, value, row[column])
            assert [v[key] for v in shown] == [str(r[key]) for r in expected[table]]
        for chart in ("chart-cases", "chart-satisfaction", "chart-trend", "chart-callbacks", "chart-sla"):
            expect(page.get_by_test_id(chart).locator("canvas")).to_have_count(1)
        expect(page.get_by_test_id("definitions")).to_contain_text("100")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= device["viewport"]["width"] + 1, width  # nothing wider than the screen
        page.screenshot(path=str(RESULTS / f"manager-dashboard-{name}.png"), full_page=True)
        assert errors == []  # the CSP let the vendored ECharts run; no script failed
    finally:
        context.close()
