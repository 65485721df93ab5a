"""The hosted preference centre over real HTTP, on both backends."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from cxm.auth.keyring import signing_key
from cxm.privacy.consent_check import may_contact
from cxm.privacy.consent_links import make_link_token
from cxm.privacy.preferences import get_preferences
from cxm.settings import Settings
from tests.profiles.people import add_profile
from tests.web.conftest import Site


@pytest.fixture
def link(site: Site) -> str:
    add_profile(site.database, "p-1", [("email", "ana@example.de")])
    token = make_link_token(site.database, "ana@example.de", Settings())
    return f"{site.url}/preferences/{token}"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, "no CSRF field in the form"
    return match.group(1)


def _ledger(site: Site) -> list[tuple[object, ...]]:
    return site.database.query(
        "SELECT purpose, channel, status, source, wording_version, identifier, user_agent "
        "FROM consent_ledger ORDER BY purpose, channel"
    )


def test_preference_centre_speaks_the_browsers_language(link: str) -> None:
    german = httpx.get(link, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert german.status_code == 200
    assert "Ihre Kommunikations\u00adeinstellungen" in german.text
    assert '<html lang="de">' in german.text
    chinese = httpx.get(link, params={"lang": "zh"})
    assert "您的沟通偏好" in chinese.text
    assert german.headers["cache-control"] == "no-store"
    assert "form-action 'self'" in german.headers["content-security-policy"]


def test_preference_centre_saves_changes_to_ledger(site: Site, link: str) -> None:
    form = httpx.get(link).text
    assert "checked" not in form.split("consent.marketing.email")[1].split(">")[0]
    data = {
        "csrf": _csrf(form),
        "consent.marketing.email": "on",
        "consent.analytics.any": "on",  # already allowed by default: no entry
        "topics": ["offers", "home"],
        "frequency": "weekly",
        "language": "de",
    }
    saved = httpx.post(link, data=data, headers={"User-Agent": "TestBrowser/1"})
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("?saved=1&lang=de")
    assert _ledger(site) == [
        (
            "marketing",
            "email",
            "granted",
            "preference-centre",
            "preference-centre-1",
            "email:ana@example.de",
            "TestBrowser/1",
        ),
    ]
    assert may_contact(site.database, "p-1", "marketing", "email").allowed
    prefs = get_preferences(site.database, "p-1")
    assert prefs.topics == ("offers", "home") and prefs.language == "de"
    page = httpx.get(link + "?saved=1").text
    assert "Gespeichert" in page  # the person's saved language now wins
    # The same form again changes nothing and writes nothing.
    data["csrf"] = _csrf(page)
    httpx.post(link, data=data)
    assert len(_ledger(site)) == 1
    # Unticking a granted box withdraws it.
    data.pop("consent.marketing.email")
    httpx.post(link, data=data)
    assert _ledger(site)[-1][:3] == ("marketing", "email", "withdrawn")


def test_preference_centre_refuses_form_without_valid_csrf(site: Site, link: str) -> None:
    for data in (
        {"consent.marketing.email": "on"},
        {"csrf": "0" * 64, "consent.marketing.email": "on"},
    ):
        response = httpx.post(link, data=data)
        assert response.status_code == 403
        assert "could not be verified" in response.text
    assert _ledger(site) == []


def test_preference_centre_bad_value_is_400_page(site: Site, link: str) -> None:
    data = {"csrf": _csrf(httpx.get(link).text), "frequency": "hourly"}
    response = httpx.post(link, data=data)
    assert response.status_code == 400 and "frequency" in response.text
    assert get_preferences(site.database, "p-1").recorded_at is None


def test_preference_centre_forged_and_expired_links_are_4xx(site: Site, link: str) -> None:
    token = link.rsplit("/", 1)[1]
    forged = httpx.get(link[: -len(token)] + token[:-3] + "abc")
    assert forged.status_code == 400 and "not valid" in forged.text
    garbage = httpx.get(f"{site.url}/preferences/nonsense")
    assert garbage.status_code == 400
    # A link made under another key is as good as forged.
    foreign = make_link_token(site.database, "p-1", Settings(secret_key="other"))
    assert httpx.get(f"{site.url}/preferences/{foreign}").status_code == 400


class _MonthOldSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 31 * 86400


def test_preference_centre_expired_link_is_410(site: Site, link: str) -> None:
    key = signing_key(site.database, "")
    old = URLSafeTimedSerializer(key, salt="cxm.preference-centre", signer=_MonthOldSigner)
    token = old.dumps({"p": "p-1", "h": ""})
    response = httpx.get(f"{site.url}/preferences/{token}", headers={"Accept-Language": "de"})
    assert response.status_code == 410
    assert "abgelaufen" in response.text
    posted = httpx.post(f"{site.url}/preferences/{token}", data={"consent.marketing.email": "on"})
    assert posted.status_code == 410 and _ledger(site) == []
