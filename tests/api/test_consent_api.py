"""/v1/consent and /v1/preferences over real HTTP on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cxm.api.app import create_app
from cxm.auth import create_api_key
from cxm.collect.sources import create_source
from cxm.settings import Settings
from cxm.store import Database
from tests.profiles.people import add_profile
from tests.support.inprocess import serve_in_thread


@pytest.fixture
def client(database: Database, database_url: str) -> Iterator[httpx.Client]:
    app = create_app(Settings(database_url=database_url, secret_key="t"), database=database)
    _, secret = create_api_key(database, "crm sync", ["profiles:read", "profiles:write"], "test")
    add_profile(database, "p-1", [("email", "ana@example.de"), ("anonymous_id", "anon-1")])
    with (
        serve_in_thread(app) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=10) as c,
    ):
        yield c


def _consent(**fields: object) -> dict[str, object]:
    return {
        "identifier": "ana@example.de",
        "purpose": "marketing",
        "channel": "email",
        "status": "granted",
        "source": "signup-form",
        "wording_version": "v2",
        **fields,
    }


def test_consent_api_records_and_checks(client: httpx.Client) -> None:
    created = client.post("/v1/consent", json=_consent())
    assert created.status_code == 201, created.text
    assert created.json()["profile_id"] == "p-1"
    check = client.get(
        "/v1/consent/check",
        params={"identifier": "ana@example.de", "purpose": "marketing", "channel": "email"},
    )
    assert check.json()["allowed"] is True and check.json()["basis"] == "recorded"
    sms = client.get(
        "/v1/consent/check", params={"identifier": "p-1", "purpose": "marketing", "channel": "sms"}
    ).json()
    assert sms["allowed"] is False and sms["basis"] == "default"
    shown = client.get("/v1/consent/ana@example.de").json()
    assert [c["status"] for c in shown["current"]] == ["granted"]
    assert shown["history"][0]["wording_version"] == "v2"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"purpose": "spam"}, "purpose"),
        ({"channel": "fax"}, "channel"),
        ({"status": "ok"}, "status"),
        ({"purpose": None}, "purpose"),
    ],
)
def test_consent_api_bad_input_is_400_naming_field(
    client: httpx.Client, fields: dict[str, object], field: str
) -> None:
    response = client.post("/v1/consent", json=_consent(**fields))
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_consent_api_unknown_person_is_404(client: httpx.Client) -> None:
    response = client.post("/v1/consent", json=_consent(identifier="ghost@example.de"))
    assert response.status_code == 404 and response.json()["field"] == "identifier"
    check = client.get("/v1/consent/check", params={"identifier": "x", "purpose": "cookies"})
    assert check.status_code == 400 and check.json()["field"] == "purpose"


def test_preferences_api_put_and_get(client: httpx.Client) -> None:
    saved = client.put(
        "/v1/preferences/ana@example.de",
        json={"topics": ["offers"], "frequency": "weekly", "language": "de"},
    )
    assert saved.status_code == 200, saved.text
    assert client.get("/v1/preferences/p-1").json()["topics"] == ["offers"]
    bad = client.put("/v1/preferences/p-1", json={"topics": ["crypto"]})
    assert bad.status_code == 400 and bad.json()["field"] == "topics.0"
    assert client.put("/v1/preferences/ghost", json={}).status_code == 404


def test_consent_api_write_needs_profiles_write(client: httpx.Client, database: Database) -> None:
    _, reader = create_api_key(database, "reader", ["profiles:read"], "test")
    response = httpx.post(
        f"{client.base_url}/v1/consent",
        json=_consent(),
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert response.status_code == 403


def test_tracker_consent_recorded_for_known_visitor(
    client: httpx.Client, database: Database
) -> None:
    source = create_source(database, "website", channel="web")
    url = f"{client.base_url}/v1/consent/tracker"
    known = httpx.post(
        url,
        json={"writeKey": source.write_key, "anonymousId": "anon-1", "status": "granted"},
        headers={"User-Agent": "Test/1"},
    )
    assert known.status_code == 200 and known.json() == {"recorded": 1, "profile_id": "p-1"}
    row = database.query("SELECT purpose, channel, status, source, user_agent FROM consent_ledger")
    assert row == [("analytics", "*", "granted", "tracker:website", "Test/1")]
    unknown = httpx.post(
        url, json={"writeKey": source.write_key, "anonymousId": "anon-9", "status": "denied"}
    )
    assert unknown.status_code == 202 and unknown.json()["recorded"] == 0
    no_key = httpx.post(url, json={"anonymousId": "anon-1", "status": "granted"})
    assert no_key.status_code == 401
    bad = httpx.post(
        url,
        json={
            "writeKey": source.write_key,
            "anonymousId": "anon-1",
            "status": "granted",
            "purposes": ["analytics", "x"],
        },
    )
    assert bad.status_code == 400 and bad.json()["field"] == "purposes.1"
    assert database.scalar("SELECT count(*) FROM consent_ledger") == 1
