"""Signing in and out of the dashboard over real HTTP."""

from __future__ import annotations

import re

from cxm.auth import create_login_link_token, create_user
from tests.auth.conftest import SecureSite


def test_overview_without_session_redirects_to_login(secure_site: SecureSite) -> None:
    with secure_site.client() as client:
        response = client.get("/?days=7")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/%3Fdays%3D7"


def test_login_wrong_password_is_refused(secure_site: SecureSite) -> None:
    create_user(secure_site.database, "ana", "analyst")
    with secure_site.client() as client:
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert csrf
        response = client.post("/login", data={"name": "ana", "password": "guess", "csrf": csrf[1]})
        assert response.status_code == 401
        assert "wrong password" in response.text
        assert client.get("/").status_code == 303


def test_login_without_form_token_is_refused(secure_site: SecureSite) -> None:
    _, password = create_user(secure_site.database, "ana", "analyst")
    with secure_site.client() as client:
        response = client.post("/login", data={"name": "ana", "password": password, "csrf": "x"})
    assert response.status_code == 400


def test_login_then_logout_ends_the_session(secure_site: SecureSite) -> None:
    _, password = create_user(secure_site.database, "ana", "analyst")
    client = secure_site.login("ana", password)
    page = client.get("/")
    assert page.status_code == 200
    assert "ana (analyst)" in page.text
    cookie = client.cookies["cxm_session"]
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 400
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    assert client.post("/logout", data={"csrf": token[1]}).status_code == 303
    # The old cookie, replayed, no longer works: the session ended on the server.
    with secure_site.client(cookies={"cxm_session": cookie}) as replay:
        assert replay.get("/").status_code == 303


def test_login_link_works_once_and_next_stays_on_site(secure_site: SecureSite) -> None:
    user, _ = create_user(secure_site.database, "ana", "admin")
    token = create_login_link_token(secure_site.database, user)
    with secure_site.client() as client:
        first = client.get(f"/login/link/{token}", params={"next": "//evil.example/x"})
        assert first.status_code == 303 and first.headers["location"] == "/"
        assert client.get("/").status_code == 200
    with secure_site.client() as other:
        assert other.get(f"/login/link/{token}").status_code == 401


def test_forged_session_cookie_is_ignored(secure_site: SecureSite) -> None:
    with secure_site.client(cookies={"cxm_session": "abc.def"}) as client:
        assert client.get("/").status_code == 303
        assert client.get("/v1/audit").status_code == 401
