"""Small inputs for identity tests, written as files and loaded by the real importers."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from cxm.collect.importers import import_file
from cxm.collect.sources import get_or_create_source
from cxm.store import Database
from tests.collect.importers.files import write_rows

_files = itertools.count()


def import_events(
    database: Database, folder: Path, messages: list[dict[str, Any]], source: str = "web"
) -> None:
    get_or_create_source(database, source, kind="import", channel="web")
    path = write_rows(folder, f"events_{next(_files)}", messages, "jsonl")
    summary = import_file(database, "events", path, source=source)
    assert summary.rows_quarantined == 0


def import_customers(
    database: Database, folder: Path, rows: list[dict[str, Any]], source: str
) -> None:
    get_or_create_source(database, source, kind="import", channel="other")
    path = write_rows(folder, f"{source}_{next(_files)}", rows, "csv")
    summary = import_file(database, "customers", path, source=source, id_column="id")
    assert summary.rows_quarantined == 0


def event(
    message_id: str,
    minute: int,
    *,
    anonymous_id: str | None = None,
    user_id: str | None = None,
    kind: str = "track",
    email: str | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": kind,
        "messageId": message_id,
        "timestamp": f"2025-04-01T10:{minute:02d}:00Z",
    }
    if kind == "track":
        message["event"] = "Product Viewed"
    if anonymous_id:
        message["anonymousId"] = anonymous_id
    if user_id:
        message["userId"] = user_id
    if email:
        message["traits"] = {"email": email}
    return message


def profile_of_event(database: Database, message_id: str) -> str | None:
    value = database.scalar("SELECT profile_id FROM events WHERE message_id = ?", [message_id])
    return None if value is None else str(value)
