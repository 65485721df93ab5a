"""A generated demo loads end to end through the importers, on DuckDB and PostgreSQL."""

from __future__ import annotations

import pytest

from cxm.demo.config import DemoConfig
from cxm.demo.files import DemoFiles
from cxm.demo.generate import generate
from cxm.demo.load import load, table_counts
from cxm.store import Database
from tests.demo.conftest import read_csv

TINY = DemoConfig(customers=120, events=3_000, seed=11)


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate(TINY, tmp_path_factory.mktemp("tiny") / "files")


def test_demo_loads_every_file_with_expected_counts(
    database: Database, tiny_files: DemoFiles
) -> None:
    result = load(database, tiny_files)
    counts = table_counts(database)
    tickets = read_csv(tiny_files, "tickets.csv")
    resolved = sum(1 for t in tickets if t["resolved_at"])
    assert result.rows_quarantined == 0 and counts["quarantine"] == 0
    assert counts["customer_records"] == tiny_files.rows("customers")
    assert counts["orders"] == tiny_files.rows("orders")
    assert counts["tickets"] == len(tickets)
    assert counts["reviews"] == tiny_files.rows("reviews")
    # Orders and tickets also arrive as Order Completed / Ticket Created / Resolved events.
    assert counts["events"] == (
        tiny_files.rows("events") + tiny_files.rows("orders") + len(tickets) + resolved
    )
    assert counts["sessions"] > 0 and counts["person_touch"] > 0
    assert counts["import_runs"] == len(tiny_files.imports)
    channels = {row[0] for row in database.query("SELECT DISTINCT channel FROM events")}
    assert {"web", "app", "email", "store", "messaging", "social"} <= channels
    traffic = {row[0] for row in database.query("SELECT DISTINCT traffic_channel FROM sessions")}
    assert {"Direct", "Organic Search", "Email"} <= traffic


def test_demo_reload_stores_nothing_new(database: Database, tiny_files: DemoFiles) -> None:
    load(database, tiny_files)
    before = table_counts(database)
    again = load(database, tiny_files)
    after = table_counts(database)
    assert all(s.rows_stored == 0 for s in again.summaries)
    assert {k: v for k, v in after.items() if k != "import_runs"} == {
        k: v for k, v in before.items() if k != "import_runs"
    }


def test_demo_sources_get_their_channels(database: Database, tiny_files: DemoFiles) -> None:
    load(database, tiny_files)
    rows = dict(database.query("SELECT name, channel FROM sources"))
    assert rows["shop-web"] == "web" and rows["store-pos"] == "store"
    assert rows["newsletter"] == "email" and rows["helpdesk"] == "help_desk"
