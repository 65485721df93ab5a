"""The events importer's vectorised path stores what per-row normalise_message would."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from cxm.collect.importers import import_file
from cxm.collect.importers.events import FlatPlan, event_row
from cxm.collect.importers.readers import FileReader
from cxm.collect.importers.values import RowError
from cxm.collect.sources import Source, find_source_by_name
from cxm.store import Database
from tests.collect.importers.files import write_rows

_COLUMNS = (
    "message_id, type, event, anonymous_id, user_id, timestamp, original_timestamp, "
    "sent_at, received_at, channel, traffic_channel, utm_source, utm_medium, utm_campaign, "
    "referrer_host, page_url, ip, user_agent, locale"
)
_JSON = ("properties", "traits", "context", "raw")


def _messages(count: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for i in range(count):
        kind = ("track", "page", "identify")[i % 3]
        message: dict[str, Any] = {"type": kind, "anonymousId": f"a{i % 7}"}
        if i % 5:  # every fifth row has no messageId: the importer derives one
            message["messageId"] = f"m{i}"
        if kind == "track":
            message["event"] = "Product Viewed"
            message["properties"] = {"sku": f"S{i}", "price": i + 0.5}
        if kind == "page":
            message["context"] = {
                "page": {"url": f"https://shop.example/?utm_source=s{i % 2}&utm_medium=email",
                         "referrer": "https://www.google.com/"},
                "userAgent": "Mozilla/5.0",
            }  # fmt: skip
        if kind == "identify":
            message["traits"] = {"email": f"p{i}@x.example"}
        message["timestamp"] = f"2025-04-01T10:{i % 60:02d}:00Z"
        if i % 11 == 0:
            message["sentAt"] = "2025-04-01T11:00:00.5+01:00"
        messages.append(message)
    messages[3] = {"type": "track", "messageId": "bad-event", "anonymousId": "a"}
    messages[8] = {
        "type": "page",
        "messageId": "epoch",
        "anonymousId": "a",
        "timestamp": "2025-04-01T10:00:00.1234567Z",
    }
    messages[13] = {"messageId": "no-type", "anonymousId": "a", "timestamp": "2025-01-01"}
    return messages


def _stored(database: Database) -> dict[str, dict[str, Any]]:
    json_columns = ", ".join(f"CAST({c} AS TEXT) AS {c}" for c in _JSON)
    rows = database.query_dicts(f"SELECT {_COLUMNS}, {json_columns} FROM events")
    for row in rows:
        for key in _JSON:
            row[key] = orjson.loads(row[key]) if row[key] is not None else None
    return {row["message_id"]: row for row in rows}


def _expected(
    path: Path, source: Source, imported_at: datetime
) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """Per-row normalisation of the file as the reader reads it (the pre-bulk importer)."""
    reader = FileReader(path)
    plan = FlatPlan.for_columns(reader.columns) if reader.columns is not None else None
    if plan is not None:
        plan.text_only = reader.format == "csv"
    rows: dict[str, Any] = {}
    errors: list[tuple[int, str]] = []
    for batch in reader.batches():
        for line, record in zip(batch.lines, batch.records, strict=True):
            message = plan.message(record) if plan is not None else dict(record)
            try:
                row = event_row(message, source, imported_at)
            except RowError as error:
                errors.append((line, error.field))
                continue
            for key in _JSON:
                row[key] = orjson.loads(row[key]) if row[key] is not None else None
            rows[row["message_id"]] = {k: row[k] for k in ("message_id", *_JSON)} | {
                k.strip(): row[k.strip()] for k in _COLUMNS.split(",")
            }
    return rows, errors


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_events_import_bulk_path_stores_the_per_row_result(
    database: Database, tmp_path: Path, fmt: str
) -> None:
    messages = _messages(60)
    rows = messages if fmt == "jsonl" else [_flat(m) for m in messages]
    path = write_rows(tmp_path, "bulk", rows, fmt)
    summary = import_file(database, "events", path, source="bulk")
    source = find_source_by_name(database, "bulk")
    assert source is not None
    stored = _stored(database)
    imported_at = stored["m1"]["received_at"]
    expected, errors = _expected(path, source, imported_at)
    assert [(q.line, q.field) for q in summary.quarantined] == errors
    assert len(errors) >= 2 and summary.rows_stored == len(expected) == len(stored)
    assert stored == expected
    again = import_file(database, "events", path, source="bulk")
    assert (again.rows_stored, again.rows_duplicate) == (0, len(expected))


def _flat(message: dict[str, Any]) -> dict[str, Any]:
    keys = {"messageId": "message_id", "anonymousId": "anonymous_id"}
    row = {keys.get(k, k): v for k, v in message.items() if not isinstance(v, dict)}
    for key in ("properties", "traits"):
        if key in message:
            row[key] = message[key]
    page = message.get("context", {}).get("page", {})
    for key, value in page.items():
        row[f"context.page.{key}"] = value
    if "context" in message:
        row["context.userAgent"] = message["context"]["userAgent"]
    return row
