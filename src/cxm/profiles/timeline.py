"""One timeline of everything a person did or had done to them, newest first, paginated.

The timeline is a union of per-table *adapters* (``TIMELINE_ADAPTERS``): each reads
its own table by ``profile_id`` and turns rows into ``TimelineEntry``. A later
stage (survey responses, messages sent) adds one adapter with ``register_adapter``.

Paging: entries are ordered by time, then adapter kind, then each adapter's own
key, all descending. The cursor ``next_before`` is ``<ISO time>|<n>``: continue
with entries at or before that time, skipping the first ``n`` at exactly that time
(the ones already shown), so ties across a page boundary are neither lost nor
repeated. A plain ISO time as ``before`` means "strictly earlier than".
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import import_module
from itertools import islice
from typing import Any

from cxm.errors import FieldError
from cxm.profiles.model import TimelineEntry, TimelinePage
from cxm.store import Database, Row

MAX_LIMIT = 200


class TimelineError(FieldError):
    pass


@dataclass(frozen=True)
class Cursor:
    before: datetime
    skip: int  # entries at exactly ``before`` already shown; -1 = strictly earlier


@dataclass(frozen=True)
class TimelineAdapter:
    """One table's contribution. ``select`` must yield the time column first;
    ``where`` may restrict rows further (it is ANDed with the profile filter)."""

    kind: str
    table: str
    time_column: str
    select: str
    order_key: str
    to_entry: Callable[[Row], TimelineEntry]
    where: str = ""

    def fetch(
        self, database: Database, profile_id: str, cursor: Cursor | None, limit: int
    ) -> list[TimelineEntry]:
        conditions = [f"profile_id = ?{(' AND ' + self.where) if self.where else ''}"]
        params: list[Any] = [profile_id]
        if cursor is not None:
            conditions.append(f"{self.time_column} {'<' if cursor.skip < 0 else '<='} ?")
            params.append(cursor.before)
        sql = (
            f"SELECT {self.select} FROM {self.table} WHERE {' AND '.join(conditions)} "
            f"ORDER BY {self.time_column} DESC, {self.order_key} DESC LIMIT ?"
        )
        return [self.to_entry(row) for row in database.query(sql, [*params, limit])]


TIMELINE_ADAPTERS: list[TimelineAdapter] = []
# Later stages register their adapters in these modules (imported on first use, so the
# profile package does not depend on the stages that build on it).
STAGE_ADAPTER_MODULES = ("cxm.voc.timeline", "cxm.engage.timeline")
_stage_adapters_loaded = False


def _load_stage_adapters() -> None:
    global _stage_adapters_loaded
    if not _stage_adapters_loaded:
        for name in STAGE_ADAPTER_MODULES:
            import_module(name)
        _stage_adapters_loaded = True


def register_adapter(adapter: TimelineAdapter) -> None:
    """Add (or replace, by kind) a table's timeline adapter."""
    TIMELINE_ADAPTERS[:] = [a for a in TIMELINE_ADAPTERS if a.kind != adapter.kind]
    TIMELINE_ADAPTERS.append(adapter)


def parse_before(before: str | None) -> Cursor | None:
    if before is None or not before.strip():
        return None
    text, sep, skip = before.strip().partition("|")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise TimelineError("before", "expected an ISO 8601 time or a next_before cursor") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not sep:
        return Cursor(moment, -1)
    if not skip.isdigit():
        raise TimelineError("before", "the cursor's count after '|' must be a number")
    return Cursor(moment, int(skip))


def _order(entry: TimelineEntry) -> tuple[datetime, str]:
    return entry.at, entry.kind


def load_timeline(
    database: Database,
    profile_id: str,
    before: str | None = None,
    limit: int = 50,
    adapters: Sequence[TimelineAdapter] | None = None,
) -> TimelinePage:
    if not 1 <= limit <= MAX_LIMIT:
        raise TimelineError("limit", f"must be between 1 and {MAX_LIMIT}")
    _load_stage_adapters()
    cursor = parse_before(before)
    skip = max(cursor.skip, 0) if cursor else 0
    chosen = TIMELINE_ADAPTERS if adapters is None else adapters
    # Each adapter list is already newest first; merge on (time, kind) descending and
    # keep each adapter's own order within a tie, so paging is deterministic.
    streams = [a.fetch(database, profile_id, cursor, limit + skip + 1) for a in chosen]
    merged = heapq.merge(*streams, key=_order, reverse=True)
    if cursor is not None and skip:
        merged = (e for i, e in enumerate(merged) if not (i < skip and e.at == cursor.before))
    page = list(islice(merged, limit + 1))
    entries, more = page[:limit], len(page) > limit
    next_before = None
    if more and entries:
        last = entries[-1].at
        ties = sum(1 for e in entries if e.at == last)
        carried = skip if cursor is not None and cursor.before == last else 0
        next_before = f"{last.isoformat()}|{ties + carried}"
    return TimelinePage(tuple(entries), next_before)
