"""One real headless Chromium for the whole test session (a pytest plugin).

Registered in ``tests/conftest.py`` so every test directory shares the same
``chromium`` and ``tab`` fixtures. Playwright's sync API cannot run two sessions
at once in one thread, so a test module must never define (or import into its
namespace) its own ``chromium`` fixture: that makes a second session-scoped
instance and every later browser test fails to start.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Tab:
    page: Any
    context: Any
    errors: list[str]


@pytest.fixture
def tab(chromium: Any) -> Iterator[Tab]:
    """A fresh browser context (no cookies, no storage) and page; console errors are kept."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield Tab(page, context, errors)
    finally:
        context.close()
