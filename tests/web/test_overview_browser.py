"""In a real headless Chromium: the Data sources page (collection overview) against
`cxm serve` run as a subprocess, and the KPI Overview, KPI detail, drivers and ROI
pages against an in-process app with hand-made rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from cxm.api.app import create_app
from cxm.collect.sources import create_source
from cxm.metrics import catalogue
from cxm.metrics.dashboard import format_value
from cxm.metrics.query import KpiQuery
from cxm.settings import Settings
from cxm.store import Database, open_database
from tests.metrics.fixtures import add_answer, add_order, add_ticket, at
from tests.support.inprocess import serve_in_thread
from tests.support.server import RunningServer, running_server
from tests.web.conftest import Tab
from tests.web.messages import sample_batch

pytestmark = pytest.mark.browser

# Counts canvas pixels that something was drawn on (the canvas starts transparent).
PAINTED_PIXELS = """(id) => {
  const canvas = document.querySelector('#' + id + ' canvas');
  if (!canvas) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
}"""


@pytest.fixture(scope="module")
def server_with_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp_path = tmp_path_factory.mktemp("overview")
    url = f"duckdb:///{tmp_path / 'cxm.duckdb'}"
    database = open_database(url)
    source = create_source(database, "website", channel="web")
    database.close()  # the server process becomes the file's only owner
    with running_server(url, log_dir=tmp_path) as server:
        response = httpx.post(
            f"{server.url}/v1/batch", json={"batch": sample_batch()}, auth=(source.write_key, "")
        )
        assert response.status_code == 200, response.text
        yield server


def chart_series(page: Any, element_id: str) -> list[str]:
    names: list[str] = page.evaluate(
        "(id) => echarts.getInstanceByDom(document.getElementById(id))"
        ".getOption().series.map((s) => s.name)",
        element_id,
    )
    return names


def test_overview_charts_render_in_chromium(server_with_data: RunningServer, tab: Tab) -> None:
    page = tab.page
    page.goto(f"{server_with_data.url}/sources")
    for chart in ("channel-chart", "traffic-chart"):
        page.wait_for_function(f"(id) => ({PAINTED_PIXELS})(id) > 500", arg=chart)
    assert chart_series(page, "channel-chart") == ["web", "app", "email"]
    assert set(chart_series(page, "traffic-chart")) >= {"Paid Search", "Organic Search"}
    current = page.locator("nav[aria-label=Main] a[aria-current=page]").inner_text()
    assert current == "Data sources"
    assert page.locator("main h1").inner_text() == "Data sources"
    assert page.evaluate("window.__xss") is None  # the quarantined payload stayed text
    assert tab.errors == []  # no script errors, no CSP violations


def test_overview_fits_a_phone_screen(server_with_data: RunningServer, chromium: Any) -> None:
    context = chromium.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(f"{server_with_data.url}/sources")
        page.wait_for_function(f"(id) => ({PAINTED_PIXELS})(id) > 500", arg="channel-chart")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        box = page.locator("#channel-chart").bounding_box()
        assert box is not None and box["width"] <= 375
    finally:
        context.close()


# --- KPI pages (metrics) ---

PERIOD = "from=2026-03-01&to=2026-03-31"
PAINTED = """(sel) => {
  const canvas = document.querySelector(sel + ' canvas');
  if (!canvas) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
}"""


def _fill(database: Database) -> None:
    rng = np.random.default_rng(5)
    for i in range(60):
        person = f"p{i}"
        day = f"2026-03-{1 + i % 28:02d}"
        add_order(database, person, at(day), 20.0 + i, channel="web" if i % 3 else "app")
        add_order(database, person, at("2026-02-10"), 30.0)
        add_ticket(database, person, at(day), response_hours=1 + i % 5, resolution_hours=10)
        if "survey_answers" in database.table_names():
            delivery, price = float(rng.integers(1, 6)), float(rng.integers(1, 6))
            nps = float(min(10, max(0, round(2.3 * delivery - 1 + rng.normal(0, 0.5)))))
            for qtype, item, score in (
                ("nps", "", nps),
                ("rating", "delivery", delivery),
                ("rating", "price", price),
            ):
                add_answer(
                    database,
                    qtype,
                    score,
                    at(day),
                    item=item,
                    profile_id=person,
                    response_id=f"r{i}",
                )


@pytest.fixture
def kpi_site(tmp_path: Path) -> Iterator[tuple[str, Database]]:
    url = f"duckdb:///{tmp_path / 'cxm.duckdb'}"
    database = open_database(url)
    _fill(database)
    app = create_app(Settings(database_url=url, auth_required=False), database=database)
    try:
        with serve_in_thread(app) as base:
            yield base, database
    finally:
        database.close()


def test_overview_kpi_drivers_roi_pages_render(kpi_site: tuple[str, Database], tab: Tab) -> None:
    base, database = kpi_site
    page: Any = tab.page
    page.goto(f"{base}/?{PERIOD}&grain=week")
    page.wait_for_function(f"({PAINTED})('#spark-aov') > 50")
    query = KpiQuery(at("2026-03-01"), at("2026-04-01"), "week")
    expected = catalogue.report(database, "aov", query).data.current.value
    card = page.locator("li[data-kpi=aov] .kpi-value").inner_text()
    assert card == format_value(expected, "EUR")
    assert page.locator("li[data-kpi=first_response_time] .kpi-value").inner_text() == "3.0 h"
    assert page.locator("nav[aria-label=Main] a[aria-current=page]").inner_text() == "Overview"

    page.goto(f"{base}/metrics?kpi=aov&by=channel&{PERIOD}")
    page.wait_for_function(f"({PAINTED})('#trend-chart') > 500")
    page.wait_for_function(f"({PAINTED})('#breakdown-chart') > 500")
    rows = page.locator("#breakdown-table tbody th").all_inner_texts()
    assert sorted(rows) == ["app", "web"]

    page.goto(f"{base}/roi?{PERIOD}")
    assert page.locator("main h1").inner_text() == "CX ROI"
    assert page.locator("#revenue-at-risk").inner_text() != ""

    if "survey_answers" in database.table_names():
        page.goto(f"{base}/drivers?{PERIOD}")
        page.wait_for_function(f"({PAINTED})('#quadrant-chart') > 500")
        first = page.locator("#drivers-table tbody th").first.inner_text()
        assert first == "delivery"
        page.goto(f"{base}/roi?{PERIOD}")
        page.wait_for_function(f"({PAINTED})('#roi-chart') > 500")
    assert tab.errors == []
