"""The real Chromium every browser test drives (Debian's package, installed by scripts/setup-browser).

A module-scoped ``browser`` fixture: skipped with a plain reason when Chromium is missing, failed
under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.service_support import missing

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} is not installed (scripts/setup-browser installs it)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def submit_login(page: Any, name: str, password: str) -> None:
    """Fill the desks' login form and submit it (what happens next is the caller's to wait for)."""
    page.get_by_test_id("login-user").fill(name)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def log_in(page: Any, url: str, name: str, password: str) -> None:
    """Open a desk's page (``url``: /agent, /trainer, /admin, /manager) and log in, then wait until
    the page the login reloads into (the desk, or the refusal of an account without its role) has
    loaded and run its scripts. A click before that is lost — the ticket-answer test failed two
    runs of three that way."""
    page.goto(url)
    with page.expect_navigation(wait_until="load"):
        submit_login(page, name, password)
