"""/v1/text/* and /v1/reviews/summary over real HTTP (DuckDB; storage is tested on both)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cxm.api.app import create_app
from cxm.auth import create_api_key
from cxm.settings import Settings
from cxm.store import Database
from cxm.voc.text.reviews import analyse_reviews
from tests.support.inprocess import serve_in_thread
from tests.text.helpers import add_review


@pytest.fixture
def urls(database: Database, database_url: str) -> Iterator[tuple[str, str, str]]:
    add_review(database, "r1", "The courier was rude and the parcel was damaged.", rating=1)
    add_review(database, "r2", "物流很快，非常满意！", source="tmall", rating=5)
    analyse_reviews(database)
    _, analyst = create_api_key(database, "bi", ["analytics:read"], "test")
    _, reader = create_api_key(database, "crm", ["profiles:read"], "test")
    app = create_app(Settings(database_url=database_url, secret_key="t"), database=database)
    with serve_in_thread(app) as url:
        yield url, analyst, reader


@pytest.mark.backends("duckdb")
def test_text_api(urls: tuple[str, str, str]) -> None:
    url, analyst, reader = urls
    a = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {analyst}"}, timeout=10)
    r = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {reader}"}, timeout=10)
    with a, r:
        done = a.post("/v1/text/analyse", json={"texts": ["Sehr gut!", "太差了"]})
        assert done.status_code == 200, done.text
        assert [(x["lang"], x["label"]) for x in done.json()["results"]] == [
            ("de", "positive"),
            ("zh", "negative"),
        ]
        bad = a.post("/v1/text/analyse", json={"texts": ["x"], "lang": "??"})
        assert bad.status_code == 400 and bad.json()["field"] == "lang"
        bad = a.post("/v1/text/analyse", json={"texts": ["ok", "x" * 10_001]})
        assert bad.status_code == 400 and bad.json()["field"] == "texts[1]"
        bad = a.post("/v1/text/analyse", json={"texts": ["x"] * 1_001})
        assert bad.status_code == 400 and bad.json()["field"] == "texts"
        bad = a.post("/v1/text/analyse", json={"texts": "not a list"})
        assert bad.status_code in (400, 422) and "texts" in bad.json()["field"]

        summary = a.get("/v1/reviews/summary", params={"period": "month"})
        assert summary.status_code == 200
        body = summary.json()
        assert body["reviews"] == 2 and body["sentiment"]["negative"] == 1
        assert {t["source"] for t in body["rating_trend"]} == {"trustpilot", "tmall"}
        bad = a.get("/v1/reviews/summary", params={"from": "last week"})
        assert bad.status_code == 400 and bad.json()["field"] == "from"

        topics = a.get("/v1/text/topics").json()
        assert {t["topic"] for t in topics["topics"]} >= {"delivery", "staff"}
        # Verbatims need profiles:read; the analyst key is refused.
        assert a.get("/v1/text/search", params={"q": "courier"}).status_code == 403
        found = r.get("/v1/text/search", params={"q": "courier"})
        assert [v["review_id"] for v in found.json()["verbatims"]] == ["r1"]
        bad = r.get("/v1/text/search", params={"label": "angry"})
        assert bad.status_code == 400 and bad.json()["field"] == "label"
        for name, value in (("kind", "tweets"), ("limit", "0"), ("to", "2026-13-01")):
            bad = r.get("/v1/text/search", params={name: value})
            assert bad.status_code == 400 and bad.json()["field"] == name
        assert r.get("/v1/reviews/summary").status_code == 403
