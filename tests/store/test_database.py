from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from cxm.store import Database, apply_migrations, current_version, open_database
from cxm.store.factory import UnsupportedDatabaseURL
from cxm.store.migrations import available_migrations


def _sources(n: int, start: int = 0) -> pa.Table:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [f"src{i}" for i in range(start, start + n)]
    return pa.table(
        {
            "source_id": ids,
            "name": ids,
            "write_key": [f"wk{i}" for i in range(start, start + n)],
            "kind": ["http"] * n,
            "channel": ["web"] * n,
            "created_at": pa.array([now] * n, pa.timestamp("us", tz="UTC")),
        }
    )


def test_migrations_bring_schema_to_newest_version(database: Database) -> None:
    newest = available_migrations()[-1].version
    assert current_version(database) == newest
    assert {"events", "sources", "quarantine", "customer_records"} <= set(database.table_names())


def test_migrations_rerun_applies_nothing(database: Database) -> None:
    assert apply_migrations(database) == []


def test_append_with_conflict_columns_skips_stored_and_repeated_keys(database: Database) -> None:
    assert database.append("sources", _sources(3), ["source_id"]) == 3
    repeated = pa.concat_tables([_sources(2, start=2), _sources(1, start=4)])
    assert database.append("sources", repeated, ["source_id"]) == 2
    assert database.scalar("SELECT count(*) FROM sources") == 5


def test_transaction_rolls_back_on_error(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as tx:
        tx.append("sources", _sources(2))
        raise RuntimeError("boom")
    assert database.scalar("SELECT count(*) FROM sources") == 0


def test_query_dicts_names_columns(database: Database) -> None:
    database.append("sources", _sources(1))
    rows = database.query_dicts("SELECT name, kind FROM sources WHERE name = ?", ["src0"])
    assert rows == [{"name": "src0", "kind": "http"}]


def test_json_text_with_nul_escape_is_stored(database: Database) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    table = pa.table(
        {
            "quarantine_id": ["q1"],
            "kind": ["event"],
            "origin": ["api"],
            "reason": ["x"],
            "payload": ['{"a": "b"}'],
            "received_at": pa.array([now], pa.timestamp("us", tz="UTC")),
        }
    )
    assert database.append("quarantine", table) == 1


def test_unknown_database_url_is_a_clear_error() -> None:
    with pytest.raises(UnsupportedDatabaseURL, match="CXM_DATABASE_URL"):
        open_database("mysql://nope")


def test_percent_operator_works_with_and_without_parameters(database: Database) -> None:
    assert database.scalar("SELECT 7 % 5") == 2
    assert database.scalar("SELECT 7 % 5 + ?", [1]) == 3
    assert database.scalar("SELECT 'a%b' LIKE 'a%'") is True
