"""Deduplicating appends on a single key column (the Bloom-filter path on DuckDB)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from cxm.store import Database
from cxm.store.key_filter import BloomFilter

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _events(tags: list[str]) -> pa.Table:
    n = len(tags)
    keys = [hashlib.md5(t.encode()).hexdigest() for t in tags]
    return pa.table(
        {
            "event_key": keys,
            "source_id": ["s"] * n,
            "message_id": tags,
            "type": ["track"] * n,
            "timestamp": pa.array([NOW] * n, pa.timestamp("us", tz="UTC")),
            "received_at": pa.array([NOW] * n, pa.timestamp("us", tz="UTC")),
            "channel": ["web"] * n,
            "raw": ["{}"] * n,
        }
    )


def _count(database: Database) -> int:
    return int(database.scalar("SELECT count(*) FROM events"))


def test_retried_keys_are_skipped_across_commits(database: Database) -> None:
    assert database.append("events", _events(["a", "b", "c"]), ["event_key"]) == 3
    assert database.append("events", _events(["c", "d", "d", "a"]), ["event_key"]) == 1
    assert _count(database) == 4


def test_rows_written_around_the_filter_are_still_deduplicated(database: Database) -> None:
    database.append("events", _events(["a"]), ["event_key"])
    key = hashlib.md5(b"raw").hexdigest()
    database.execute(
        "INSERT INTO events (event_key, source_id, message_id, type, timestamp, received_at, "
        "channel, raw) VALUES (?, 's', 'raw', 'track', ?, ?, 'web', '{}')",
        [key, NOW, NOW],
    )
    assert database.append("events", _events(["raw", "a", "new"]), ["event_key"]) == 1
    assert _count(database) == 3


def test_deleted_keys_can_be_stored_again(database: Database) -> None:
    database.append("events", _events(["a", "b"]), ["event_key"])
    database.execute("DELETE FROM events WHERE message_id = 'a'")
    assert database.append("events", _events(["a", "b"]), ["event_key"]) == 1
    assert _count(database) == 2


def test_large_batches_deduplicate_exactly(database: Database) -> None:
    first = [f"m{i}" for i in range(20_000)]
    assert database.append("events", _events(first), ["event_key"]) == 20_000
    overlapping = [f"m{i}" for i in range(15_000, 35_000)]
    assert database.append("events", _events(overlapping), ["event_key"]) == 15_000
    assert _count(database) == 35_000


def test_bloom_filter_has_no_false_negatives_and_few_false_positives() -> None:
    rng = np.random.default_rng(7)
    bloom = BloomFilter(100_000)
    stored = rng.integers(0, 2**63, size=(2, 100_000), dtype=np.uint64)
    bloom.add(stored[0], stored[1])
    assert bloom.might_contain(stored[0], stored[1]).all()
    other = rng.integers(0, 2**63, size=(2, 100_000), dtype=np.uint64)
    assert bloom.might_contain(other[0], other[1]).mean() < 0.002
