"""Fixtures for the web pages: a live app over real HTTP, and a real headless Chromium."""

from __future__ import annotations

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
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, Tab
from tests.support.inprocess import serve_in_thread

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "Site", "Tab", "start_site"]


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
