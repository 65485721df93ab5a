"""Events engage writes about people (``Segment Entered``, ``Message Delivered``, …).

They go into the one event log from a system source (``cxm-engage``) through the same
``normalise_message`` as every other event, with ``profile_id`` already filled (the
stitcher only reads rows without one) and a deterministic messageId, so writing the
same fact twice stores it once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from cxm.collect.messages import normalise_message
from cxm.collect.rows import EVENT_KEY, events_table
from cxm.collect.sources import Source, SourceError, create_source, find_source_by_name
from cxm.store import Database, Transaction

SYSTEM_SOURCE = "cxm-engage"
_lock = threading.Lock()
_sources: dict[int, Source] = {}


def system_source(database: Database) -> Source:
    with _lock:
        known = _sources.get(id(database))
        if known is not None:
            return known
        source = find_source_by_name(database, SYSTEM_SOURCE)
        if source is None:
            try:
                source = create_source(database, SYSTEM_SOURCE, kind="webhook", channel="other")
            except SourceError:  # created meanwhile by another process
                source = find_source_by_name(database, SYSTEM_SOURCE)
                assert source is not None
        _sources[id(database)] = source
        return source


def event_row(
    source: Source,
    *,
    profile_id: str,
    event: str,
    message_id: str,
    properties: dict[str, Any],
    when: datetime | None = None,
    message_type: str = "track",
    traits: dict[str, Any] | None = None,
    channel: str = "other",
) -> dict[str, Any]:
    now = datetime.now(UTC)
    message: dict[str, Any] = {
        "type": message_type,
        "userId": profile_id,
        "messageId": message_id,
        "timestamp": (when or now).isoformat(),
        "context": {"channel": channel, "library": {"name": "cxm-engage"}},
    }
    if message_type == "track":
        message["event"] = event
        message["properties"] = properties
    else:
        message["traits"] = traits or {}
    row = normalise_message(message, source=source, received_at=now)
    row["profile_id"] = profile_id
    return row


def write_events(target: Database | Transaction, rows: Sequence[dict[str, Any]]) -> int:
    """Append system events; a messageId already stored is skipped."""
    if not rows:
        return 0
    table = events_table(list(rows))
    # EVENT_SCHEMA has no profile_id (collection never knows it); engage does.
    table = table.append_column(
        "profile_id", pa.array([r.get("profile_id") for r in rows], pa.string())
    )
    return target.append("events", table, EVENT_KEY)
