"""Segments: definitions, full recompute, real-time update of a few persons, export.

Membership is one SQL predicate (``cxm.engage.conditions``) evaluated over
``profiles``; the full recompute runs it for everyone, the real-time path for the
persons of the events just committed. Both diff against ``segment_members`` and write
the same things: member rows, a ``segment_counts`` row, and ``Segment Entered`` /
``Segment Exited`` events from the system source.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from cxm.engage.conditions import ConditionError, compile_conditions
from cxm.engage.system_events import event_row, system_source, write_events
from cxm.errors import FieldError
from cxm.store import Database
from cxm.store.database import batched

TIMESTAMP = pa.timestamp("us", tz="UTC")
_NAME_LIMIT = 200


class SegmentError(FieldError):
    pass


@dataclass(frozen=True)
class Segment:
    segment_id: str
    name: str
    description: str | None
    conditions: Any
    created_at: datetime
    updated_at: datetime
    computed_at: datetime | None
    member_count: int


@dataclass(frozen=True)
class SegmentChange:
    segment_id: str
    profile_id: str
    kind: str  # "entered" | "exited"
    at: datetime


@dataclass(frozen=True)
class RecomputeResult:
    segment_id: str
    members: int
    entered: int
    exited: int
    seconds: float
    notes: tuple[str, ...]


_COLUMNS = (
    "segment_id, name, description, CAST(conditions AS TEXT), created_at, updated_at, "
    "computed_at, member_count"
)


def _segment(row: Sequence[Any]) -> Segment:
    return Segment(
        str(row[0]),
        str(row[1]),
        row[2],
        orjson.loads(row[3]),
        row[4],
        row[5],
        row[6],
        int(row[7] or 0),
    )


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise SegmentError("name", "must not be empty")
    if len(name) > _NAME_LIMIT:
        raise SegmentError("name", f"at most {_NAME_LIMIT} characters")
    return name.strip()


def check_conditions(database: Database, conditions: Any) -> list[str]:
    """Validate; return notes. Raises SegmentError naming the JSON path."""
    try:
        compiled = compile_conditions(
            conditions, database.dialect, database.table_names(), datetime.now(UTC)
        )
    except ConditionError as error:
        raise SegmentError(error.field, error.reason) from None
    return compiled.notes


def list_segments(database: Database) -> list[Segment]:
    rows = database.query(f"SELECT {_COLUMNS} FROM segments ORDER BY name")
    return [_segment(r) for r in rows]


def get_segment(database: Database, key: str) -> Segment:
    """A segment by id or by name; SegmentError 404 when unknown."""
    rows = database.query(
        f"SELECT {_COLUMNS} FROM segments WHERE segment_id = ? OR name = ?", [key, key]
    )
    if not rows:
        raise SegmentError("segment", f"no segment {key!r}", 404)
    return _segment(rows[0])


def create_segment(
    database: Database, name: Any, conditions: Any, description: str | None = None
) -> Segment:
    name = _check_name(name)
    check_conditions(database, conditions)
    if database.query("SELECT 1 FROM segments WHERE name = ?", [name]):
        raise SegmentError("name", f"a segment named {name!r} exists already", 409)
    now = datetime.now(UTC)
    segment_id = "seg_" + uuid.uuid4().hex[:16]
    database.execute(
        "INSERT INTO segments (segment_id, name, description, conditions, created_at, "
        "updated_at, member_count) VALUES (?, ?, ?, ?, ?, ?, 0)",
        [segment_id, name, description, orjson.dumps(conditions).decode(), now, now],
    )
    return get_segment(database, segment_id)


def update_segment(
    database: Database, key: str, conditions: Any = None, description: str | None = None
) -> Segment:
    segment = get_segment(database, key)
    if conditions is not None:
        check_conditions(database, conditions)
        database.execute(
            "UPDATE segments SET conditions = ?, updated_at = ? WHERE segment_id = ?",
            [orjson.dumps(conditions).decode(), datetime.now(UTC), segment.segment_id],
        )
    if description is not None:
        database.execute(
            "UPDATE segments SET description = ? WHERE segment_id = ?",
            [description, segment.segment_id],
        )
    return get_segment(database, segment.segment_id)


def delete_segment(database: Database, key: str) -> None:
    segment = get_segment(database, key)
    with database.transaction() as tx:
        tx.execute("DELETE FROM segment_members WHERE segment_id = ?", [segment.segment_id])
        tx.execute("DELETE FROM segment_counts WHERE segment_id = ?", [segment.segment_id])
        tx.execute("DELETE FROM segments WHERE segment_id = ?", [segment.segment_id])


def _matching(
    database: Database,
    conditions: Any,
    profile_ids: Sequence[str] | None,
    unstitched: bool = False,
) -> tuple[set[str], list[str]]:
    compiled = compile_conditions(
        conditions, database.dialect, database.table_names(), datetime.now(UTC), unstitched
    )
    base = f"SELECT p.profile_id FROM profiles p WHERE p.merged_into IS NULL AND ({compiled.sql})"
    if profile_ids is None:
        rows = database.query(base, compiled.params)
        return {r[0] for r in rows}, compiled.notes
    found: set[str] = set()
    for chunk in batched(list(profile_ids), 500):
        marks = ", ".join("?" for _ in chunk)
        rows = database.query(f"{base} AND p.profile_id IN ({marks})", [*compiled.params, *chunk])
        found.update(r[0] for r in rows)
    return found, compiled.notes


def preview_count(database: Database, conditions: Any) -> tuple[int, list[str]]:
    """How many profiles match (the builder's live count); nothing is stored."""
    check_conditions(database, conditions)
    found, notes = _matching(database, conditions, None)
    return len(found), notes


def _current(database: Database, segment_id: str, profile_ids: Sequence[str] | None) -> set[str]:
    if profile_ids is None:
        rows = database.query(
            "SELECT profile_id FROM segment_members WHERE segment_id = ?", [segment_id]
        )
        return {r[0] for r in rows}
    found: set[str] = set()
    for chunk in batched(list(profile_ids), 500):
        marks = ", ".join("?" for _ in chunk)
        rows = database.query(
            "SELECT profile_id FROM segment_members WHERE segment_id = ? "
            f"AND profile_id IN ({marks})",
            [segment_id, *chunk],
        )
        found.update(r[0] for r in rows)
    return found


def _apply(
    database: Database,
    segment: Segment,
    entered: set[str],
    exited: set[str],
    kind: str,
    now: datetime,
    emit: bool,
) -> int:
    source = system_source(database) if emit else None
    stamp = now.strftime("%Y%m%dT%H%M%S%f")
    events = []
    if source is not None:
        for label, people in (("Segment Entered", entered), ("Segment Exited", exited)):
            for profile_id in people:
                events.append(
                    event_row(
                        source,
                        profile_id=profile_id,
                        event=label,
                        message_id=f"seg:{segment.segment_id}:{profile_id}:{label[8]}:{stamp}",
                        properties={"segment_id": segment.segment_id, "segment": segment.name},
                        when=now,
                    )
                )
    with database.transaction() as tx:
        for chunk in batched(sorted(exited), 500):
            marks = ", ".join("?" for _ in chunk)
            tx.execute(
                f"DELETE FROM segment_members WHERE segment_id = ? AND profile_id IN ({marks})",
                [segment.segment_id, *chunk],
            )
        if entered:
            tx.append(
                "segment_members",
                pa.table(
                    {
                        "segment_id": [segment.segment_id] * len(entered),
                        "profile_id": sorted(entered),
                        "entered_at": pa.array([now] * len(entered), TIMESTAMP),
                    }
                ),
                ("segment_id", "profile_id"),
            )
        members = tx.query(
            "SELECT count(*) FROM segment_members WHERE segment_id = ?", [segment.segment_id]
        )[0][0]
        tx.execute(
            "UPDATE segments SET member_count = ?, computed_at = ? WHERE segment_id = ?",
            [members, now, segment.segment_id],
        )
        if entered or exited or kind == "full":
            tx.execute(
                "INSERT INTO segment_counts (segment_id, counted_at, members, entered, exited, "
                "kind) VALUES (?, ?, ?, ?, ?, ?)",
                [segment.segment_id, now, members, len(entered), len(exited), kind],
            )
        if events:
            write_events(tx, events)
    return int(members)


def recompute(
    database: Database, key: str, emit: bool = True
) -> tuple[RecomputeResult, list[SegmentChange]]:
    """Re-evaluate everyone (the periodic full recompute)."""
    segment = get_segment(database, key)
    started = datetime.now(UTC)
    found, notes = _matching(database, segment.conditions, None)
    current = _current(database, segment.segment_id, None)
    entered, exited = found - current, current - found
    members = _apply(database, segment, entered, exited, "full", started, emit)
    seconds = (datetime.now(UTC) - started).total_seconds()
    changes = _changes(segment.segment_id, entered, exited, started)
    return (
        RecomputeResult(
            segment.segment_id, members, len(entered), len(exited), seconds, tuple(notes)
        ),
        changes,
    )


def _changes(
    segment_id: str, entered: Iterable[str], exited: Iterable[str], at: datetime
) -> list[SegmentChange]:
    return [SegmentChange(segment_id, p, "entered", at) for p in sorted(entered)] + [
        SegmentChange(segment_id, p, "exited", at) for p in sorted(exited)
    ]


def update_profiles(
    database: Database,
    profile_ids: Sequence[str],
    segments: Sequence[Segment] | None = None,
    emit: bool = True,
    unstitched: bool = False,
) -> list[SegmentChange]:
    """Re-evaluate only ``profile_ids`` in every (or the given) segment: the real-time path.

    ``unstitched``: count the persons' events the stitcher has not attributed yet (through
    their known identifiers), so membership need not wait for the next stitch pass.
    """
    if not profile_ids:
        return []
    changes: list[SegmentChange] = []
    for segment in segments if segments is not None else list_segments(database):
        now = datetime.now(UTC)
        try:
            found, _ = _matching(database, segment.conditions, profile_ids, unstitched)
        except ConditionError:
            continue  # a definition that no longer compiles is skipped, not fatal
        current = _current(database, segment.segment_id, profile_ids)
        entered, exited = found - current, current - found
        if entered or exited:
            _apply(database, segment, entered, exited, "incremental", now, emit)
            changes.extend(_changes(segment.segment_id, entered, exited, now))
    return changes


def members(
    database: Database, key: str, limit: int = 100, offset: int = 0
) -> tuple[Segment, list[dict[str, Any]]]:
    segment = get_segment(database, key)
    rows = database.query_dicts(
        "SELECT profile_id, entered_at FROM segment_members WHERE segment_id = ? "
        "ORDER BY entered_at, profile_id LIMIT ? OFFSET ?",
        [segment.segment_id, limit, offset],
    )
    return segment, rows


def counts(database: Database, key: str, limit: int = 500) -> list[dict[str, Any]]:
    segment = get_segment(database, key)
    rows = database.query_dicts(
        "SELECT counted_at, members, entered, exited, kind FROM segment_counts "
        "WHERE segment_id = ? ORDER BY counted_at DESC LIMIT ?",
        [segment.segment_id, limit],
    )
    return list(reversed(rows))


def export_csv(database: Database, key: str, out: Path) -> int:
    """Write ``profile_id,entered_at`` for every member; return the row count."""
    segment = get_segment(database, key)
    rows = database.query(
        "SELECT profile_id, entered_at FROM segment_members WHERE segment_id = ? "
        "ORDER BY profile_id",
        [segment.segment_id],
    )
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["profile_id", "entered_at"])
        for profile_id, entered_at in rows:
            writer.writerow([profile_id, entered_at.isoformat() if entered_at else ""])
    return len(rows)
