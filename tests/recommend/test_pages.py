"""/recommendations and the profile-page panel: HTML over HTTP, then in real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cxm.api.app import create_app
from cxm.recommend.service import train_and_save
from cxm.settings import Settings
from cxm.store import Database, open_database
from tests.recommend.shop import build_shop, view
from tests.support.browser import Tab
from tests.support.inprocess import serve_in_thread

XSS = '<img src=x onerror="window.__xss=1">'


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    url = f"duckdb:///{tmp_path / 'cxm.duckdb'}"
    database: Database = open_database(url)
    build_shop(database)
    view(database, "p-b4", "B5", 9, name=f"Lamp {XSS}")  # the only name B5 has
    train_and_save(database)
    app = create_app(Settings(database_url=url, auth_required=False), database=database)
    try:
        with serve_in_thread(app) as served:
            yield served
    finally:
        database.close()


def test_preview_page_lists_the_four_kinds_escaped(site: str) -> None:
    html = httpx.get(f"{site}/recommendations", params={"q": "b1@example.com"}).text
    for kind in ("personalised", "related", "trending", "combined"):
        assert f'data-kind="{kind}"' in html
    assert "Item B" in html and XSS not in html and "&lt;img" in html
    assert 'href="/recommendations" aria-current="page"' in html
    missing = httpx.get(f"{site}/recommendations", params={"q": "nobody@example.com"})
    assert missing.status_code == 404 and "Nobody is known" in missing.text
    profile = httpx.get(f"{site}/profiles/p-b1").text
    assert 'aria-label="Recommendations"' in profile and "Item B" in profile


@pytest.mark.browser
def test_preview_in_chromium(site: str, tab: Tab) -> None:
    page: Any = tab.page
    page.goto(f"{site}/recommendations")
    page.fill("#q", "a2@example.com")
    page.click("form.search button")
    page.wait_for_selector("section.rec-list")
    assert page.locator("section.rec-list").count() == 4
    combined = page.locator('section[data-kind="combined"] ol.rec-items li')
    assert combined.count() == 9 - 1  # every item of the shop but the one a2 bought
    assert page.evaluate("window.__xss") is None
    page.click("text=p-a2")
    page.wait_for_selector('section[aria-label="Recommendations"] ol.rec-items li')
    assert tab.errors == []
