"""The Data sources page (the collection overview, formerly "/"), the KPI Overview's
empty state and the tracker route over real HTTP, on both backends."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from fastapi import FastAPI

from cxm.settings import Settings
from cxm.web.install import install_web
from cxm.web.navigation import navigation_for
from cxm.web.tracker import tracker_script
from tests.web.conftest import Site
from tests.web.messages import XSS, sample_batch


def embedded_json(html: str, element_id: str) -> dict[str, object]:
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html)
    assert match, f"no #{element_id} in the page"
    data: dict[str, object] = json.loads(match.group(1))
    return data


def test_kpi_overview_empty_database_points_to_getting_started(site: Site) -> None:
    response = httpx.get(f"{site.url}/")
    assert response.status_code == 200
    assert "No data yet" in response.text and 'href="/sources"' in response.text
    assert "echarts.min.js" not in response.text


def test_overview_empty_database_shows_getting_started(site: Site) -> None:
    response = httpx.get(f"{site.url}/sources")
    assert response.status_code == 200
    assert "No data yet" in response.text
    assert "cxm demo" in response.text
    assert f'{site.url}/cxm.js" data-write-key=' in response.text.replace("&#34;", '"')
    assert "echarts.min.js" not in response.text  # nothing to draw, nothing to load


def test_overview_with_data_shows_figures_charts_sources_quarantine(site: Site) -> None:
    result = site.send(sample_batch())
    assert result["accepted"] == 5 and len(result["quarantined"]) == 1

    html = httpx.get(f"{site.url}/sources").text

    channel = embedded_json(html, "channel-data")
    assert (
        channel["days"]
        == ["2026-02-01", *[f"2026-02-{d:02}" for d in range(2, 29)], "2026-03-01", "2026-03-02"][
            -30:
        ]
    )
    channel_series: list[dict[str, Any]] = channel["series"]  # type: ignore[assignment]
    series = {s["name"]: s["values"][-2:] for s in channel_series}
    assert series == {"web": [2, 1], "app": [0, 1], "email": [0, 1]}
    traffic_series: list[dict[str, Any]] = embedded_json(html, "traffic-data")["series"]  # type: ignore[assignment]
    traffic = {s["name"]: sum(s["values"]) for s in traffic_series}
    assert traffic["Paid Search"] == 1 and traffic["Organic Search"] == 1
    kpis = re.findall(r'kpi-value">([^<]+)<', html)
    assert kpis == ["5", "5", "1", "1"]  # events, people, sources, quarantined
    assert "website" in html and "UTC" in html
    assert "batch[5].type" in html and "must be one of alias" in html


def test_overview_escapes_quarantined_payloads(site: Site) -> None:
    site.send(sample_batch())
    html = httpx.get(f"{site.url}/sources").text
    assert XSS not in html
    assert "&lt;img src=x onerror=" in html


def test_overview_days_parameter_sets_chart_window(site: Site) -> None:
    site.send(sample_batch())
    html = httpx.get(f"{site.url}/sources", params={"days": "7"}).text
    days = embedded_json(html, "channel-data")["days"]
    assert days == [f"2026-02-{d}" for d in (24, 25, 26, 27, 28)] + ["2026-03-01", "2026-03-02"]
    assert '<a href="?days=7" aria-current="true">' in html


def test_overview_days_out_of_range_is_a_400_naming_the_field(site: Site) -> None:
    response = httpx.get(f"{site.url}/sources", params={"days": "0"})
    assert response.status_code == 400
    assert response.json()["field"] == "days"


def test_overview_sends_strict_content_security_policy(site: Site) -> None:
    for path in ("/", "/sources"):
        policy = httpx.get(f"{site.url}{path}").headers["content-security-policy"]
        assert "script-src 'self'" in policy and "default-src 'self'" in policy


def test_static_echarts_is_vendored_and_gzipped(site: Site) -> None:
    response = httpx.get(f"{site.url}/static/vendor/echarts/echarts.min.js")
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "Apache Software Foundation" in response.text[:2000]


def test_tracker_route_serves_javascript_with_server_consent_default(site: Site) -> None:
    response = httpx.get(f"{site.url}/cxm.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert 'const SERVER = {"consentRequired": false};' in response.text
    plain, compressed = tracker_script(consent_required=True)
    assert b'{"consentRequired": true}' in plain
    assert len(compressed) < 6 * 1024  # what a customer's page downloads


def test_tracker_route_follows_consent_setting() -> None:
    app = FastAPI()
    install_web(app)
    from tests.support.inprocess import serve_in_thread

    app.state.cxm = type("State", (), {"settings": Settings(tracker_consent_required=True)})()
    with serve_in_thread(app) as url:
        assert '{"consentRequired": true}' in httpx.get(f"{url}/cxm.js").text


def test_navigation_links_only_pages_that_exist() -> None:
    app = FastAPI()
    install_web(app)
    links = {link.label: link for link in navigation_for(app, "/")}
    assert links["Overview"].available and links["Overview"].current
    assert links["Data sources"].available and not links["Data sources"].current
    assert links["Profiles"].available
    # An app without a route at a path greys its entry out until one serves it.
    bare = FastAPI()
    assert not {link.label: link for link in navigation_for(bare, "/")}["Surveys"].available

    @bare.get("/surveys")
    def surveys() -> str:
        return "later issue"

    assert {link.label: link for link in navigation_for(bare, "/")}["Surveys"].available
