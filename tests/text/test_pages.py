"""/reviews and /topics: signed-in roles over real HTTP; customer text is escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from cxm.api.app import create_app
from cxm.auth import create_user
from cxm.settings import Settings
from cxm.store import Database
from cxm.voc.text.reviews import analyse_reviews
from tests.support.inprocess import serve_in_thread
from tests.text.helpers import add_review

XSS = "<script>alert('x')</script> The parcel never arrived, terrible."


def _login(url: str, database: Database, role: str) -> httpx.Client:
    user, password = create_user(database, f"{role}-user", role)
    client = httpx.Client(base_url=url, timeout=10)
    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf, form.text
    done = client.post(
        "/login", data={"name": user.name, "password": password, "csrf": csrf[1], "next": "/"}
    )
    assert done.status_code == 303, done.text
    return client


@pytest.fixture
def site(database: Database, database_url: str) -> Iterator[str]:
    add_review(database, "x1", XSS, rating=1, posted_at=datetime(2026, 3, 2, tzinfo=UTC))
    add_review(database, "x2", "质量很好，物流很快。", source="tmall", rating=5)
    analyse_reviews(database)
    settings = Settings(database_url=database_url, auth_required=True, secret_key="t")
    with serve_in_thread(create_app(settings, database=database)) as url:
        yield url


@pytest.mark.backends("duckdb")
def test_pages_by_role_and_escaping(site: str, database: Database) -> None:
    marketing = _login(site, database, "marketing")
    analyst = _login(site, database, "analyst")
    service = _login(site, database, "service")
    try:
        page = marketing.get("/reviews")
        assert page.status_code == 200
        assert "<script>alert" not in page.text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
        assert "negative" in page.text and "tmall" in page.text
        assert 'data-text-chart="rating"' in page.text
        topics = marketing.get("/topics", params={"q": "parcel"})
        assert topics.status_code == 200
        assert "&lt;script&gt;" in topics.text and "<script>alert" not in topics.text
        assert "delivery" in topics.text
        # The analyst sees aggregates but no customer text.
        page = analyst.get("/reviews")
        assert page.status_code == 200 and "parcel never arrived" not in page.text
        assert "profile access" in page.text
        assert "parcel never arrived" not in analyst.get("/topics", params={"q": "x"}).text
        assert service.get("/reviews").status_code == 403
        bad = marketing.get("/topics", params={"from": "soon", "sentiment": "angry"})
        assert bad.status_code == 400
        assert "from: expected a date" in bad.text and "sentiment: must be" in bad.text
    finally:
        for client in (marketing, analyst, service):
            client.close()
