"""Moving personal data between profiles, in every table that has a ``profile_id``.

Tables are discovered from ``information_schema`` each time, so a table a later
migration adds (consent, responses, scores...) moves with a merge without any
change here. ``profiles`` (its key is the id) and ``merge_members`` (a snapshot of
history) are the two tables a move must not touch.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from cxm.store import Database, Transaction

NOT_MOVED = frozenset({"profiles", "merge_members"})
MOVES_TABLE = "identity_moves_stage"
KEYS_TABLE = "identity_keys_stage"

# How each fact table's rows are keyed in the assignment staging table.
ROW_KEYS: dict[str, tuple[str, str]] = {
    "customer_records": ("source", "record_id"),
    "orders": ("source", "order_id"),
    "tickets": ("source", "ticket_id"),
    "reviews": ("source", "review_id"),
}


def profile_tables(tx: Transaction | Database) -> list[str]:
    """Base tables with a ``profile_id`` column, except those a move skips."""
    rows = tx.query(
        "SELECT c.table_name FROM information_schema.columns c "
        "JOIN information_schema.tables t "
        "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = current_schema() AND c.column_name = 'profile_id' "
        "AND t.table_type = 'BASE TABLE' ORDER BY c.table_name"
    )
    return [r[0] for r in rows if r[0] not in NOT_MOVED]


def stage(tx: Transaction, name: str, columns: str, data: pa.Table) -> None:
    tx.execute(f"DROP TABLE IF EXISTS {name}")
    tx.execute(f"CREATE TEMP TABLE {name} ({columns})")
    tx.append(name, data)


def move_profiles(tx: Transaction, moves: Sequence[tuple[str, str]]) -> None:
    """Re-point every row of each ``(from, to)`` profile pair, in every table."""
    if not moves:
        return
    data = pa.table(
        {"from_id": [m[0] for m in moves], "to_id": [m[1] for m in moves]},
    )
    stage(tx, MOVES_TABLE, "from_id TEXT, to_id TEXT", data)
    keyed = unique_keys_with_profile_id(tx)
    for table in profile_tables(tx):
        for key in keyed.get(table, []):
            _drop_colliding_rows(tx, table, key)
        tx.execute(
            f"UPDATE {table} SET profile_id = m.to_id FROM {MOVES_TABLE} m "
            f"WHERE {table}.profile_id = m.from_id"
        )
    tx.execute(f"DROP TABLE IF EXISTS {MOVES_TABLE}")


def unique_keys_with_profile_id(tx: Transaction | Database) -> dict[str, list[list[str]]]:
    """Primary and unique keys that include ``profile_id``, per table (derived per-person
    state such as scores, stages or segment memberships)."""
    rows = tx.query(
        "SELECT tc.table_name, tc.constraint_name, k.column_name "
        "FROM information_schema.table_constraints tc "
        "JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name "
        "AND k.table_name = tc.table_name AND k.table_schema = tc.table_schema "
        "WHERE tc.table_schema = current_schema() "
        "AND tc.constraint_type IN ('PRIMARY KEY', 'UNIQUE') "
        "ORDER BY tc.table_name, tc.constraint_name, k.column_name"
    )
    keys: dict[tuple[str, str], list[str]] = {}
    for table, constraint, column in rows:
        keys.setdefault((str(table), str(constraint)), []).append(str(column))
    found: dict[str, list[list[str]]] = {}
    for (table, _), columns in keys.items():
        if "profile_id" in columns:
            found.setdefault(table, []).append(columns)
    return found


def _drop_colliding_rows(tx: Transaction, table: str, key: list[str]) -> None:
    """Before moving rows to the surviving profile, drop the merged profile's rows whose
    unique key would collide with the survivor's (or with another merged profile's moving
    to the same survivor). Such tables hold per-person state that the owning stage
    recomputes, so the survivor's row wins rather than the merge failing."""
    others = [c for c in key if c != "profile_id"]
    same = "".join(f" AND o.{c} = {table}.{c}" for c in others)
    tx.execute(
        f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {MOVES_TABLE} m "
        f"WHERE m.from_id = {table}.profile_id AND ("
        f"EXISTS (SELECT 1 FROM {table} o WHERE o.profile_id = m.to_id{same}) "
        f"OR EXISTS (SELECT 1 FROM {MOVES_TABLE} m2 JOIN {table} o "
        f"ON o.profile_id = m2.from_id WHERE m2.to_id = m.to_id "
        f"AND m2.from_id < m.from_id{same})))"
    )


