from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from cxm.collect.importers import import_file
from cxm.collect.importers.events import FlatPlan, event_row
from cxm.collect.messages import normalise_message
from cxm.collect.sources import get_or_create_source
from cxm.store import Database
from tests.collect.importers.files import write_rows

MESSAGES: list[dict[str, Any]] = [
    {
        "type": "page", "messageId": "m1", "anonymousId": "a1", "name": "Home",
        "timestamp": "2025-04-01T10:00:00Z",
        "context": {"page": {"url": "https://shop.example/?utm_source=google&utm_medium=cpc",
                             "referrer": "https://www.google.com/"},
                    "userAgent": "Mozilla/5.0", "ip": "203.0.113.9", "locale": "de-DE"},
    },
    {
        "type": "track", "messageId": "m2", "userId": "u1", "event": "Product Viewed",
        "timestamp": "2025-04-01T10:01:00Z", "properties": {"sku": "X1", "price": 12.5},
    },
    {"type": "identify", "messageId": "m3", "userId": "u1", "traits": {"email": "u@x.example"},
     "timestamp": "2025-04-01T10:02:00Z"},
    {"event": "Signed Up", "userId": "u2", "timestamp": "2025-04-01T10:03:00Z"},
    {"type": "track", "messageId": "bad1", "event": "No One"},
    {"type": "teleport", "messageId": "bad2", "userId": "u3"},
]  # fmt: skip


def _flat(message: dict[str, Any]) -> dict[str, Any]:
    """The same message as flat CSV columns."""
    keys = {"messageId": "message_id", "userId": "user_id", "anonymousId": "anonymous_id"}
    row = {keys.get(k, k): v for k, v in message.items() if not isinstance(v, dict)}
    for key in ("properties", "traits"):
        if key in message:
            row[key] = message[key]
    context = message.get("context", {})
    for key, value in context.items():
        if isinstance(value, dict):
            for inner, item in value.items():
                row[f"context.{key}.{inner}"] = item
        else:
            row[f"context.{key}"] = value
    return row


def _stored(database: Database) -> dict[str, dict[str, Any]]:
    rows = database.query_dicts(
        "SELECT message_id, type, event, anonymous_id, user_id, timestamp, channel, "
        "traffic_channel, utm_source, referrer_host, page_url, ip, user_agent, locale, "
        "CAST(properties AS TEXT) AS properties, CAST(traits AS TEXT) AS traits, "
        "CAST(context AS TEXT) AS context FROM events"
    )
    for row in rows:
        for key in ("properties", "traits", "context"):
            row[key] = orjson.loads(row[key]) if row[key] is not None else None
    return {row.pop("message_id"): row for row in rows}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_events_import_stores_valid_messages_and_quarantines_invalid(
    database: Database, tmp_path: Path, fmt: str
) -> None:
    rows = MESSAGES if fmt == "jsonl" else [_flat(m) for m in MESSAGES]
    summary = import_file(database, "events", write_rows(tmp_path, "ev", rows, fmt), source="web")
    assert (summary.rows_stored, summary.rows_quarantined) == (4, 2)
    first_line = 1 if fmt != "csv" else 2
    assert [(q.line, q.field) for q in summary.quarantined] == [
        (first_line + 4, "userId"),
        (first_line + 5, "type"),
    ]
    stored = _stored(database)
    page = stored["m1"]
    assert (page["channel"], page["traffic_channel"], page["utm_source"]) == (
        "web", "Paid Search", "google",
    )  # fmt: skip
    assert page["referrer_host"] == "www.google.com" and page["locale"] == "de-DE"
    assert stored["m2"]["properties"] == {"sku": "X1", "price": 12.5}
    assert stored["m3"]["traits"] == {"email": "u@x.example"}
    derived = [key for key in stored if key.startswith("import-")]
    assert len(derived) == 1 and stored[derived[0]]["event"] == "Signed Up"


def test_events_flat_and_jsonl_files_store_the_same_rows(
    database: Database, tmp_path: Path
) -> None:
    import_file(database, "events", write_rows(tmp_path, "a", MESSAGES, "jsonl"), source="s1")
    from_jsonl = _stored(database)
    database.execute("DELETE FROM events")
    flat = [_flat(m) for m in MESSAGES]
    import_file(database, "events", write_rows(tmp_path, "b", flat, "csv"), source="s1")
    assert _stored(database) == from_jsonl


def test_events_reimport_without_message_ids_stores_nothing_new(
    database: Database, tmp_path: Path
) -> None:
    rows = [{"event": "Clicked", "user_id": f"u{i}", "timestamp": "2025-01-01"} for i in range(5)]
    path = write_rows(tmp_path, "ids", rows, "csv")
    first = import_file(database, "events", path)
    again = import_file(database, "events", path)
    assert (first.rows_stored, again.rows_stored, again.rows_duplicate) == (5, 0, 5)


def test_event_row_equals_api_normalisation(database: Database) -> None:
    source = get_or_create_source(database, "compare")
    received = datetime(2025, 4, 2, tzinfo=UTC)
    for message in MESSAGES[:3]:
        expected = normalise_message(dict(message), source=source, received_at=received)
        assert event_row(dict(message), source, received) == expected
        flat = _flat(message)
        from_flat = event_row(FlatPlan.for_columns(flat).message(flat), source, received)
        # Only the raw text's key order may differ: the flat row is the same message.
        assert orjson.loads(from_flat.pop("raw")) == orjson.loads(expected.pop("raw"))
        assert from_flat == expected


def test_events_file_without_any_identity_column_is_rejected(
    database: Database, tmp_path: Path
) -> None:
    from cxm.collect.importers import ImportFileError

    path = write_rows(tmp_path, "x", [{"event": "A", "timestamp": "2025-01-01"}], "csv")
    with pytest.raises(ImportFileError, match="user_id or userId or anonymous_id"):
        import_file(database, "events", path)
