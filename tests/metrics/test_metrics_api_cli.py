"""GET /v1/metrics[/{kpi}] over real HTTP and `cxm metrics show|list`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cxm.api.app import create_app
from cxm.auth import create_api_key
from cxm.settings import Settings
from cxm.store import Database, open_database
from tests.metrics.fixtures import add_order, add_ticket, at
from tests.support.cli import cxm
from tests.support.inprocess import serve_in_thread


@pytest.fixture
def client(database: Database, database_url: str) -> Iterator[httpx.Client]:
    app = create_app(Settings(database_url=database_url, secret_key="t"), database=database)
    _, secret = create_api_key(database, "analyst", ["analytics:read"], "test")
    with (
        serve_in_thread(app) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=30) as c,
    ):
        yield c


def _orders(database: Database) -> None:
    add_order(database, "A", at("2026-03-02"), 100.0, channel="web")
    add_order(database, "B", at("2026-03-03"), 50.0, channel="app")
    add_order(database, "B", at("2026-03-20"), 30.0, channel="app")
    add_ticket(database, "A", at("2026-03-05"), response_hours=2, csat=5)


@pytest.mark.backends("duckdb")
def test_api_catalogue_kpi_and_errors(client: httpx.Client, database: Database) -> None:
    _orders(database)
    listed = client.get("/v1/metrics")
    assert listed.status_code == 200, listed.text
    ids = [k["id"] for k in listed.json()["kpis"]]
    assert {"nps", "retention_rate", "aov", "self_service_adoption"} <= set(ids)

    response = client.get(
        "/v1/metrics/aov", params={"from": "2026-03-01", "to": "2026-03-31", "by": "channel"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["value"]["value"] == pytest.approx(60.0)
    assert (body["from"], body["to"]) == ("2026-03-01", "2026-03-31")
    assert {g["group"]: g["value"] for g in body["breakdown"]} == {"app": 40.0, "web": 100.0}
    filtered = client.get("/v1/metrics/aov", params={"from": "2026-03-01", "channel": "web"})
    assert filtered.json()["value"]["value"] == pytest.approx(100.0)

    unknown = client.get("/v1/metrics/happiness")
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "kpi"
    bad_dim = client.get("/v1/metrics/aov", params={"by": "colour"})
    assert (bad_dim.status_code, bad_dim.json()["field"]) == (400, "by")
    bad_date = client.get("/v1/metrics/aov", params={"from": "March"})
    assert (bad_date.status_code, bad_date.json()["field"]) == (400, "from")
    bad_grain = client.get("/v1/metrics/aov", params={"grain": "hour"})
    assert (bad_grain.status_code, bad_grain.json()["field"]) == (400, "grain")
    stray = client.get("/v1/metrics/aov", params={"colour": "red"})
    assert (stray.status_code, stray.json()["field"]) == (400, "colour")


@pytest.mark.backends("duckdb")
def test_api_needs_analytics_read(database: Database, database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, secret_key="t"), database=database)
    _, secret = create_api_key(database, "desk", ["profiles:read"], "test")
    with serve_in_thread(app) as url:
        response = httpx.get(
            f"{url}/v1/metrics/nps", headers={"Authorization": f"Bearer {secret}"}, timeout=10
        )
    assert response.status_code == 403


def test_cli_show_json_and_errors(database_file: Path) -> None:
    database = open_database(f"duckdb:///{database_file}")
    try:
        _orders(database)
    finally:
        database.close()
    code, output = cxm(
        "metrics",
        "show",
        "aov",
        "--by",
        "channel",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--json",
    )
    assert code == 0, output
    body = json.loads(output)
    assert body["kpi"]["id"] == "aov" and body["value"]["value"] == pytest.approx(60.0)
    assert body["by"] == "channel" and len(body["breakdown"]) == 2
    code, output = cxm("metrics", "show", "first_response_time", "--from", "2026-03-01")
    assert code == 0 and "2.00" in output
    code, output = cxm("metrics", "show", "aov", "--by", "colour")
    assert code == 2 and "--by" in output
    code, output = cxm("metrics", "show", "happiness")
    assert code == 2 and "KPI" in output
    code, output = cxm("metrics", "list")
    assert code == 0 and "retention" in output.lower()


def test_overview_page_cards_on_both_backends(database: Database, database_url: str) -> None:
    _orders(database)
    app = create_app(Settings(database_url=database_url, auth_required=False), database=database)
    with serve_in_thread(app) as url:
        response = httpx.get(
            f"{url}/", params={"from": "2026-03-01", "to": "2026-03-31"}, timeout=60
        )
        filtered = httpx.get(
            f"{url}/",
            params={"from": "2026-03-01", "to": "2026-03-31", "channel": "web"},
            timeout=60,
        )
    assert response.status_code == 200
    card = response.text.split('data-kpi="aov"')[1]
    assert '<span class="kpi-value">60.00 EUR</span>' in card
    assert '<span class="kpi-value">100.00 EUR</span>' in filtered.text.split('data-kpi="aov"')[1]
    # churn has no channel dimension: its card says it is not filtered
    assert "not filtered by channel" in filtered.text.split('data-kpi="churn_rate"')[1]
