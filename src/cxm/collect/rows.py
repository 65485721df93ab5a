"""Arrow schemas of the rows collection writes, matching migration 0001."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pyarrow as pa

_TS = pa.timestamp("us", tz="UTC")

EVENT_SCHEMA = pa.schema(
    [
        ("event_key", pa.string()),
        ("source_id", pa.string()),
        ("message_id", pa.string()),
        ("type", pa.string()),
        ("event", pa.string()),
        ("anonymous_id", pa.string()),
        ("user_id", pa.string()),
        ("group_id", pa.string()),
        ("previous_id", pa.string()),
        ("timestamp", _TS),
        ("original_timestamp", _TS),
        ("sent_at", _TS),
        ("received_at", _TS),
        ("channel", pa.string()),
        ("traffic_channel", pa.string()),
        ("utm_source", pa.string()),
        ("utm_medium", pa.string()),
        ("utm_campaign", pa.string()),
        ("referrer_host", pa.string()),
        ("page_url", pa.string()),
        ("ip", pa.string()),
        ("user_agent", pa.string()),
        ("locale", pa.string()),
        ("properties", pa.string()),
        ("traits", pa.string()),
        ("context", pa.string()),
        ("raw", pa.string()),
    ]
)
EVENT_KEY = ("event_key",)
_KEY_SEPARATOR = "\x1f"

QUARANTINE_SCHEMA = pa.schema(
    [
        ("quarantine_id", pa.string()),
        ("kind", pa.string()),
        ("origin", pa.string()),
        ("source_id", pa.string()),
        ("line_number", pa.int64()),
        ("field", pa.string()),
        ("reason", pa.string()),
        ("payload", pa.string()),
        ("received_at", _TS),
    ]
)


def event_key(source_id: str, message_id: str) -> str:
    """The idempotency key of an event: one per (source, messageId), 32 hex digits.

    Both databases read it as a UUID; a single fixed-width key is far cheaper to
    deduplicate on than two strings (see ARCHITECTURE.md, "Idempotent ingest").
    """
    return hashlib.md5(
        f"{source_id}{_KEY_SEPARATOR}{message_id}".encode(), usedforsecurity=False
    ).hexdigest()


def event_keys(source_ids: Sequence[str], message_ids: Sequence[str]) -> list[str]:
    return [event_key(s, m) for s, m in zip(source_ids, message_ids, strict=True)]


def events_table(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)


def quarantine_table(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=QUARANTINE_SCHEMA)
