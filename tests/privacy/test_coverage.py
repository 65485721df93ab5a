"""Every table must say how erase finds a person's rows in it (or that it holds none)."""

from __future__ import annotations

from cxm.privacy import declared_tables, no_personal_data_tables, uncovered_tables
from cxm.privacy.coverage import table_columns
from cxm.store import Database


def test_coverage_every_table_is_covered_or_declared(database: Database) -> None:
    assert uncovered_tables(database) == [], (
        "declare these tables in cxm.privacy.coverage or <package>/personal_data.py "
        "or give them a profile_id column"
    )


def test_coverage_new_table_without_profile_id_is_reported(database: Database) -> None:
    database.execute("CREATE TABLE newsletter_signups (email TEXT, signed_up_at TIMESTAMPTZ)")
    assert uncovered_tables(database) == ["newsletter_signups"]
    database.execute("CREATE TABLE scores (profile_id TEXT, clv DOUBLE PRECISION)")
    assert "scores" not in uncovered_tables(database)


def test_coverage_declared_columns_exist(database: Database) -> None:
    columns = table_columns(database)
    for table, declared in declared_tables().items():
        if table not in columns:
            continue  # a later issue's table, declared ahead of its migration
        named = {
            *declared.values,
            *declared.emails,
            *declared.labels,
            *declared.profile_refs,
            *declared.texts,
            *(c for pair in declared.typed for c in pair),
            *(c for pair in declared.records for c in pair),
        }
        assert named <= set(columns[table]), (table, named - set(columns[table]))


def test_coverage_no_personal_data_tables_exist(database: Database) -> None:
    # A stale entry would hide a renamed table that now holds personal data.
    assert set(no_personal_data_tables()) <= set(table_columns(database))
