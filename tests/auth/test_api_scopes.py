"""Every /v1 route is role-checked; a write key can only write events."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi.routing import APIRoute

from cxm.api.app import create_app
from cxm.auth import create_api_key, revoke_api_key
from cxm.auth.deps import RequireScope
from cxm.settings import Settings
from tests.auth.conftest import SecureSite
from tests.privacy.people import load_people

# Routes that authenticate with a source's write key instead (Segment-style collection).
WRITE_KEY_ROUTES = {
    "/v1/track",
    "/v1/identify",
    "/v1/page",
    "/v1/screen",
    "/v1/group",
    "/v1/alias",
    "/v1/batch",
    "/v1/consent/tracker",
}


def _scopes_of(route: APIRoute) -> set[str]:
    found = set()
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, RequireScope):
            found.add(dependant.call.scope)
        stack.extend(dependant.dependencies)
    return found


def test_every_v1_route_requires_a_scope_or_a_write_key(tmp_path: object) -> None:
    app = create_app(Settings(database_url=f"duckdb:///{tmp_path}/cxm.duckdb"))
    unguarded = [
        f"{sorted(r.methods)} {r.path}"
        for r in app.routes
        if isinstance(r, APIRoute)
        and r.path.startswith("/v1")
        and r.path not in WRITE_KEY_ROUTES
        and not _scopes_of(r)
    ]
    assert unguarded == []


# (method, path, body) -> the scope it needs.
ROUTES: list[tuple[str, str, dict[str, object] | None, str]] = [
    ("GET", "/v1/privacy/export/ana.lopez@example.de", None, "privacy:export"),
    ("POST", "/v1/privacy/erase", {"identifier": "bob.smith@example.com"}, "privacy:erase"),
    ("GET", "/v1/privacy/receipts", None, "audit:read"),
    ("GET", "/v1/audit", None, "audit:read"),
    ("GET", "/v1/keys", None, "auth:admin"),
    ("GET", "/v1/users", None, "auth:admin"),
    ("GET", "/v1/profiles?q=ana", None, "profiles:read"),
]
ROLE_SCOPES = {
    "admin": {"privacy:export", "privacy:erase", "audit:read", "auth:admin", "profiles:read"},
    "analyst": set(),
    "marketing": {"profiles:read"},
    "service": {"profiles:read"},
}


@pytest.mark.parametrize("role", sorted(ROLE_SCOPES))
def test_role_matrix_allows_exactly_the_roles_scopes(
    secure_site: SecureSite, signed_in: Callable[[str], httpx.Client], role: str
) -> None:
    load_people(secure_site.database)
    client = signed_in(role)
    for method, path, body, scope in ROUTES:
        response = client.request(method, path, json=body)
        if scope in ROLE_SCOPES[role]:
            assert response.status_code < 400, (role, path, response.text)
        else:
            assert response.status_code == 403, (role, path, response.text)
            assert response.json()["error"] == "forbidden"
            assert scope in response.json()["reason"]


def test_write_key_is_refused_on_personal_data_routes(secure_site: SecureSite) -> None:
    with secure_site.client(auth=(secure_site.source.write_key, "")) as client:
        for method, path, body, _ in ROUTES:
            response = client.request(method, path, json=body)
            assert response.status_code == 403, path
            assert "write key can only send events" in response.json()["reason"]
        assert client.post("/v1/track", json={"event": "x", "userId": "u1"}).status_code == 200


def test_no_credentials_answers_401_json(secure_site: SecureSite) -> None:
    with secure_site.client() as client:
        response = client.get("/v1/audit")
    assert response.status_code == 401
    assert response.json()["field"] == "Authorization"


def test_api_key_scopes_are_enforced_and_revocation_is_immediate(
    secure_site: SecureSite,
) -> None:
    load_people(secure_site.database)
    key, plaintext = create_api_key(secure_site.database, "dpo tool", ["privacy:export"], "t")
    with secure_site.client(headers={"Authorization": f"Bearer {plaintext}"}) as client:
        exported = client.get("/v1/privacy/export/ana.lopez@example.de")
        assert exported.status_code == 200
        assert exported.json()["profile_ids"] == ["p-ana", "p-ana-old"]
        refused = client.post("/v1/privacy/erase", json={"identifier": "ana.lopez@example.de"})
        assert refused.status_code == 403
        revoke_api_key(secure_site.database, key.key_id)
        assert client.get("/v1/privacy/export/ana.lopez@example.de").status_code == 401
        wrong = client.get("/v1/audit", headers={"Authorization": f"Bearer {plaintext}x"})
        assert wrong.status_code == 401


def test_erase_over_http_returns_receipt_and_is_audited(
    secure_site: SecureSite, signed_in: Callable[[str], httpx.Client]
) -> None:
    load_people(secure_site.database)
    admin = signed_in("admin")
    receipt = admin.post("/v1/privacy/erase", json={"identifier": "ana.lopez@example.de"})
    assert receipt.status_code == 200, receipt.text
    assert receipt.json()["counts"]["events"] == 4
    again = admin.post("/v1/privacy/erase", json={"identifier": "ana.lopez@example.de"})
    assert again.status_code == 404 and again.json()["field"] == "identifier"
    blank = admin.post("/v1/privacy/erase", json={"identifier": " "})
    assert blank.status_code == 400
    log = admin.get("/v1/audit", params={"action": "privacy.erase"}).json()
    assert [e["outcome"] for e in log] == ["invalid", "not_found", "ok"]  # newest first
    assert all("ana.lopez" not in str(e) for e in log)
    assert log[-1]["actor"].startswith("user:admin")
    assert log[-1]["resource"] == "POST /v1/privacy/erase"


def test_cross_site_cookie_post_is_refused(
    secure_site: SecureSite, signed_in: Callable[[str], httpx.Client]
) -> None:
    admin = signed_in("admin")
    response = admin.post(
        "/v1/privacy/erase",
        json={"identifier": "x@example.org"},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert response.json()["field"] == "Origin"
