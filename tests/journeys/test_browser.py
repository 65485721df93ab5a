"""The four journey pages in a real headless Chromium, on a small loaded demo, served by
``cxm serve`` in a subprocess: each page shows the demo's own numbers and draws."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cxm.demo.config import DemoConfig
from cxm.demo.generate import generate
from cxm.demo.load import load
from cxm.journeys.funnels import compute_funnel
from cxm.journeys.stages import refresh_stages
from cxm.store import open_database
from tests.support.browser import Tab
from tests.support.server import RunningServer, running_server

pytestmark = pytest.mark.browser

PAINTED = """(id) => {
  const canvas = document.querySelector('#' + id + ' canvas');
  if (!canvas) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
}"""
STEPS = "Product Viewed,Product Added,Checkout Started,Order Completed"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, int]]:
    tmp = tmp_path_factory.mktemp("journeys-demo")
    files = generate(DemoConfig.of_size("small", seed=11), tmp / "data")
    url = f"duckdb:///{tmp / 'cxm.duckdb'}"
    database = open_database(url)
    load(database, files)
    refresh_stages(database)
    entered = compute_funnel(database, STEPS.split(",")).entered
    database.close()  # the server process becomes the file's only owner
    with running_server(url, {"CXM_AUTH_REQUIRED": "false"}, log_dir=tmp) as server:
        yield server, entered


def test_journey_pages_show_demo_numbers(demo: tuple[RunningServer, int], tab: Tab) -> None:
    server, entered = demo
    page: Any = tab.page
    page.goto(f"{server.url}/funnels")
    page.wait_for_function(f"(id) => ({PAINTED})(id) > 500", arg="funnel-chart")
    assert entered > 0
    assert page.locator("#funnel-entered").inner_text() == f"{entered:,}"
    assert page.locator("#funnel-table tbody tr").count() == 4

    page.goto(f"{server.url}/paths?event=Product+Added")
    page.wait_for_function(f"(id) => ({PAINTED})(id) > 500", arg="paths-chart")
    assert int(page.locator("#paths-anchors").inner_text().replace(",", "")) > 0

    page.goto(f"{server.url}/cohorts?period=month")
    rows = page.locator("#cohort-table tbody tr")
    assert rows.count() > 2
    assert "%" in rows.nth(0).inner_text()

    page.goto(f"{server.url}/journeys")
    page.wait_for_function(f"(id) => ({PAINTED})(id) > 500", arg="transitions-chart")
    assert page.locator("#journey-map tbody tr").count() >= 3
    assert "events" in page.locator("#journey-map").inner_text()
    assert "%" in page.locator("#switch-share").inner_text()
    assert page.locator("#blueprint tbody tr").count() >= 5
    assert page.locator("nav[aria-label=Main] a[aria-current=page]").inner_text() == "Journey map"
    assert tab.errors == []  # no script errors, no CSP violations
