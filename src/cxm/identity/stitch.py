"""Incremental deterministic stitching: new rows -> identifiers -> profiles.

``stitch_new`` takes the rows of every fact table whose ``profile_id`` is still
NULL, in batches, and in one transaction per batch: records their identifiers and
links, marks super-node identifiers shared, finds connected components (see
``graph``), creates or merges profiles (each merge recorded, see ``merges``),
moves merged profiles' rows in every table, and sets each row's profile to the
one of its strongest identifier. Sessions and first/last touch follow.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cxm.identity.extract import FACT_TABLES, RANK, FactRows, read_batch
from cxm.identity.merge_log import record_merges
from cxm.identity.resolve_batch import BatchIdentifiers, resolve_batch
from cxm.identity.rows import assign_rows, fill_by_person_key
from cxm.store import Database, Transaction

_PG_STITCH_LOCK = 7_142_002
_DUCKDB_LOCKS: dict[str, threading.RLock] = defaultdict(threading.RLock)


@dataclass
class StitchSummary:
    rows: dict[str, int] = field(default_factory=dict)
    identifiers_new: int = 0
    profiles_new: int = 0
    merges: int = 0
    refused_links: int = 0
    shared_marked: int = 0
    seconds: float = 0.0

    def add(self, table: str, count: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + count


@contextmanager
def identity_transaction(database: Database) -> Iterator[Transaction]:
    """A transaction no other identity writer runs alongside: an advisory lock on
    PostgreSQL (several workers), a process lock on DuckDB (one process owns the
    file), held until the commit so the next writer sees this one's result."""
    lock = _DUCKDB_LOCKS[database.url] if database.dialect == "duckdb" else nullcontext()
    with lock, database.transaction() as tx:
        if database.dialect == "postgresql":
            tx.execute("SELECT pg_advisory_xact_lock(?)", [_PG_STITCH_LOCK])
        yield tx


def _batch_graph(rows: FactRows) -> BatchIdentifiers:
    index: dict[tuple[str, str], int] = {}
    first: list[datetime] = []
    last: list[datetime] = []
    edges: dict[tuple[int, int], tuple[int, datetime]] = {}
    primary: list[int] = []
    for found, seen in zip(rows.identifiers, rows.seen_at, strict=True):
        ids = []
        for pair in found:
            node = index.get(pair)
            if node is None:
                node = index[pair] = len(index)
                first.append(seen)
                last.append(seen)
            else:
                first[node] = min(first[node], seen)
                last[node] = max(last[node], seen)
            ids.append(node)
        primary.append(ids[0])
        for other in ids[1:]:
            if other != ids[0]:
                key = (min(ids[0], other), max(ids[0], other))
                if key not in edges:
                    edges[key] = (RANK[found[0][0].partition(":")[0]], seen)
    ordered = sorted(edges, key=lambda e: edges[e][0])
    return BatchIdentifiers(
        pairs=list(index),
        first_seen=first,
        last_seen=last,
        left=[e[0] for e in ordered],
        right=[e[1] for e in ordered],
        edge_seen=[edges[e][1] for e in ordered],
        origin=rows.table,
        primary=primary,
    )


def stitch_rows(tx: Transaction, rows: FactRows, summary: StitchSummary) -> None:
    """Stitch one batch of rows inside the caller's (locked) transaction."""
    batch = _batch_graph(rows)
    outcome = resolve_batch(tx, batch, datetime.now(UTC))
    record_merges(tx, outcome.merges, outcome.now)
    assign_rows(tx, rows.table, rows.keys, [outcome.profile_of[p] for p in batch.primary])
    summary.add(rows.table, len(rows.keys))
    summary.identifiers_new += outcome.identifiers_new
    summary.profiles_new += outcome.profiles_new
    summary.merges += len(outcome.merges)
    summary.refused_links += outcome.refused
    summary.shared_marked += outcome.shared_marked


def stitch_new(database: Database, batch_size: int = 100_000) -> StitchSummary:
    """Stitch every row not yet on a profile; safe to run concurrently and repeatedly."""
    began = time.perf_counter()
    summary = StitchSummary()
    for table in FACT_TABLES:
        while True:
            with identity_transaction(database) as tx:
                rows = read_batch(tx, database.dialect, table, batch_size)
                if rows.keys:
                    stitch_rows(tx, rows, summary)
            if len(rows.keys) < batch_size:
                break
    with identity_transaction(database) as tx:
        fill_by_person_key(tx)
    summary.seconds = time.perf_counter() - began
    return summary
