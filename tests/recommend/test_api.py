"""GET /v1/profiles/{id}/recommendations over real HTTP on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cxm.api.app import create_app
from cxm.auth import create_api_key
from cxm.privacy.consent import record_consent
from cxm.recommend.service import train_and_save
from cxm.settings import Settings
from cxm.store import Database
from tests.recommend.shop import build_shop
from tests.support.inprocess import serve_in_thread


@pytest.fixture
def client(database: Database, database_url: str) -> Iterator[httpx.Client]:
    build_shop(database)
    train_and_save(database)
    app = create_app(Settings(database_url=database_url, secret_key="t"), database=database)
    _, secret = create_api_key(database, "shop", ["profiles:read"], "test")
    with (
        serve_in_thread(app) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=10) as c,
    ):
        yield c


def test_recommendations_by_any_identifier(client: httpx.Client, database: Database) -> None:
    record_consent(database, "p-b1", "personalisation", "*", "granted", source="test")
    response = client.get("/v1/profiles/b1@example.com/recommendations?kind=personalised&k=3")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["profile_id"] == "p-b1" and body["served"] == ["personalised"]
    assert [item["rank"] for item in body["items"]] == [1, 2, 3]
    assert "B1" not in {item["item_id"] for item in body["items"]}  # bought
    assert body["items"][0]["item_id"].startswith("B")
    actions = database.query(
        "SELECT action, subject, outcome FROM audit_log WHERE action = 'recommend.view'"
    )
    assert actions == [("recommend.view", "p-b1", "ok")]


def test_without_consent_no_personalisation_and_related_by_item(client: httpx.Client) -> None:
    body = client.get("/v1/profiles/p-a1/recommendations?kind=personalised").json()
    assert body["served"] == ["trending"] and body["personalised_allowed"] is False
    combined = client.get("/v1/profiles/p-a1/recommendations").json()
    assert combined["kind"] == "combined" and "personalised" not in combined["served"]
    body = client.get("/v1/profiles/p-new/recommendations?kind=related&item=A2&k=2").json()
    assert body["anchor_item"] == "A2"
    assert [item["item_id"][0] for item in body["items"]] == ["A", "A"]


def test_bad_input_names_the_field(client: httpx.Client, database: Database) -> None:
    for query, field in (
        ("kind=best", "kind"),
        ("k=0", "k"),
        ("k=101", "k"),
        ("k=ten", "k"),
        ("item=Z9", "item"),
    ):
        response = client.get(f"/v1/profiles/p-a1/recommendations?{query}")
        assert response.status_code == 400, (query, response.text)
        assert response.json()["field"] == field
    unknown = client.get("/v1/profiles/nobody@example.com/recommendations")
    assert unknown.status_code == 404 and unknown.json()["field"] == "identifier"
    _, secret = create_api_key(database, "analyst", ["analytics:read"], "test")
    response = client.get(
        "/v1/profiles/p-a1/recommendations", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 403
