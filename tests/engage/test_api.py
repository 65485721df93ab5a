"""Engage over HTTP: segments CRUD, preview, members, journeys, report, outbox, outcomes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cxm.api.app import create_app
from cxm.auth import create_api_key
from cxm.settings import Settings
from cxm.store import Database
from tests.engage.people import add_event, add_profile
from tests.support.inprocess import serve_in_thread


@pytest.fixture
def client(database: Database, database_url: str) -> Iterator[httpx.Client]:
    app = create_app(Settings(database_url=database_url, secret_key="t"), database=database)
    _, secret = create_api_key(database, "crm", ["segments:write", "analytics:read"], "test")
    with (
        serve_in_thread(app) as url,
        httpx.Client(
            base_url=url, headers={"authorization": f"Bearer {secret}"}, timeout=20
        ) as http,
    ):
        yield http


@pytest.mark.backends("duckdb")
def test_segments_and_journeys_over_http(database: Database, client: httpx.Client) -> None:
    add_profile(database, "p1", country="DE")
    add_profile(database, "p2", country="GB")
    add_event(database, "p1", "Order Completed")
    bad = client.post("/v1/segments", json={"name": "x", "conditions": {"or": [{"event": 3}]}})
    assert bad.status_code == 400
    assert bad.json()["field"] == "conditions.or[0].event"
    preview = client.post(
        "/v1/segments/preview", json={"conditions": {"trait": "country", "value": "DE"}}
    )
    assert preview.json()["count"] == 1
    made = client.post(
        "/v1/segments", json={"name": "de", "conditions": {"trait": "country", "value": "DE"}}
    )
    assert made.status_code == 201, made.text
    assert made.json()["segment"]["member_count"] == 1
    assert (
        client.post(
            "/v1/segments", json={"name": "de", "conditions": {"trait": "x", "op": "exists"}}
        ).status_code
        == 409
    )
    members = client.get("/v1/segments/de/members").json()["members"]
    assert [m["profile_id"] for m in members] == ["p1"]
    assert client.get("/v1/segments/de/export").text.splitlines()[1].startswith("p1,")
    assert client.get("/v1/segments/de/counts").json()["counts"][0]["members"] == 1
    assert client.get("/v1/segments/nope").status_code == 404

    definition = {
        "trigger": {"segment": "de"},
        "holdout_percent": 0,
        "goal": {"event": "Order Completed", "within_hours": 24},
        "steps": [{"type": "action", "action": "case", "reason": "manual"}],
    }
    made = client.post("/v1/engage/journeys", json={"name": "follow", "definition": definition})
    assert made.status_code == 201, made.text
    bad = client.post(
        "/v1/engage/journeys",
        json={"name": "b", "definition": {**definition, "holdout_percent": 120}},
    )
    assert bad.json()["field"] == "definition.holdout_percent"
    assert (
        client.post("/v1/engage/journeys/follow/activate").json()["journey"]["status"] == "active"
    )
    client.put("/v1/segments/de", json={"conditions": {"trait": "country", "value": "GB"}})
    report = client.get("/v1/engage/journeys/follow/report").json()["report"]
    assert report["entries"] == 1  # p2 entered the segment → entered the journey
    outbox = client.get("/v1/engage/outbox").json()
    assert sum(outbox["counts"].values()) == 1
    message_id = outbox["rows"][0]["message_id"]
    outcome = client.post(
        "/v1/engage/outcomes", json={"message_id": message_id, "outcome": "opened"}
    )
    assert outcome.status_code == 200, outcome.text
    assert outcome.json()["event"] == "Message Opened"
    assert (
        client.post(
            "/v1/engage/outcomes", json={"message_id": message_id, "outcome": "eaten"}
        ).json()["field"]
        == "outcome"
    )
    assert client.get("/v1/engage/outbox?status=nope").json()["field"] == "status"
