"""The journeys API and pages over real HTTP (in-process server, DuckDB)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cxm.api.app import create_app
from cxm.journeys.stages import refresh_stages
from cxm.settings import Settings
from cxm.store import open_database
from tests.journeys.fixtures import Ev, add_events, at
from tests.support.inprocess import serve_in_thread


def _events() -> list[Ev]:
    return [
        Ev("h1", "Home", at(0), type="page"), Ev("h1", "Product Added", at(0, 0.1)),
        Ev("h1", "Order Completed", at(0, 0.2)), Ev("h1", "Order Completed", at(9)),
        Ev("h2", "Home", at(1), type="page", channel="app"), Ev("h2", "Product Added", at(1, 0.1)),
    ]  # fmt: skip


def _serve(tmp: Path, auth_required: bool) -> Iterator[str]:
    url = f"duckdb:///{tmp / 'cxm.duckdb'}"
    database = open_database(url)
    add_events(database, _events())
    refresh_stages(database)
    app = create_app(Settings(database_url=url, auth_required=auth_required), database=database)
    try:
        with serve_in_thread(app) as base:
            yield base
    finally:
        database.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(tmp_path_factory.mktemp("http"), auth_required=False)


def test_funnel_api(base: str) -> None:
    r = httpx.get(
        f"{base}/v1/journeys/funnel", params={"steps": "Home,Product Added,Order Completed"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [s["persons"] for s in body["step_stats"]] == [2, 2, 1]
    r = httpx.get(
        f"{base}/v1/journeys/funnel", params={"steps": "Home,Order Completed", "by": "channel"}
    )
    assert {g["value"]: g["converted"] for g in r.json()["breakdown"]} == {"web": 1, "app": 0}


def test_retention_paths_stages_api(base: str) -> None:
    r = httpx.get(
        f"{base}/v1/journeys/retention",
        params={
            "start_event": "Order Completed",
            "return_event": "Order Completed",
            "period": "week",
        },
    )
    assert r.status_code == 200, r.text
    cohort = r.json()["cohorts"][0]
    assert (cohort["cohort"], cohort["size"], cohort["retained"][:2]) == ("2025-01-06", 1, [1, 1])
    r = httpx.get(f"{base}/v1/journeys/paths", params={"event": "Home"})
    assert r.json()["top_transitions"] == [["Product Added", 2]]
    r = httpx.get(f"{base}/v1/journeys/stages")
    assert r.json()["by_stage"] == {
        "awareness": 1, "acquisition": 0, "conversion": 0, "retention": 1, "advocacy": 0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("funnel", {"steps": "A"}, "steps"),
        ("funnel", {"steps": "A,B", "window": "soon"}, "window"),
        ("funnel", {"steps": "A,B", "by": "shoe_size"}, "by"),
        ("funnel", {"steps": "A,B", "from": "yesterday"}, "from"),
        ("retention", {"start_event": "A", "return_event": "B", "period": "year"}, "period"),
        ("retention", {"start_event": "A"}, "return_event"),
        ("paths", {"event": "A", "depth": "many"}, "depth"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    base: str, path: str, params: dict[str, str], field: str
) -> None:
    r = httpx.get(f"{base}/v1/journeys/{path}", params=params)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field


def test_pages_show_numbers(base: str) -> None:
    page = httpx.get(f"{base}/funnels", params={"steps": "Home,Product Added,Order Completed"})
    assert page.status_code == 200
    assert 'id="funnel-entered">2<' in page.text
    assert "50.0%" in page.text
    cohorts = httpx.get(f"{base}/cohorts", params={"period": "week"})
    assert cohorts.status_code == 200 and "2025-01-06" in cohorts.text
    paths = httpx.get(f"{base}/paths", params={"event": "Home"})
    assert paths.status_code == 200 and "Product Added (2)" in paths.text
    journeys = httpx.get(f"{base}/journeys")
    assert journeys.status_code == 200 and 'id="journey-map"' in journeys.text
    bad = httpx.get(f"{base}/funnels", params={"steps": "A"})
    assert bad.status_code == 400 and "give at least two steps" in bad.text


def test_api_needs_analytics_read(tmp_path: Path) -> None:
    for base in _serve(tmp_path, auth_required=True):
        r = httpx.get(f"{base}/v1/journeys/stages")
        assert r.status_code == 401
        assert r.json()["field"] == "Authorization"


def test_funnel_page_date_range(base: str) -> None:
    # h2 entered on d1 (2025-01-07): a range from that day keeps only h2.
    page = httpx.get(
        f"{base}/funnels", params={"steps": "Home,Product Added", "from": "2025-01-07", "to": ""}
    )
    assert page.status_code == 200
    assert 'id="funnel-entered">1<' in page.text
    bad = httpx.get(f"{base}/funnels", params={"steps": "Home,Product Added", "from": "soon"})
    assert bad.status_code == 400 and "from" in bad.text


def test_journey_map_api(base: str) -> None:
    r = httpx.get(f"{base}/v1/journeys/map")
    assert r.status_code == 200, r.text
    body = r.json()
    cells = {(c["stage"], c["touchpoint"]): c["events"] for c in body["cells"]}
    # h1: Home (awareness), its add-to-cart and first order (conversion), second order
    # 9 days later (retention); h2: awareness only. h1 has two journeys (9-day gap).
    assert cells[("retention", "web")] == 1
    assert cells[("awareness", "app")] == 1  # h2's Home screen (its add-to-cart is web)
    assert body["continuity"]["journeys"] == 3
    assert len(body["blueprint"]) >= 5
