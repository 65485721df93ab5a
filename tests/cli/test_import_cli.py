from __future__ import annotations

from pathlib import Path

import pytest

from cxm.store import open_database
from tests.collect.importers.files import write_rows
from tests.support.cli import cxm

CUSTOMERS = [
    {"id": "1", "FirstName": "Ana", "email": "ana@example.com", "tier": "gold"},
    {"id": "", "FirstName": "No Id", "email": "x@example.com", "tier": ""},
]


def test_import_customers_cli_prints_summary_and_reimport_says_nothing_new(
    database_file: Path, tmp_path: Path
) -> None:
    path = write_rows(tmp_path, "crm", CUSTOMERS, "csv")
    args = ["import", "customers", str(path), "--source", "crm", "--id-column", "id"]
    code, output = cxm(*args, "--map", "first_name=FirstName")
    assert code == 0, output
    assert "stored (new)" in output and "quarantined" in output and "id" in output
    code, output = cxm(*args, "--map", "first_name=FirstName")
    assert code == 0 and "nothing new" not in output  # a quarantined row remains
    database = open_database(f"duckdb:///{database_file}")
    try:
        assert database.query("SELECT record_id, first_name FROM customer_records") == [
            ("1", "Ana")
        ]
        assert database.scalar("SELECT count(*) FROM import_runs") == 2
    finally:
        database.close()


def test_import_events_cli_reimport_reports_duplicates(database_file: Path, tmp_path: Path) -> None:
    rows = [{"type": "track", "event": "Opened", "userId": "u1", "messageId": "m1"}]
    path = write_rows(tmp_path, "events", rows, "jsonl")
    assert cxm("import", "events", str(path))[0] == 0
    code, output = cxm("import", "events", str(path))
    assert code == 0 and "nothing new" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "orders", "missing.csv"], "no such file"),
        (["import", "orders", "data.txt"], "unknown format"),
        (["import", "tickets", "{orders}"], "missing required column"),
        (["import", "customers", "{orders}", "--source", "s", "--id-column", "nope"], "nope"),
    ],
)
def test_import_cli_unusable_input_exits_2_with_clear_message(
    database_file: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    orders = write_rows(tmp_path, "orders", [{"order_id": "o1", "amount": 1}], "csv")
    (tmp_path / "data.txt").write_text("x", encoding="utf-8")
    resolved = [a.replace("{orders}", str(orders)) for a in args]
    resolved = [str(tmp_path / a) if a.endswith((".csv", ".txt")) else a for a in resolved]
    code, output = cxm(*resolved)
    assert code == 2
    assert message in output


def test_import_cli_bad_map_option_exits_2(database_file: Path, tmp_path: Path) -> None:
    path = write_rows(tmp_path, "crm", CUSTOMERS, "csv")
    code, output = cxm(
        "import", "customers", str(path), "--source", "crm", "--id-column", "id", "--map", "oops"
    )
    assert code == 2 and "field=column" in output


def test_import_cli_exits_1_when_every_row_is_quarantined(
    database_file: Path, tmp_path: Path
) -> None:
    rows = [{"order_id": "o1", "customer_id": "c", "timestamp": "never", "amount": 1,
             "currency": "EUR"}]  # fmt: skip
    code, output = cxm("import", "orders", str(write_rows(tmp_path, "o", rows, "csv")))
    assert code == 1 and "every row was quarantined" in output
