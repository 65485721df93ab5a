"""Where personal data lives: the declared map erase and export rely on.

A table is covered when it has a ``profile_id`` column (discovered from
information_schema, so new tables with one are covered automatically) and/or is
declared below with the columns that carry identifiers for rows whose profile_id
is not (yet) filled. Tables that hold no customer's personal data are listed in
``NO_PERSONAL_DATA``. ``tests/privacy/test_coverage.py`` fails when a table is in
none of these, so every new table must register here or in its package's
``personal_data.py``.
"""

from __future__ import annotations

from importlib import import_module

from cxm.privacy.identifier_columns import IdentifierColumns
from cxm.store import Database

# Later stages declare their own tables in ``<package>/personal_data.py`` (dicts named
# DECLARED and NO_PERSONAL_DATA, same meaning as below), so each package owns its map.
STAGE_MAPS = (
    "cxm.voc.personal_data",
    "cxm.voc.text.personal_data",
    "cxm.metrics.personal_data",
    "cxm.journeys.personal_data",
    "cxm.predict.personal_data",
    "cxm.engage.personal_data",
    "cxm.recommend.personal_data",
)


_FOUNDATION_DECLARED: dict[str, IdentifierColumns] = {
    "events": IdentifierColumns(values=("anonymous_id", "user_id", "previous_id")),
    "sessions": IdentifierColumns(values=("anonymous_id", "user_id", "person_key")),
    "person_touch": IdentifierColumns(values=("person_key",)),
    "customer_records": IdentifierColumns(
        values=("record_id", "phone"), emails=("email",), records=(("source", "record_id"),)
    ),
    "orders": IdentifierColumns(values=("customer_id",), emails=("customer_id",)),
    "tickets": IdentifierColumns(values=("customer_id",), emails=("customer_id",)),
    "reviews": IdentifierColumns(values=("author_handle",)),
    "quarantine": IdentifierColumns(texts=("payload",)),
    # An identify call attributed to someone else (a shared identifier) can carry this
    # person's e-mail or phone in its traits: searched as text, like the quarantine.
    "identify_traits": IdentifierColumns(texts=("traits",)),
    "profiles": IdentifierColumns(profile_refs=("merged_into",)),
    "identifiers": IdentifierColumns(typed=(("id_type", "id_value"),)),
    "identity_links": IdentifierColumns(
        typed=(("left_type", "left_value"), ("right_type", "right_value"))
    ),
    "merges": IdentifierColumns(profile_refs=("kept", "merged")),
    "merge_members": IdentifierColumns(typed=(("id_type", "id_value"),)),
    "link_reviews": IdentifierColumns(
        records=(("left_source", "left_record_id"), ("right_source", "right_record_id")),
        profile_refs=("other_profile_id",),
    ),
    "consent_ledger": IdentifierColumns(labels=("identifier",)),
    "preference_entries": IdentifierColumns(labels=("identifier",)),
}

# Tables with no customer's personal data; why, per table.
_FOUNDATION_NO_PERSONAL_DATA: dict[str, str] = {
    "schema_migrations": "schema versions",
    "sources": "systems that send data",
    "import_runs": "file names, hashes and counts",
    "auth_users": "staff accounts, not customers",
    "api_keys": "hashed keys and scopes",
    "auth_sessions": "hashed staff session tokens",
    "auth_secrets": "signing and pseudonymisation keys",
    "audit_log": "profile ids or hashed identifiers only; must outlive an erase",
    "erase_receipts": "counts and a hash, by design",
}


def declared_tables() -> dict[str, IdentifierColumns]:
    """Every declared table: the foundation's and each stage package's."""
    merged = dict(_FOUNDATION_DECLARED)
    for name in STAGE_MAPS:
        merged.update(getattr(import_module(name), "DECLARED", {}))
    return merged


def no_personal_data_tables() -> dict[str, str]:
    merged = dict(_FOUNDATION_NO_PERSONAL_DATA)
    for name in STAGE_MAPS:
        merged.update(getattr(import_module(name), "NO_PERSONAL_DATA", {}))
    return merged


def base_tables(database: Database) -> list[str]:
    rows = database.query(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
        "ORDER BY table_name"
    )
    return [str(r[0]) for r in rows]


def table_columns(database: Database) -> dict[str, dict[str, str]]:
    """table -> column -> lower-cased data type, for base tables of the current schema."""
    rows = database.query(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_name = c.table_name "
        "AND t.table_schema = c.table_schema "
        "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
        "ORDER BY c.table_name, c.ordinal_position"
    )
    found: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        found.setdefault(str(table), {})[str(column)] = str(data_type).lower()
    return found


def personal_tables(database: Database) -> dict[str, IdentifierColumns | None]:
    """Every table that may hold a person's rows, with its declared identifier columns.

    None means covered by ``profile_id`` alone.
    """
    columns = table_columns(database)
    declared = declared_tables()
    tables: dict[str, IdentifierColumns | None] = {}
    for table, table_cols in columns.items():
        if table in declared:
            tables[table] = declared[table]
        elif "profile_id" in table_cols:
            tables[table] = None
    return tables


def uncovered_tables(database: Database) -> list[str]:
    """Tables neither covered by profile_id, nor declared, nor declared free of personal data."""
    columns = table_columns(database)
    declared, free = declared_tables(), no_personal_data_tables()
    return sorted(
        t
        for t, cols in columns.items()
        if "profile_id" not in cols and t not in declared and t not in free
    )
