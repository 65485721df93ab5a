"""Arrow schemas of the rows collection writes, matching migration 0001."""

from __future__ import annotations

import pyarrow as pa

_TS = pa.timestamp("us", tz="UTC")

EVENT_SCHEMA = pa.schema(
    [
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
EVENT_KEY = ("source_id", "message_id")

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


def events_table(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)


def quarantine_table(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=QUARANTINE_SCHEMA)
