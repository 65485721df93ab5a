"""Breakdown dimensions shared by every KPI.

A dimension is either *native* to a KPI's fact rows (the touchpoint channel of an
order, the touchpoint of a survey answer) or a *person* dimension reached through
``profile_id`` (country of the customer record, first-touch traffic channel, the
engage segment, the journeys lifecycle stage). Person dimensions whose table does
not exist yet (another stage's migration) are simply not offered.
"""

from __future__ import annotations

from dataclasses import dataclass

from cxm.store import Database

DIMENSIONS: dict[str, str] = {
    "channel": "touchpoint channel of the interaction (web, app, store, email, …)",
    "traffic_channel": "the person's first-touch traffic channel (GA4 default channel group)",
    "touchpoint": "where the survey was answered (checkout, delivery, support, …)",
    "segment": "engage segment the person is a member of (one person can be in several)",
    "lifecycle_stage": "the person's current lifecycle stage (journeys)",
    "country": "country on the person's customer record",
    "language": "language the survey was answered in",
}


@dataclass(frozen=True)
class PersonDimension:
    """A dimension reached through profile_id: a subquery (profile_id, value)."""

    table: str
    subquery: str


PERSON_DIMENSIONS: dict[str, PersonDimension] = {
    "country": PersonDimension(
        "customer_records",
        "SELECT profile_id, min(country) AS value FROM customer_records "
        "WHERE profile_id IS NOT NULL AND country IS NOT NULL GROUP BY profile_id",
    ),
    "traffic_channel": PersonDimension(
        "person_touch",
        "SELECT profile_id, value FROM (SELECT profile_id, first_channel AS value, "
        "row_number() OVER (PARTITION BY profile_id ORDER BY first_seen_at) AS k "
        "FROM person_touch WHERE profile_id IS NOT NULL) t WHERE k = 1",
    ),
    # engage's segments by name (segment_members and segments come in one migration)
    "segment": PersonDimension(
        "segment_members",
        "SELECT m.profile_id, s.name AS value FROM segment_members m "
        "JOIN segments s ON s.segment_id = m.segment_id",
    ),
    "lifecycle_stage": PersonDimension(
        "lifecycle_stages", "SELECT profile_id, stage AS value FROM lifecycle_stages"
    ),
}


def available_person_dimensions(tables: set[str]) -> tuple[str, ...]:
    return tuple(name for name, dim in PERSON_DIMENSIONS.items() if dim.table in tables)


@dataclass(frozen=True)
class DimensionSql:
    """The join (if any) and the expression of one dimension over fact alias ``f``."""

    join: str
    expression: str


def dimension_sql(name: str, native: dict[str, str], alias: str) -> DimensionSql:
    """SQL for dimension ``name``: a native column of the fact, else a person join.

    Segment is an inner join (a person in two segments counts in both, a person in
    none is not in the breakdown); the others are left joins with 'unknown'.
    """
    if name in native:
        return DimensionSql("", f"coalesce(CAST(f.{native[name]} AS TEXT), 'unknown')")
    person = PERSON_DIMENSIONS[name]
    kind = "JOIN" if name == "segment" else "LEFT JOIN"
    join = f" {kind} ({person.subquery}) {alias} ON {alias}.profile_id = f.profile_id"
    return DimensionSql(join, f"coalesce(CAST({alias}.value AS TEXT), 'unknown')")


def filter_sql(name: str, native: dict[str, str]) -> str:
    """A WHERE condition ``… = ?`` for a filter on dimension ``name`` (one parameter)."""
    if name in native:
        return f"CAST(f.{native[name]} AS TEXT) = ?"
    person = PERSON_DIMENSIONS[name]
    return (
        f"EXISTS (SELECT 1 FROM ({person.subquery}) d "
        "WHERE d.profile_id = f.profile_id AND CAST(d.value AS TEXT) = ?)"
    )


def table_set(database: Database) -> set[str]:
    return set(database.table_names())
