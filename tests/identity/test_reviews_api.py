"""The review queue over real HTTP on both backends: list, accept (merges), reject
(never merges), role check, and errors naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cxm.api.app import create_app
from cxm.auth import create_api_key
from cxm.identity import find_profile_id, stitch_new
from cxm.settings import Settings
from cxm.store import Database
from tests.identity.data import import_customers
from tests.support.inprocess import serve_in_thread


@pytest.fixture
def client(database: Database, database_url: str) -> Iterator[httpx.Client]:
    settings = Settings(
        database_url=database_url, secret_key="t", identity_stitch_interval_seconds=0
    )
    app = create_app(settings, database=database)
    _, secret = create_api_key(database, "identity desk", ["identity:write"], "test")
    with (
        serve_in_thread(app) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=10) as c,
    ):
        yield c


def _queue_two(database: Database, folder: Path) -> None:
    import_customers(database, folder, [{"id": "C1", "first_name": "Ana"},
                                        {"id": "C2", "first_name": "Ben"}], "crm")  # fmt: skip
    import_customers(database, folder, [{"id": "S1", "first_name": "Ana"},
                                        {"id": "S2", "first_name": "Ben"}], "shop")  # fmt: skip
    stitch_new(database)
    for n, (left, right) in enumerate([("C1", "S1"), ("C2", "S2")]):
        database.execute(
            "INSERT INTO link_reviews (review_id, left_source, left_record_id, right_source, "
            "right_record_id, match_weight, match_probability, status, created_at) "
            "VALUES (?, 'crm', ?, 'shop', ?, 5.0, 0.9, 'pending', current_timestamp)",
            [f"r{n}", left, right],
        )


def test_reviews_api_accept_merges_and_reject_blocks(
    client: httpx.Client, database: Database, tmp_path: Path
) -> None:
    _queue_two(database, tmp_path)
    listed = client.get("/v1/identity/reviews")
    assert listed.status_code == 200, listed.text
    assert [r["review_id"] for r in listed.json()["reviews"]] == ["r0", "r1"]

    accepted = client.post("/v1/identity/reviews/r0/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["merges"] == 1
    assert find_profile_id(database, "record:crm:C1") == find_profile_id(database, "record:shop:S1")
    assert database.scalar("SELECT rule FROM merges") == "review"

    rejected = client.post("/v1/identity/reviews/r1/reject")
    assert rejected.status_code == 200, rejected.text
    assert find_profile_id(database, "record:crm:C2") != find_profile_id(database, "record:shop:S2")
    again = client.post("/v1/identity/reviews/r1/accept")
    assert again.status_code == 409
    assert again.json()["field"] == "review_id"
    assert client.get("/v1/identity/reviews").json()["reviews"] == []


def test_reviews_api_errors_name_the_field(client: httpx.Client) -> None:
    missing = client.post("/v1/identity/reviews/nope/accept")
    assert missing.status_code == 404
    assert missing.json()["field"] == "review_id"
    bad = client.get("/v1/identity/reviews", params={"status": "maybe"})
    assert bad.status_code == 400
    assert bad.json()["field"] == "status"


def test_reviews_api_requires_identity_scope(database: Database, database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, secret_key="t"), database=database)
    _, secret = create_api_key(database, "analyst", ["profiles:read"], "test")
    with serve_in_thread(app) as url:
        response = httpx.get(
            f"{url}/v1/identity/reviews", headers={"Authorization": f"Bearer {secret}"}
        )
    assert response.status_code == 403
