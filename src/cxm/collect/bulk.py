"""Normalise many Segment messages at once, with exactly ``normalise_message``'s result.

Per message, ``normalise_message`` costs tens of microseconds of Python, which
caps bulk ingest far below what storage takes. Here a private in-memory DuckDB
connection (one per thread; never the store) computes the events columns over
Arrow in one vectorised query (``bulk_sql.py``), together with a conservative
``fast_ok`` flag. Rows it is not certain about (invalid or unusual input) come
back as ``slow_rows`` for the caller to pass through ``normalise_message``, so
error fields and reasons stay identical by construction. Touchpoints and
traffic fields are computed in Python once per distinct value, by the same
functions ``normalise_message`` uses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from cxm.collect.bulk_sql import WHITESPACE, normalise_sql
from cxm.collect.messages import _traffic_fields
from cxm.collect.rows import EVENT_SCHEMA, events_table
from cxm.collect.sources import Source
from cxm.collect.touchpoints import parse_touchpoint

# Below this many messages the query's fixed cost (a few milliseconds) outweighs
# what it saves over per-message Python.
MIN_BULK_MESSAGES = 32

_TRAFFIC_COLUMNS = (
    "page_url",
    "referrer_host",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "traffic_channel",
)
_local = threading.local()


@dataclass(frozen=True)
class BulkResult:
    """``events``: the rows the fast path normalised, in input order, with their
    input indexes in ``fast_rows``; ``slow_rows``: indexes left to Python."""

    events: pa.Table
    fast_rows: pa.Array
    slow_rows: list[int]

    def merged(self, slow_events: Sequence[tuple[int, dict[str, object]]]) -> pa.Table:
        """All rows in input order: the fast ones plus ``(index, row)`` pairs from Python."""
        if not slow_events:
            return self.events
        slow = events_table([row for _, row in slow_events])
        order = pa.concat_arrays(
            [self.fast_rows.cast(pa.int64()), pa.array([i for i, _ in slow_events], pa.int64())]
        )
        both = pa.concat_tables([self.events, slow])
        return both.take(pc.sort_indices(order))


def _connection() -> duckdb.DuckDBPyConnection:
    connection: duckdb.DuckDBPyConnection | None = getattr(_local, "connection", None)
    if connection is None:
        connection = duckdb.connect()
        connection.execute("SET TimeZone = 'UTC'")
        _local.connection = connection
    return connection


def _epoch_us(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=moment.tzinfo)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _texts(messages: Sequence[str | bytes] | pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(messages, pa.ChunkedArray):
        messages = messages.combine_chunks()
    if isinstance(messages, pa.Array):
        return messages if messages.type == pa.string() else messages.cast(pa.string())
    return pa.array(messages, pa.string())


def _per_distinct(column: pa.ChunkedArray, compute: Callable[[Any], Any]) -> tuple[Any, pa.Array]:
    """``compute`` once per distinct value: (its results, the index of each row's value)."""
    encoded = column.combine_chunks().dictionary_encode()
    return [compute(v) for v in encoded.dictionary.to_pylist()], encoded.indices


def _channels(table: pa.Table, source: Source) -> pa.Array:
    """``messages._touchpoint``: explicit context.channel, else call type, else source."""

    def explicit(value: str) -> str | None:
        found = parse_touchpoint(value)
        return None if found is None else found.value

    values, indices = _per_distinct(table["channel_text"], explicit)
    named = pa.array(values, pa.string()).take(indices)
    kind = table["type"].combine_chunks()
    by_type = pc.if_else(
        pc.equal(kind, "page"),
        "web",
        pc.if_else(pc.equal(kind, "screen"), "app", pc.coalesce(named, source.channel.value)),
    )
    keep = pc.fill_null(pc.not_equal(named, "other"), False)
    return pc.if_else(keep, named, by_type)


def _traffic(table: pa.Table) -> dict[str, pa.Array]:
    def fields(visit: str) -> tuple[str | None, ...]:
        view, url, referrer, has_campaign, source, medium, name = orjson.loads(visit)
        campaign = (source, medium, name) if has_campaign == "1" else None
        found = dict(_traffic_fields(view == "1", url, referrer, campaign))
        return tuple(found[c] for c in _TRAFFIC_COLUMNS)

    values, indices = _per_distinct(table["visit"], fields)
    return {
        column: pa.array([v[n] for v in values], pa.string()).take(indices)
        for n, column in enumerate(_TRAFFIC_COLUMNS)
    }


def normalise_many(
    messages: Sequence[str | bytes] | pa.Array | pa.ChunkedArray,
    *,
    source: Source,
    received_at: datetime,
    import_mode: bool = False,
) -> BulkResult:
    """Normalise messages given as compact JSON texts (orjson's output), one each.

    ``import_mode`` applies the importer's rules (``importers/events.py``): a
    message without a type but with an event is a track call, and received_at is
    the message's receivedAt, else its sentAt, else ``received_at``. The texts
    must be valid JSON; what they hold may be anything (a non-object, a bad
    field): such rows come back in ``slow_rows``.
    """
    texts = _texts(messages)
    count = len(texts)
    if count == 0:
        return BulkResult(EVENT_SCHEMA.empty_table(), pa.array([], pa.int64()), [])
    data = pa.table({"i": pa.array(np.arange(count, dtype=np.int64)), "j": texts})
    connection = _connection()
    connection.register("cxm_input", data)
    try:
        result = connection.execute(
            normalise_sql(import_mode), [source.source_id, _epoch_us(received_at), WHITESPACE]
        ).to_arrow_table()
    finally:
        connection.unregister("cxm_input")
    result = result.sort_by("i") if count > 1 else result
    fast = result["fast_ok"].combine_chunks()
    slow_rows = result["i"].filter(pc.invert(fast)).to_pylist()
    kept = result.filter(fast)
    derived: dict[str, Any] = {"channel": _channels(kept, source), **_traffic(kept)}
    derived["raw"] = texts.take(kept["i"].combine_chunks())
    columns = [derived[name] if name in derived else kept[name] for name in EVENT_SCHEMA.names]
    events = pa.Table.from_arrays(columns, names=EVENT_SCHEMA.names).cast(EVENT_SCHEMA)
    return BulkResult(events, kept["i"].combine_chunks(), slow_rows)
