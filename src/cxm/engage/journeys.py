"""Journey definitions in the store: create, list, activate, pause."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from cxm.engage.program import DefinitionError, Program, compile_definition
from cxm.errors import FieldError
from cxm.store import Database

STATUSES = ("draft", "active", "paused")


class JourneyError(FieldError):
    pass


@dataclass(frozen=True)
class Journey:
    journey_id: str
    name: str
    definition: dict[str, Any]
    status: str
    created_at: datetime
    updated_at: datetime
    activated_at: datetime | None

    @property
    def program(self) -> Program:
        return compile_definition(self.definition)


_COLUMNS = (
    "journey_id, name, CAST(definition AS TEXT), status, created_at, updated_at, activated_at"
)


def _journey(row: Sequence[Any]) -> Journey:
    return Journey(
        str(row[0]), str(row[1]), orjson.loads(row[2]), str(row[3]), row[4], row[5], row[6]
    )


def check_definition(database: Database, definition: Any) -> Program:
    try:
        program = compile_definition(definition)
    except DefinitionError as error:
        raise JourneyError(error.field, error.reason) from None
    segment = definition["trigger"].get("segment")
    if segment is not None and not database.query(
        "SELECT 1 FROM segments WHERE segment_id = ? OR name = ?", [segment, segment]
    ):
        raise JourneyError("definition.trigger.segment", f"no segment {segment!r}")
    return program


def create_journey(
    database: Database, name: Any, definition: Any, status: str = "draft"
) -> Journey:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise JourneyError("name", "must be a non-empty text of at most 200 characters")
    if status not in STATUSES:
        raise JourneyError("status", f"must be one of {', '.join(STATUSES)}")
    check_definition(database, definition)
    if database.query("SELECT 1 FROM journeys WHERE name = ?", [name.strip()]):
        raise JourneyError("name", f"a journey named {name!r} exists already", 409)
    now = datetime.now(UTC)
    journey_id = "jny_" + uuid.uuid4().hex[:16]
    database.execute(
        "INSERT INTO journeys (journey_id, name, definition, status, created_at, updated_at, "
        "activated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            journey_id,
            name.strip(),
            orjson.dumps(definition).decode(),
            status,
            now,
            now,
            now if status == "active" else None,
        ],
    )
    return get_journey(database, journey_id)


def get_journey(database: Database, key: str) -> Journey:
    rows = database.query(
        f"SELECT {_COLUMNS} FROM journeys WHERE journey_id = ? OR name = ?", [key, key]
    )
    if not rows:
        raise JourneyError("journey", f"no journey {key!r}", 404)
    return _journey(rows[0])


def list_journeys(database: Database, status: str | None = None) -> list[Journey]:
    if status is None:
        rows = database.query(f"SELECT {_COLUMNS} FROM journeys ORDER BY name")
    else:
        rows = database.query(
            f"SELECT {_COLUMNS} FROM journeys WHERE status = ? ORDER BY name", [status]
        )
    return [_journey(r) for r in rows]


def set_status(database: Database, key: str, status: str) -> Journey:
    if status not in STATUSES:
        raise JourneyError("status", f"must be one of {', '.join(STATUSES)}")
    journey = get_journey(database, key)
    now = datetime.now(UTC)
    database.execute(
        "UPDATE journeys SET status = ?, updated_at = ?, "
        "activated_at = CASE WHEN ? = 'active' THEN ? ELSE activated_at END "
        "WHERE journey_id = ?",
        [status, now, status, now, journey.journey_id],
    )
    return get_journey(database, journey.journey_id)


def update_journey(database: Database, key: str, definition: Any) -> Journey:
    journey = get_journey(database, key)
    check_definition(database, definition)
    database.execute(
        "UPDATE journeys SET definition = ?, updated_at = ? WHERE journey_id = ?",
        [orjson.dumps(definition).decode(), datetime.now(UTC), journey.journey_id],
    )
    return get_journey(database, journey.journey_id)


def delete_journey(database: Database, key: str) -> None:
    journey = get_journey(database, key)
    database.execute("DELETE FROM journeys WHERE journey_id = ?", [journey.journey_id])
