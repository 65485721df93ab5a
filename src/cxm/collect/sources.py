"""Sources: each system that sends data, with the write key that identifies it.

A write key is a secret sent as the HTTP Basic username (as Segment does). Lookups
are cached in-process because every collection request needs one.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from cxm.collect.touchpoints import Touchpoint, parse_touchpoint
from cxm.errors import FieldError
from cxm.store import Database

SOURCE_KINDS = ("http", "import", "webhook")


class SourceError(FieldError):
    pass


@dataclass(frozen=True)
class Source:
    source_id: str
    name: str
    write_key: str
    kind: str
    channel: Touchpoint


_COLUMNS = "source_id, name, write_key, kind, channel"


def _from_row(row: tuple[object, ...]) -> Source:
    source_id, name, write_key, kind, channel = (str(v) for v in row)
    return Source(source_id, name, write_key, kind, parse_touchpoint(channel) or Touchpoint.OTHER)


def create_source(
    database: Database,
    name: str,
    kind: str = "http",
    channel: str = "web",
    source_id: str | None = None,
) -> Source:
    """Register a source. ``source_id`` is normally random; the demo passes a fixed one
    so event keys (and everything sampled by them) repeat across loads of the same files."""
    if not name.strip():
        raise SourceError("name", "must not be empty")
    if kind not in SOURCE_KINDS:
        raise SourceError("kind", f"must be one of {', '.join(SOURCE_KINDS)}")
    touchpoint = parse_touchpoint(channel)
    if touchpoint is None:
        raise SourceError("channel", f"unknown channel {channel!r}")
    if find_source_by_name(database, name) is not None:
        raise SourceError("name", f"a source named {name!r} exists already")
    source = Source(
        source_id=source_id or uuid.uuid4().hex,
        name=name,
        write_key=secrets.token_urlsafe(24),
        kind=kind,
        channel=touchpoint,
    )
    row = {
        "source_id": [source.source_id],
        "name": [name],
        "write_key": [source.write_key],
        "kind": [kind],
        "channel": [touchpoint.value],
        "created_at": pa.array([datetime.now(UTC)], pa.timestamp("us", tz="UTC")),
    }
    database.append("sources", pa.table(row))
    return source


def find_source_by_name(database: Database, name: str) -> Source | None:
    rows = database.query(f"SELECT {_COLUMNS} FROM sources WHERE name = ?", [name])
    return _from_row(rows[0]) if rows else None


def get_source(database: Database, source_id: str) -> Source | None:
    rows = database.query(f"SELECT {_COLUMNS} FROM sources WHERE source_id = ?", [source_id])
    return _from_row(rows[0]) if rows else None


def get_or_create_source(
    database: Database,
    name: str,
    kind: str = "import",
    channel: str = "other",
    source_id: str | None = None,
) -> Source:
    existing = find_source_by_name(database, name)
    if existing is not None:
        return existing
    try:
        return create_source(database, name, kind, channel, source_id)
    except Exception:
        # Another process may have created it between our read and write.
        found = find_source_by_name(database, name)
        if found is None:
            raise
        return found


def list_sources(database: Database) -> list[Source]:
    return [_from_row(r) for r in database.query(f"SELECT {_COLUMNS} FROM sources ORDER BY name")]


class WriteKeyCache:
    """Resolves write keys to sources; caches hits only, so new sources work at once."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._known: dict[str, Source] = {}
        self._lock = threading.Lock()

    def resolve(self, write_key: str) -> Source | None:
        source = self._known.get(write_key)
        if source is not None:
            return source
        rows = self._database.query(
            f"SELECT {_COLUMNS} FROM sources WHERE write_key = ?", [write_key]
        )
        if not rows:
            return None
        source = _from_row(rows[0])
        with self._lock:
            self._known[write_key] = source
        return source
