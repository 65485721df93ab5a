"""Fixtures for the web pages: a live app over real HTTP, and a real headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cxm.api.app import create_app
from cxm.collect.sources import Source, create_source
from cxm.settings import Settings
from cxm.store import Database, open_database
from tests.support.inprocess import serve_in_thread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="package", autouse=True)
def _no_login() -> Iterator[None]:
    """These tests are about pages and the tracker, not sign-in (tests/auth covers that):
    run the app, in-process or as `cxm serve`, with CXM_AUTH_REQUIRED=false."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CXM_AUTH_REQUIRED", "false")
        yield


@dataclass
class Site:
    url: str
    database: Database
    source: Source
    client: httpx.Client

    def send(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        response = self.client.post(f"{self.url}/v1/batch", json={"batch": messages})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def start_site(database: Database, settings: Settings) -> Iterator[Site]:
    source = create_source(database, "website", channel="web")
    app = create_app(settings, database=database)
    with serve_in_thread(app) as url, httpx.Client(auth=(source.write_key, ""), timeout=10) as c:
        yield Site(url, database, source, c)


@pytest.fixture
def site(database: Database, database_url: str) -> Iterator[Site]:
    """The whole app served from a thread, on each backend, sharing the test's database."""
    yield from start_site(database, Settings(database_url=database_url))


@pytest.fixture
def duckdb_site(tmp_path: Path) -> Iterator[Site]:
    """The same on DuckDB only, for the slower browser tests."""
    url = f"duckdb:///{tmp_path / 'cxm.duckdb'}"
    database = open_database(url)
    try:
        yield from start_site(database, Settings(database_url=url))
    finally:
        database.close()


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
