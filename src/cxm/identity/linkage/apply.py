"""Probabilistic links into the identity graph: merge above the threshold,
queue the grey band for review.

A link is an edge between two ``record:<source>`` identifiers with origin
``probabilistic`` and its match probability, so it goes through the same guard
rails, merge log and unmerge as deterministic links. A pair already on one
profile, already reviewed, or blocked (an unmerge, a rejected review) is skipped.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from cxm.identity.linkage.model import ScoredPair, score_pairs
from cxm.identity.linkage.records import LinkageInput, read_records
from cxm.identity.merge_log import record_merges
from cxm.identity.resolve_batch import BatchIdentifiers, resolve_batch
from cxm.identity.stitch import identity_transaction
from cxm.settings import get_settings
from cxm.store import Database, Transaction

RecordKey = tuple[str, str]


@dataclass(frozen=True)
class LinkageSummary:
    records: int
    pairs_scored: int
    merged: int
    queued_for_review: int
    seconds: float


def link_edges(
    tx: Transaction, links: list[tuple[RecordKey, RecordKey, float]], origin: str
) -> int:
    """Merge the profiles of record pairs through the guard rails; return merges made."""
    if not links:
        return 0
    index: dict[tuple[str, str], int] = {}
    left, right, scores = [], [], []
    for a, b, score in links:
        ends = []
        for source, record_id in (a, b):
            pair = (f"record:{source}", record_id)
            ends.append(index.setdefault(pair, len(index)))
        left.append(min(ends))
        right.append(max(ends))
        scores.append(score)
    now = datetime.now(UTC)
    batch = BatchIdentifiers(
        pairs=list(index),
        first_seen=[now] * len(index),
        last_seen=[now] * len(index),
        left=left,
        right=right,
        edge_seen=[now] * len(left),
        origin=origin,
        primary=[],
        scores=scores,
    )
    outcome = resolve_batch(tx, batch, now)
    record_merges(tx, outcome.merges, now)
    return len(outcome.merges)


def _reviewed_or_blocked(tx: Transaction) -> set[tuple[RecordKey, RecordKey]]:
    seen: set[tuple[RecordKey, RecordKey]] = set()
    for row in tx.query(
        "SELECT left_source, left_record_id, right_source, right_record_id FROM link_reviews"
    ):
        seen.add(((row[0], row[1]), (row[2], row[3])))
    return seen


def _queue(tx: Transaction, data: LinkageInput, pairs: list[ScoredPair], now: datetime) -> int:
    seen = _reviewed_or_blocked(tx)
    rows = []
    for pair in pairs:
        a = (data.sources[pair.left], data.record_ids[pair.left])
        b = (data.sources[pair.right], data.record_ids[pair.right])
        a, b = min(a, b), max(a, b)
        if (a, b) in seen:
            continue
        seen.add((a, b))
        rows.append((a, b, pair))
    if not rows:
        return 0
    profile: dict[str, str | None] = {
        key: owner
        for key, owner in tx.query(
            "SELECT source || ':' || record_id, profile_id FROM customer_records"
        )
    }
    tx.append(
        "link_reviews",
        pa.table(
            {
                "review_id": [uuid.uuid4().hex for _ in rows],
                "left_source": [a[0] for a, _, _ in rows],
                "left_record_id": [a[1] for a, _, _ in rows],
                "right_source": [b[0] for _, b, _ in rows],
                "right_record_id": [b[1] for _, b, _ in rows],
                "match_weight": [p.match_weight for _, _, p in rows],
                "match_probability": [p.match_probability for _, _, p in rows],
                "status": ["pending"] * len(rows),
                "created_at": pa.array([now] * len(rows), pa.timestamp("us", tz="UTC")),
                "profile_id": [profile.get(f"{a[0]}:{a[1]}") for a, _, _ in rows],
                "other_profile_id": [profile.get(f"{b[0]}:{b[1]}") for _, b, _ in rows],
            }
        ),
    )
    return len(rows)


def link_records(database: Database, step: Callable[[str], None] | None = None) -> LinkageSummary:
    """Score customer records against each other and merge or queue the results."""
    began = time.perf_counter()
    settings = get_settings()
    data = read_records(database)
    pairs = score_pairs(
        data.features, settings.identity_linkage_engine, settings.identity_review_probability, step
    )
    apart = [p for p in pairs if data.profile_ids[p.left] != data.profile_ids[p.right]]
    sure = [p for p in apart if p.match_probability >= settings.identity_match_probability]
    grey = [p for p in apart if p.match_probability < settings.identity_match_probability]
    if step is not None:
        step("merging and queueing")
    with identity_transaction(database) as tx:
        links = [
            (
                (data.sources[p.left], data.record_ids[p.left]),
                (data.sources[p.right], data.record_ids[p.right]),
                p.match_probability,
            )
            for p in sure
        ]
        merged = link_edges(tx, links, "probabilistic")
        queued = _queue(tx, data, grey, datetime.now(UTC))
    return LinkageSummary(
        data.features.num_rows, len(pairs), merged, queued, time.perf_counter() - began
    )
