"""The Overview page in a real headless Chromium against `cxm serve` run as a subprocess."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cxm.collect.sources import create_source
from cxm.store import open_database
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
    page.goto(f"{server_with_data.url}/")
    for chart in ("channel-chart", "traffic-chart"):
        page.wait_for_function(f"(id) => ({PAINTED_PIXELS})(id) > 500", arg=chart)
    assert chart_series(page, "channel-chart") == ["web", "app", "email"]
    assert set(chart_series(page, "traffic-chart")) >= {"Paid Search", "Organic Search"}
    assert page.locator("nav[aria-label=Main] a[aria-current=page]").inner_text() == "Overview"
    assert page.locator("main h1").inner_text() == "Overview"
    assert page.evaluate("window.__xss") is None  # the quarantined payload stayed text
    assert tab.errors == []  # no script errors, no CSP violations


def test_overview_fits_a_phone_screen(server_with_data: RunningServer, chromium: Any) -> None:
    context = chromium.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(f"{server_with_data.url}/")
        page.wait_for_function(f"(id) => ({PAINTED_PIXELS})(id) > 500", arg="channel-chart")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        box = page.locator("#channel-chart").bounding_box()
        assert box is not None and box["width"] <= 375
    finally:
        context.close()
