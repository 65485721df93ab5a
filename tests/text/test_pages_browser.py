"""/reviews and /topics in a real headless Chromium: charts draw under the strict CSP,
and a review text holding a script stays text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from cxm.api.app import create_app
from cxm.settings import Settings
from cxm.store import Database
from cxm.voc.text.reviews import analyse_reviews
from tests.support.browser import Tab
from tests.support.inprocess import serve_in_thread
from tests.text.helpers import add_review
from tests.web.test_overview_browser import PAINTED_PIXELS

pytestmark = pytest.mark.browser


@pytest.fixture
def site(database: Database, database_url: str) -> Iterator[str]:
    start = datetime(2026, 2, 2, 10, tzinfo=UTC)
    texts = [
        ("The parcel never arrived, awful.", 1),
        ("Lovely quality and a fair price.", 5),
        ("Die Lieferung war schnell, sehr zufrieden.", 5),
        ("质量太差了，很失望。", 1),
    ]
    for week in range(4):
        for number, (text, rating) in enumerate(texts):
            add_review(
                database,
                f"w{week}-{number}",
                text,
                rating=rating,
                posted_at=start + timedelta(days=7 * week, hours=number),
                source="google" if number % 2 else "trustpilot",
            )
    add_review(database, "xss", '<img src=x onerror="window.__xss=1"> broken', rating=1)
    analyse_reviews(database)
    settings = Settings(database_url=database_url, auth_required=False, secret_key="t")
    with serve_in_thread(create_app(settings, database=database)) as url:
        yield url


@pytest.mark.backends("duckdb")
def test_reviews_and_topics_pages_render(site: str, tab: Tab) -> None:
    page = tab.page
    page.goto(f"{site}/reviews")
    for chart in ("rating-chart", "sentiment-chart"):
        page.wait_for_function(f"(id) => ({PAINTED_PIXELS})(id) > 500", arg=chart)
    assert page.locator("main h1").inner_text() == "Reviews and social listening"
    assert page.locator(".verbatim").count() >= 5
    assert page.evaluate("window.__xss") is None
    page.goto(f"{site}/topics?q=parcel")
    page.wait_for_function(f"(id) => ({PAINTED_PIXELS})(id) > 500", arg="topics-chart")
    assert page.locator(".verbatim").count() == 4  # one "parcel" review per week
    assert tab.errors == []
