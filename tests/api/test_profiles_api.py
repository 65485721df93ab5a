"""/v1/profiles over real HTTP on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from cxm.api.app import create_app
from cxm.auth import create_api_key
from cxm.settings import Settings
from cxm.store import Database
from tests.profiles.people import NOW, add_event, add_order, add_profile, add_record
from tests.support.inprocess import serve_in_thread


@pytest.fixture
def client(database: Database, database_url: str) -> Iterator[httpx.Client]:
    """The app with authentication on; the client holds a key with profiles:read."""
    app = create_app(Settings(database_url=database_url, secret_key="t"), database=database)
    _, secret = create_api_key(database, "service desk", ["profiles:read"], "test")
    with (
        serve_in_thread(app) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=10) as c,
    ):
        yield c


def _ana(database: Database) -> None:
    add_profile(database, "p-ana", [("email", "ana@example.de"), ("record:crm", "CRM-1")])
    add_record(database, "p-ana", "crm", "CRM-1", first_name="Ana", last_name="<b>Silva</b>")
    add_order(database, "p-ana", "O-1", NOW - timedelta(days=3), 99.5)
    for hours in range(5):
        add_event(database, "p-ana", NOW - timedelta(hours=hours), event=f"E{hours}")


def test_profile_api_returns_profile_by_identifier(
    client: httpx.Client, database: Database
) -> None:
    _ana(database)
    response = client.get("/v1/profiles/ana@example.de")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["profile_id"] == "p-ana"
    traits = {t["name"]: t for t in body["traits"]}
    assert traits["last_name"]["value"] == "<b>Silva</b>"
    assert traits["last_name"]["source"] == "crm"
    assert body["value"]["order_count"] == 1 and body["value"]["total_spend"] == 99.5
    assert body["lifecycle"]["stage"] in ("new", "active", "at risk", "lapsed")
    assert len(body["timeline"]["entries"]) == 6
    ids = {(i["id_type"], i["id_value"]) for i in body["identifiers"]}
    assert ids == {("email", "ana@example.de"), ("record:crm", "CRM-1")}


def test_profile_api_unknown_identifier_is_404_naming_field(client: httpx.Client) -> None:
    response = client.get("/v1/profiles/nobody@example.de")
    assert response.status_code == 404
    assert response.json()["field"] == "identifier"


def test_profile_api_timeline_pages(client: httpx.Client, database: Database) -> None:
    _ana(database)
    first = client.get("/v1/profiles/p-ana/timeline", params={"limit": 4}).json()
    assert len(first["entries"]) == 4 and first["next_before"]
    second = client.get(
        "/v1/profiles/p-ana/timeline", params={"limit": 4, "before": first["next_before"]}
    ).json()
    assert [e["kind"] for e in second["entries"]] == ["event", "order"]
    assert second["next_before"] is None
    bad = client.get("/v1/profiles/p-ana/timeline", params={"before": "soon"})
    assert bad.status_code == 400 and bad.json()["field"] == "before"


def test_profile_api_search(client: httpx.Client, database: Database) -> None:
    _ana(database)
    found = client.get("/v1/profiles", params={"q": "ana"}).json()["profiles"]
    assert [p["profile_id"] for p in found] == ["p-ana"]
    short = client.get("/v1/profiles", params={"q": "a"})
    assert short.status_code == 400 and short.json()["field"] == "q"


def test_profile_api_needs_profiles_read(client: httpx.Client, database: Database) -> None:
    _ana(database)
    anonymous = httpx.get(f"{client.base_url}/v1/profiles/p-ana")
    assert anonymous.status_code == 401
    _, analyst = create_api_key(database, "analyst", ["analytics:read"], "test")
    forbidden = httpx.get(
        f"{client.base_url}/v1/profiles/p-ana", headers={"Authorization": f"Bearer {analyst}"}
    )
    assert forbidden.status_code == 403
    audited = database.scalar("SELECT count(*) FROM audit_log WHERE action = 'profile.view'")
    assert audited == 0
    client.get("/v1/profiles/p-ana")
    assert database.scalar("SELECT count(*) FROM audit_log WHERE action = 'profile.view'") == 1


def test_audit_log_never_holds_the_identifier_from_the_url(
    client: httpx.Client, database: Database
) -> None:
    _ana(database)
    assert client.get("/v1/profiles/ana@example.de").status_code == 200
    assert client.get("/v1/profiles/ana@example.de/timeline").status_code == 200
    assert client.get("/v1/profiles/nobody@example.de").status_code == 404
    rows = database.query("SELECT * FROM audit_log")
    assert len(rows) >= 3
    logged = " ".join(str(value) for row in rows for value in row)
    assert "ana@example.de" not in logged and "nobody@example.de" not in logged
    assert "/v1/profiles/{identifier}" in logged
