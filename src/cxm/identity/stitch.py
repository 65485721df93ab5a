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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


def _first_occurrences(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct codes and where each first occurs. Arrow's dictionary encoding numbers
    values in order of first appearance, so a first occurrence is where the running
    maximum grows: O(n), where ``np.unique`` sorted millions of codes; checked, with
    the sort as fallback, since that order is Arrow behaviour rather than contract."""
    if len(codes) == 0:
        return codes, codes
    running = np.maximum.accumulate(codes)
    first_at = np.flatnonzero(np.concatenate([[True], running[1:] > running[:-1]]))
    nodes = codes[first_at]
    if nodes[0] == 0 and (np.diff(nodes) == 1).all():
        return nodes, first_at
    found: tuple[np.ndarray, np.ndarray] = np.unique(codes, return_index=True)
    return found


def _batch_graph(rows: FactRows) -> BatchIdentifiers:
    """Number the batch's identifiers (first seen first) and link each row's
    identifiers to its strongest one, in arrays rather than per-row Python."""
    sizes, types, values = rows.sizes, rows.types, rows.values
    if (sizes == 0).any():
        raise ValueError("a fact row without identifiers cannot be stitched")
    # Types never contain NUL (nor can PostgreSQL text), so the joined key is unambiguous.
    type_array = pa.array(types, pa.string())
    keys = pc.binary_join_element_wise(type_array, pa.array(values, pa.string()), "\x00")
    codes = np.asarray(pc.dictionary_encode(keys).indices, dtype=np.int64)
    nodes, first_at = _first_occurrences(codes)
    row_of = np.repeat(np.arange(len(sizes)), sizes)
    seen = rows.seen_at.astype("datetime64[us]").astype(np.int64)[row_of]
    never = np.iinfo(np.int64)
    first = np.full(len(nodes), never.max, dtype=np.int64)
    last = np.full(len(nodes), never.min, dtype=np.int64)
    np.minimum.at(first, codes, seen)
    np.maximum.at(last, codes, seen)

    starts = np.cumsum(sizes) - sizes
    primary = codes[starts]
    kinds = pc.dictionary_encode(type_array)
    rank_of_kind = [RANK[t.partition(":")[0]] for t in kinds.dictionary.to_pylist()]
    row_rank = np.array(rank_of_kind, dtype=np.int64)[np.asarray(kinds.indices)[starts]]
    head = primary[row_of]
    is_link = codes != head
    is_link[starts] = False
    linked = np.flatnonzero(is_link)
    low = np.minimum(head[linked], codes[linked])
    high = np.maximum(head[linked], codes[linked])
    # A link keeps its first occurrence; links are then ordered strongest first,
    # ties in order of first occurrence.
    _, first_link = np.unique(low * len(nodes) + high, return_index=True)
    first_link.sort()
    ordered = first_link[np.argsort(row_rank[row_of[linked[first_link]]], kind="stable")]
    return BatchIdentifiers(
        pairs=[(types[i], values[i]) for i in first_at.tolist()],
        first_seen=first.astype("datetime64[us]"),
        last_seen=last.astype("datetime64[us]"),
        left=low[ordered].tolist(),
        right=high[ordered].tolist(),
        edge_seen=seen[linked[ordered]].astype("datetime64[us]"),
        origin=rows.table,
        primary=primary.tolist(),
    )


def stitch_rows(tx: Transaction, rows: FactRows, summary: StitchSummary) -> None:
    """Stitch one batch of rows inside the caller's (locked) transaction."""
    batch = _batch_graph(rows)
    outcome = resolve_batch(tx, batch, datetime.now(UTC))
    record_merges(tx, outcome.merges, outcome.now)
    profiles = pa.array(outcome.profile_of, pa.string()).take(pa.array(batch.primary))
    assign_rows(tx, rows.table, rows.keys, profiles.to_pylist())
    summary.add(rows.table, len(rows.keys))
    summary.identifiers_new += outcome.identifiers_new
    summary.profiles_new += outcome.profiles_new
    summary.merges += len(outcome.merges)
    summary.refused_links += outcome.refused
    summary.shared_marked += outcome.shared_marked


# Rows per stitch transaction. Each batch re-reads what the store knows about its
# identifiers and appends with an anti-join against the stored tables, so fewer,
# larger batches cost less in a bulk pass (1.25M events: 13 batches of 100k took
# ~70 s on the shared machine, one batch ~40 s); half a million rows of identifiers
# in Python lists stay within a few hundred MB.
BATCH_ROWS = 500_000


def stitch_new(database: Database, batch_size: int = BATCH_ROWS) -> StitchSummary:
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
