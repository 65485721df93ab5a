"""A small in-process cache for the journey map page's heavier views (continuity, the
journey map itself), keyed by the data they read so it is never stale.

The key is the database, the view's parameters and a *data version*: the read
model's source signature (events' count, count on a profile, latest receipt; the
merge log), the latest event timestamp and the latest ``lifecycle_stages`` refresh (cheap
aggregate queries; DuckDB answers them from metadata and zone maps). Any new event,
import or stage refresh changes the version and the view is recomputed. Entries are
few (one per view and parameter set) and bounded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cxm.journeys.read_model import source_signature
from cxm.store import Database

T = TypeVar("T")
MAX_ENTRIES = 32
_entries: OrderedDict[Hashable, Any] = OrderedDict()
_lock = threading.Lock()


def data_version(database: Database) -> tuple[Any, ...]:
    # The read model's source signature: new events, and also stitching, merges and
    # unmerges, which move events between persons without changing their count.
    events = (
        *source_signature(database),
        database.scalar("SELECT max(timestamp) FROM events"),
    )
    stages: tuple[Any, ...] = ()
    if "lifecycle_stages" in database.table_names():
        stages = tuple(database.query("SELECT count(*), max(updated_at) FROM lifecycle_stages")[0])
    extra = []
    for table in ("tickets", "survey_answers", "review_analyses"):
        if table in database.table_names():
            extra.append(database.scalar(f"SELECT count(*) FROM {table}"))
    return (*events, *stages, *extra)


def cached(database: Database, view: str, params: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or its earlier result while the data it read has not changed."""
    key = (database.url, view, params, data_version(database))
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            found: T = _entries[key]
            return found
    value = compute()
    with _lock:
        _entries[key] = value
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value
