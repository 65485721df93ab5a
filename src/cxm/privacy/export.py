"""Export everything CXM holds about a person as one machine-readable JSON document."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson

from cxm.privacy.coverage import table_columns
from cxm.privacy.locate import locate
from cxm.privacy.subject import Subject, SubjectError, find_subject
from cxm.store import Database

FORMAT = "cxm.person-export/1"


class PersonNotFound(SubjectError):
    def __init__(self) -> None:
        super().__init__("identifier", "no data is held for this identifier")


def _plain(value: Any, json_column: bool) -> Any:
    if json_column and isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def subject_rows(database: Database, subject: Subject) -> dict[str, list[dict[str, Any]]]:
    """table -> the subject's rows as JSON-ready dicts (tables without rows left out)."""
    types = table_columns(database)
    found: dict[str, list[dict[str, Any]]] = {}
    for match in locate(database, subject):
        sql = f"SELECT * FROM {match.table} WHERE {match.where}"
        rows = database.query_dicts(sql, match.params)
        if rows:
            json_columns = {c for c, t in types[match.table].items() if t in ("json", "jsonb")}
            found[match.table] = [
                {k: _plain(v, k in json_columns) for k, v in row.items()} for row in rows
            ]
    return found


def export_person(database: Database, identifier: str) -> dict[str, Any]:
    """Every row of every table about the person found by ``identifier``.

    Raises SubjectError for a bad identifier and PersonNotFound when nothing is held.
    """
    subject = find_subject(database, identifier)
    tables = subject_rows(database, subject) if not subject.empty else {}
    if not tables:
        raise PersonNotFound()
    return {
        "format": FORMAT,
        "requested_identifier": subject.identifier,
        "exported_at": datetime.now(UTC).isoformat(),
        "profile_ids": sorted(subject.profile_ids),
        "identifiers": sorted(subject.labels),
        "counts": {table: len(rows) for table, rows in tables.items()},
        "tables": tables,
    }


def export_json(database: Database, identifier: str) -> bytes:
    return orjson.dumps(export_person(database, identifier), option=orjson.OPT_INDENT_2)
