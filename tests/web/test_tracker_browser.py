"""The /cxm.js tracker in a real headless Chromium, sending to the real collection API.

The shop page is served by Playwright at a URL on the CXM server's own origin (so the
cookie is first-party and the script loads from ``/cxm.js``); everything else is real.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cxm.collect.sources import create_source
from cxm.settings import Settings
from cxm.store import Database, open_database
from tests.support.server import running_server
from tests.web.conftest import Site, Tab, start_site

pytestmark = pytest.mark.browser

SHOP = """<!doctype html><html lang="en"><head><title>Spring sale</title></head>
<body><h1>Shop</h1>{tag}<script>{script}</script></body></html>"""

EVENT_COLUMNS = (
    "SELECT type, event, anonymous_id, user_id, utm_source, utm_medium, utm_campaign, "
    "traffic_channel, referrer_host, page_url, locale, user_agent, channel, "
    "CAST(properties AS TEXT) AS properties, CAST(traits AS TEXT) AS traits, "
    "CAST(context AS TEXT) AS context FROM events ORDER BY timestamp, type"
)


def serve_shop(tab: Tab, script: str, tag: str = '<script src="/cxm.js"></script>') -> None:
    # A regex (not a Python predicate) is matched inside the browser driver, so other
    # requests are never held waiting for this thread.
    tab.page.route(
        re.compile(r"/shop/"),
        lambda route: route.fulfill(
            content_type="text/html", body=SHOP.format(script=script, tag=tag)
        ),
    )


def collection_requests(tab: Tab) -> list[str]:
    seen: list[str] = []
    tab.page.on("request", lambda r: seen.append(r.url) if "/v1/" in r.url else None)
    return seen


def wait_for(tab: Tab, check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        tab.page.wait_for_timeout(50)  # lets Playwright deliver its events meanwhile


def event_names(database: Database) -> list[str]:
    return [r[0] for r in database.query("SELECT COALESCE(event, type) FROM events")]


def anonymous_cookie(tab: Tab) -> dict[str, Any] | None:
    return next((c for c in tab.context.cookies() if c["name"] == "cxm_aid"), None)


def test_tracker_sends_page_track_identify_with_utm_to_cxm_serve(tmp_path: Path, tab: Tab) -> None:
    url = f"duckdb:///{tmp_path / 'cxm.duckdb'}"
    database = open_database(url)
    write_key = create_source(database, "website", channel="web").write_key
    database.close()
    script = (
        f"cxm.init({{writeKey: {json.dumps(write_key)}, autoPage: false, flushInterval: 100}});"
        "cxm.page(); cxm.track('Product Viewed', {sku: 'A1', price: 9.5});"
        "cxm.identify('user-42', {email: 'ada@example.com'});"
        "cxm.track('Added to Cart', {sku: 'A1'});"
    )
    accepted: list[int] = []
    with running_server(url, log_dir=tmp_path) as server:
        serve_shop(tab, script)
        tab.page.on(
            "response",
            lambda r: accepted.append(r.json()["accepted"]) if "/v1/batch" in r.url else None,
        )
        landing = f"{server.url}/shop/spring?utm_source=google&utm_medium=cpc&utm_campaign=spring"
        tab.page.goto(landing, referer="https://www.google.com/")
        wait_for(tab, lambda: sum(accepted) >= 4)
        cookie = anonymous_cookie(tab)
        stored_id = tab.page.evaluate("localStorage.getItem('cxm_aid')")
    assert tab.errors == []

    assert cookie is not None and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    lifetime = datetime.fromtimestamp(cookie["expires"], UTC) - datetime.now(UTC)
    assert timedelta(days=364) < lifetime <= timedelta(days=365)
    assert stored_id == cookie["value"]

    database = open_database(url)
    try:
        rows = database.query_dicts(EVENT_COLUMNS)
    finally:
        database.close()
    # Sent within the same millisecond, so look rows up by what they are, not by order.
    by_name = {r["event"] or r["type"]: r for r in rows}
    assert sorted(by_name) == ["Added to Cart", "Product Viewed", "identify", "page"]
    assert {r["anonymous_id"] for r in rows} == {cookie["value"]}
    user_ids = {name: r["user_id"] for name, r in by_name.items()}
    assert user_ids == {
        "page": None,
        "Product Viewed": None,
        "identify": "user-42",
        "Added to Cart": "user-42",
    }
    page_view = by_name["page"]
    assert (page_view["utm_source"], page_view["utm_medium"], page_view["utm_campaign"]) == (
        "google",
        "cpc",
        "spring",
    )
    assert page_view["traffic_channel"] == "Paid Search"
    assert page_view["referrer_host"] in ("www.google.com", "google.com")
    assert page_view["page_url"] == landing
    assert page_view["channel"] == "web" and page_view["locale"]
    assert "Chrome" in page_view["user_agent"]
    context = json.loads(page_view["context"])
    assert context["library"]["name"] == "cxm.js"
    assert context["page"]["title"] == "Spring sale" and context["page"]["path"] == "/shop/spring"
    assert json.loads(by_name["Product Viewed"]["properties"]) == {"sku": "A1", "price": 9.5}
    assert json.loads(by_name["identify"]["traits"]) == {"email": "ada@example.com"}


@pytest.fixture
def consent_site(tmp_path: Path) -> Iterator[Site]:
    """A server whose settings require consent before the tracker sends anything."""
    url = f"duckdb:///{tmp_path / 'cxm.duckdb'}"
    database = open_database(url)
    try:
        yield from start_site(database, Settings(database_url=url, tracker_consent_required=True))
    finally:
        database.close()


def test_tracker_consent_required_sends_and_stores_nothing_until_granted(
    consent_site: Site, tab: Tab
) -> None:
    key = json.dumps(consent_site.source.write_key)
    serve_shop(tab, f"cxm.init({{writeKey: {key}, flushInterval: 100}}); cxm.track('Viewed');")
    sent = collection_requests(tab)
    tab.page.goto(f"{consent_site.url}/shop/home?utm_source=newsletter&utm_medium=email")
    tab.page.wait_for_timeout(800)  # eight flush intervals

    assert sent == []
    assert anonymous_cookie(tab) is None
    assert tab.page.evaluate("localStorage.length") == 0
    assert tab.page.evaluate("cxm.consent.status()") == "pending"
    assert consent_site.database.scalar("SELECT COUNT(*) FROM events") == 0

    tab.page.evaluate("cxm.consent.grant()")
    wait_for(tab, lambda: consent_site.database.scalar("SELECT COUNT(*) FROM events") == 2)
    assert sorted(event_names(consent_site.database)) == ["Viewed", "page"]
    cookie = anonymous_cookie(tab)
    assert cookie is not None
    stored = consent_site.database.query("SELECT DISTINCT anonymous_id FROM events")
    assert stored == [(cookie["value"],)]
    assert tab.errors == []


def test_tracker_consent_deny_drops_queue_and_identity(duckdb_site: Site, tab: Tab) -> None:
    key = json.dumps(duckdb_site.source.write_key)
    serve_shop(
        tab,
        f"cxm.init({{writeKey: {key}, consentRequired: true, autoPage: false, "
        "flushInterval: 100}); cxm.identify('user-7'); cxm.track('Before deny');",
    )
    tab.page.goto(f"{duckdb_site.url}/shop/home")
    first_id = tab.page.evaluate("cxm.anonymousId()")
    tab.page.evaluate("cxm.consent.deny()")
    tab.page.evaluate("cxm.track('While denied')")
    assert tab.page.evaluate("cxm.userId()") is None
    second_id = tab.page.evaluate("cxm.anonymousId()")
    assert anonymous_cookie(tab) is None

    tab.page.evaluate("cxm.consent.grant(); cxm.track('After grant')")
    wait_for(tab, lambda: duckdb_site.database.scalar("SELECT COUNT(*) FROM events") >= 1)
    tab.page.wait_for_timeout(300)  # anything dropped wrongly would arrive by now

    rows = duckdb_site.database.query("SELECT event, anonymous_id, user_id FROM events")
    assert rows == [("After grant", second_id, None)]
    assert second_id != first_id
    assert anonymous_cookie(tab)["value"] == second_id  # type: ignore[index]


def test_tracker_flushes_with_send_beacon_when_page_is_left(duckdb_site: Site, tab: Tab) -> None:
    key = json.dumps(duckdb_site.source.write_key)
    # The test page notes in a cookie (which outlives the page) that sendBeacon was used.
    spy = (
        "const realBeacon = navigator.sendBeacon.bind(navigator);"
        "navigator.sendBeacon = (u, b) => { document.cookie = 'beacon=1; path=/';"
        " return realBeacon(u, b); };"
    )
    # A one-minute interval: only the pagehide flush can deliver this event in time.
    serve_shop(
        tab,
        spy + f"cxm.init({{writeKey: {key}, autoPage: false, flushInterval: 60000}});"
        "cxm.track('Leaving soon');",
    )
    tab.page.goto(f"{duckdb_site.url}/shop/checkout")
    tab.page.wait_for_timeout(200)
    assert event_names(duckdb_site.database) == []
    tab.page.goto("about:blank")
    wait_for(tab, lambda: event_names(duckdb_site.database) == ["Leaving soon"])
    assert any(c["name"] == "beacon" for c in tab.context.cookies())


def test_tracker_script_tag_attributes_record_page_view_and_early_calls(
    duckdb_site: Site, tab: Tab
) -> None:
    key = duckdb_site.source.write_key
    # Calls queued before the script loads (window.cxm as an array) are replayed.
    early = "<script>window.cxm = [['track', 'Queued early', {n: 1}]];</script>"
    tag = f'{early}<script src="/cxm.js" data-write-key="{key}" data-flush-interval="100"></script>'
    serve_shop(tab, "", tag=tag)
    tab.page.goto(f"{duckdb_site.url}/shop/home", referer="https://www.baidu.com/s?wd=cxm")
    wait_for(tab, lambda: len(event_names(duckdb_site.database)) == 2)
    rows = duckdb_site.database.query_dicts(EVENT_COLUMNS)
    by_name = {r["event"] or r["type"]: r for r in rows}
    assert sorted(by_name) == ["Queued early", "page"]
    assert by_name["page"]["traffic_channel"] == "Organic Search"
    assert tab.errors == []


def test_tracker_consent_choice_reaches_the_ledger_for_a_known_visitor(
    duckdb_site: Site, tab: Tab
) -> None:
    key = json.dumps(duckdb_site.source.write_key)
    serve_shop(
        tab,
        f"cxm.init({{writeKey: {key}, autoPage: false, flushInterval: 100}});"
        "cxm.identify('user-42', {email: 'ada@example.com'});",
    )
    tab.page.goto(f"{duckdb_site.url}/shop/home")
    # The server's background stitcher makes the visitor known (a profile) first.
    wait_for(
        tab,
        lambda: (
            duckdb_site.database.scalar(
                "SELECT COUNT(*) FROM identifiers WHERE id_value = 'user-42' "
                "AND profile_id IS NOT NULL"
            )
            == 1
        ),
    )
    tab.page.evaluate("cxm.consent.deny()")
    wait_for(tab, lambda: duckdb_site.database.scalar("SELECT COUNT(*) FROM consent_ledger") >= 1)
    rows = duckdb_site.database.query("SELECT purpose, channel, status, source FROM consent_ledger")
    assert rows == [("analytics", "*", "denied", "tracker:website")]
    assert tab.errors == []
