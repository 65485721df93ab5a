"""The profile search and customer-360 pages over real HTTP, on both backends."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

import httpx

from tests.profiles.people import NOW, add_event, add_order, add_profile, add_record, add_review
from tests.web.conftest import Site

XSS = '<script>alert("x")</script>'


def _person(site: Site) -> None:
    db = site.database
    add_profile(db, "p-ana", [("email", "ana@example.de"), ("record:crm", "CRM-1")])
    add_record(db, "p-ana", "crm", "CRM-1", first_name="Ana", last_name=f"Silva{XSS}")
    add_order(db, "p-ana", "O-1", NOW + timedelta(minutes=30), 99.5)
    add_review(db, "p-ana", "R-1", NOW + timedelta(hours=1), f"Lovely {XSS}")
    for hours in range(30):
        add_event(db, "p-ana", NOW - timedelta(hours=hours), event=f"Viewed {hours}")


def test_profiles_search_page_lists_matches_escaped(site: Site) -> None:
    _person(site)
    html = httpx.get(f"{site.url}/profiles", params={"q": "ana"}).text
    assert 'href="/profiles/p-ana"' in html
    assert XSS not in html and "&lt;script&gt;" in html
    assert 'href="/profiles" aria-current="page"' in html  # the nav entry is live
    empty = httpx.get(f"{site.url}/profiles", params={"q": "zz-nobody"})
    assert empty.status_code == 200 and "Nobody matches" in empty.text
    short = httpx.get(f"{site.url}/profiles", params={"q": "a"})
    assert short.status_code == 400 and "at least 2 characters" in short.text


def test_profile_page_shows_traits_value_consent_timeline(site: Site) -> None:
    _person(site)
    response = httpx.get(f"{site.url}/profiles/ana@example.de")
    assert response.status_code == 200
    html = response.text
    assert XSS not in html
    assert "Silva&lt;script&gt;" in html and "Lovely &lt;script&gt;" in html
    assert "most trusted" in html and "record:crm" in html
    assert "99.50 EUR" in html and "Nothing recorded: defaults apply" in html
    assert "Review 4/5 on trustpilot" in html and "Order O-1: 99.50 EUR" in html
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    older = html.split('rel="next" href="')[1].split('"')[0]
    second = httpx.get(f"{site.url}{unquote(older.replace('&amp;', '&'))}")
    assert second.status_code == 200 and "Viewed 29" in second.text
    assert "Viewed 29" not in html


def test_profile_page_unknown_person_is_404(site: Site) -> None:
    response = httpx.get(f"{site.url}/profiles/nobody@example.de")
    assert response.status_code == 404
    assert "Nobody is known by" in response.text
