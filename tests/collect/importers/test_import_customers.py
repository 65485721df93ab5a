from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from cxm.collect.importers import import_file
from cxm.store import Database
from tests.collect.importers.files import write_rows

CRM = [
    {"CustNo": "C1", "First": "Anna", "last_name": "Schmidt", "email": "anna@example.de",
     "tier": "gold", "points": 120},
    {"CustNo": "C2", "First": "李", "last_name": "明", "email": None, "tier": None, "points": 5},
    {"CustNo": None, "First": "Nobody", "last_name": "X", "email": None, "tier": None,
     "points": 0},
]  # fmt: skip


def _records(database: Database) -> list[dict[str, object]]:
    return database.query_dicts(
        "SELECT record_id, first_name, last_name, email, CAST(traits AS TEXT) AS traits "
        "FROM customer_records ORDER BY record_id"
    )


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_customers_import_maps_fields_keeps_traits_and_quarantines_missing_id(
    database: Database, tmp_path: Path, fmt: str
) -> None:
    path = write_rows(tmp_path, "crm", CRM, fmt)
    summary = import_file(
        database, "customers", path, source="crm", id_column="CustNo",
        mapping={"first_name": "First"},
    )  # fmt: skip
    assert (summary.rows_stored, summary.rows_quarantined) == (2, 1)
    assert (summary.quarantined[0].line, summary.quarantined[0].field) == (
        4 if fmt == "csv" else 3,
        "CustNo",
    )
    records = _records(database)
    assert [(r["record_id"], r["first_name"], r["email"]) for r in records] == [
        ("C1", "Anna", "anna@example.de"),
        ("C2", "李", None),
    ]
    traits = orjson.loads(str(records[0]["traits"]))
    assert traits == {"tier": "gold", "points": "120" if fmt == "csv" else 120}


def test_customers_reimport_counts_duplicates_and_updates_changed_records(
    database: Database, tmp_path: Path
) -> None:
    first = write_rows(tmp_path, "crm", CRM[:2], "jsonl")
    import_file(database, "customers", first, source="crm", id_column="CustNo")
    changed = [dict(CRM[0], email="anna@new.example"), CRM[1]]
    second = write_rows(tmp_path / "..", "crm2", changed, "jsonl")
    summary = import_file(database, "customers", second, source="crm", id_column="CustNo")
    assert (summary.rows_stored, summary.rows_updated, summary.rows_duplicate) == (0, 1, 1)
    assert _records(database)[0]["email"] == "anna@new.example"
    assert database.scalar("SELECT count(*) FROM customer_records") == 2


def test_customers_same_id_in_other_source_is_another_record(
    database: Database, tmp_path: Path
) -> None:
    path = write_rows(tmp_path, "crm", CRM[:1], "csv")
    import_file(database, "customers", path, source="crm", id_column="CustNo")
    import_file(database, "customers", path, source="loyalty", id_column="CustNo")
    assert database.scalar("SELECT count(*) FROM customer_records") == 2


def test_customers_import_needs_source_and_id_column(database: Database, tmp_path: Path) -> None:
    path = write_rows(tmp_path, "crm", CRM[:1], "csv")
    with pytest.raises(ValueError, match="source"):
        import_file(database, "customers", path, id_column="CustNo")


def test_customer_import_registers_its_source_with_last_seen(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("CustNo,first_name\n1,Ana\n")
    import_file(database, "customers", path, source="crm", id_column="CustNo")
    rows = database.query("SELECT kind, last_seen_at IS NOT NULL FROM sources WHERE name = 'crm'")
    assert rows == [("import", True)]