def assign_rows(
    tx: Transaction, table: str, keys: Sequence[tuple[str, str]], profile_ids: Sequence[str]
) -> None:
    """Set ``profile_id`` of the keyed rows of one fact table."""
    if not keys:
        return
    data = pa.table(
        {
            "k1": [k[0] for k in keys],
            "k2": [k[1] for k in keys],
            "profile_id": list(profile_ids),
        }
    )
    stage(tx, KEYS_TABLE, "k1 TEXT, k2 TEXT, profile_id TEXT", data)
    if table == "events":
        match = "events.event_key = CAST(s.k1 AS UUID)"
    else:
        first, second = ROW_KEYS[table]
        match = f"{table}.{first} = s.k1 AND {table}.{second} = s.k2"
    tx.execute(f"UPDATE {table} SET profile_id = s.profile_id FROM {KEYS_TABLE} s WHERE {match}")
    if table == "events":
        _sync_identify_traits(tx)
    tx.execute(f"DROP TABLE IF EXISTS {KEYS_TABLE}")


def fill_by_person_key(tx: Transaction, profile_id: str | None = None) -> None:
    """Sessions and first/last touch carry no links of their own: they take the
    profile of their user id (or record id of that value), else of their anonymous id.
    With ``profile_id``, those rows of that profile are recomputed (after an unmerge)."""
    where = "profile_id IS NULL" if profile_id is None else "profile_id = ?"
    params = [] if profile_id is None else [profile_id]
    by_value = (
        "(SELECT min(i.profile_id) FROM identifiers i WHERE i.id_value = {column} "
        "AND (i.id_type = 'user_id' OR i.id_type LIKE 'record:%'))"
    )
    by_anonymous = (
        "(SELECT min(i.profile_id) FROM identifiers i WHERE i.id_value = {column} "
        "AND i.id_type = 'anonymous_id')"
    )
    tx.execute(
        "UPDATE sessions SET profile_id = coalesce("
        + by_value.format(column="sessions.user_id")
        + ", "
        + by_anonymous.format(column="sessions.anonymous_id")
        + f") WHERE {where}",
        params,
    )
    tx.execute(
        "UPDATE person_touch SET profile_id = coalesce("
        + by_value.format(column="person_touch.person_key")
        + ", "
        + by_anonymous.format(column="person_touch.person_key")
        + f") WHERE {where}",
        params,
    )


# Identify calls' traits, kept per profile for the customer 360 (migration 0008): on
# DuckDB (no index on events.profile_id) reading them from events scanned the whole
# table on every lookup. Every write of an event's profile_id goes through
# ``assign_rows`` (stitch, unmerge) or ``move_profiles`` (merges, which move this table
# like any other with a profile_id), and erase deletes by profile_id, so this stays
# in step with events.
IDENTIFY_TRAITS = "identify_traits"


def _sync_identify_traits(tx: Transaction) -> None:
    """Give the staged events' identify traits the profile their event now has."""
    tx.execute(
        f"UPDATE {IDENTIFY_TRAITS} SET profile_id = s.profile_id FROM {KEYS_TABLE} s "
        f"WHERE {IDENTIFY_TRAITS}.event_key = CAST(s.k1 AS UUID)"
    )
    tx.execute(
        f"INSERT INTO {IDENTIFY_TRAITS} (event_key, profile_id, source_id, timestamp, traits) "
        "SELECT e.event_key, s.profile_id, e.source_id, e.timestamp, e.traits "
        f"FROM events e JOIN {KEYS_TABLE} s ON e.event_key = CAST(s.k1 AS UUID) "
        "WHERE e.type = 'identify' AND e.traits IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {IDENTIFY_TRAITS} t WHERE t.event_key = e.event_key)"
    )


def record_identify_traits(tx: Transaction, event_keys: Sequence[str]) -> None:
    """Copy these already attributed events' identify traits into the lookup table
    (for events written with their profile_id, as tests of the card do)."""
    if not event_keys:
        return
    found = tx.query(
        "SELECT CAST(event_key AS TEXT), profile_id FROM events "
        f"WHERE event_key IN ({', '.join('CAST(? AS UUID)' for _ in event_keys)}) "
        "AND profile_id IS NOT NULL",
        list(event_keys),
    )
    data = pa.table(
        {"k1": [r[0] for r in found], "k2": [""] * len(found), "profile_id": [r[1] for r in found]}
    )
    stage(tx, KEYS_TABLE, "k1 TEXT, k2 TEXT, profile_id TEXT", data)
    _sync_identify_traits(tx)
    tx.execute(f"DROP TABLE IF EXISTS {KEYS_TABLE}")
