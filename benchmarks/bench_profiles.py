"""Benchmark: unified-profile lookup latency on the default demo (20k persons, ~1M events).

The demo is generated and loaded into DuckDB through the real importers and
identity resolution (about 5 minutes on 2 cores), then copied table by table into
a fresh PostgreSQL database; both are measured in this process, warm, one lookup
at a time (what one API worker does per request). Set ``CXM_BENCH_PROFILES_DB`` to
an already loaded DuckDB file to skip generation (it is copied, never changed).

    python -m benchmarks.run profiles
"""

from __future__ import annotations

import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.common import loaded_demo_duckdb, percentiles_ms
from cxm.store import Database, open_database

TITLE = "Profiles: customer 360 lookup (issue 3)"
TARGETS = {"profile_p99_ms": "< 10 ms"}
NOTES = """
`profile` is `get_profile` without the timeline (identifiers, survivorship traits
from every record and identify call, value/RFM, lifecycle, consent, preferences);
`profile_with_timeline` adds the first 20 timeline entries; `timeline_page` is one
50-entry page; `search` is a name search. Latencies in ms over random current
profiles, one at a time, after a warm-up. DuckDB has no index on `events.profile_id`
on purpose: measured on the same 1M-event file, an ART index made a 100k-row
`profile_id` update (what identity stitching does) take 24.7 s instead of 0.06 s and
doubled the cost of small ingest commits; each lookup therefore scans the events
column once (~6 ms on this shared 2-core machine). PostgreSQL uses the B-tree
indexes of migration 0003. So the < 10 ms p99 target is met on PostgreSQL (the
server deployment) and missed on embedded DuckDB at 1M events (~20 ms p50: every
query by profile_id is a column scan, ~15 core-ms per lookup in total).

Where a DuckDB card's time goes (measured in-process on the same file, 200 random
profiles, shared machine, p50 24 ms in that run): identify-call traits from
`events` 8.3 ms, the profile's identifiers 4.8 ms, customer records 2.9 ms, orders
2.6 ms, preferences 1.7 ms, following `merged_into` 1.4 ms, consent 1.3 ms, the
profile row 0.7 ms. The identify query now filters on `type` before `profile_id`
(~2 ms faster at p50 in an A/B on the same file). Removing the events scan
entirely (an identify-observation side table, see docs/identity.md) would still
leave ~15 ms of per-table scans and per-query overhead (~0.2 ms for an empty query,
~1 ms for a 100k-row table scan) across eight queries, so a DuckDB card under
10 ms p99 needs both that table and fewer, combined queries.
"""

SAMPLE = 300
WARM_UP = 20
COPIED_TABLES = (
    "sources",
    "profiles",
    "identifiers",
    "customer_records",
    "orders",
    "tickets",
    "reviews",
    "events",
)
_NAMES = ("Müller", "Schmidt", "Smith", "Wang", "李", "Anna", "James", "Chen Wei", "Sophie")


def _timed(items: list[str], call: Callable[[str], object]) -> dict[str, float]:
    for item in items[:WARM_UP]:
        call(item)
    samples = []
    for item in items:
        began = time.perf_counter()
        call(item)
        samples.append((time.perf_counter() - began) * 1000)
    return percentiles_ms(samples)


def _copy_to_postgres(source: Database, url: str) -> Database:
    target = open_database(url)
    for table in COPIED_TABLES:
        total = int(source.scalar(f"SELECT count(*) FROM {table}"))
        for offset in range(0, total, 200_000):
            chunk = source.query_arrow(
                f"SELECT * FROM {table} ORDER BY rowid LIMIT 200000 OFFSET {offset}"
            )
            target.append(table, chunk)
    target.execute("ANALYZE")
    return target


def _measure(database: Database, profile_ids: list[str], emails: list[str]) -> dict[str, Any]:
    from cxm.profiles import get_profile, load_timeline, search_profiles

    figures: dict[str, Any] = {"profiles_sampled": len(profile_ids)}
    for name, call in (
        ("profile", lambda i: get_profile(database, i, timeline_limit=0)),
        ("profile_by_email", lambda e: get_profile(database, e, timeline_limit=0)),
        ("profile_with_timeline", lambda i: get_profile(database, i, timeline_limit=20)),
        ("timeline_page", lambda i: load_timeline(database, i, limit=50)),
        ("search", lambda q: search_profiles(database, q, 20)),
    ):
        items = emails if name == "profile_by_email" else profile_ids
        if name == "search":
            items = [_NAMES[k % len(_NAMES)] for k in range(60)]
        for key, value in _timed(items, call).items():
            figures[f"{name}_{key}"] = value
    return figures


def run() -> dict[str, dict[str, Any]]:
    admin_url = os.environ.get(
        "CXM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        loaded = loaded_demo_duckdb(Path(folder), "profiles.duckdb", "CXM_BENCH_PROFILES_DB")
        duck = open_database(f"duckdb:///{loaded}")
        rng = random.Random(3)
        current = [
            r[0]
            for r in duck.query(
                "SELECT profile_id FROM profiles WHERE merged_into IS NULL ORDER BY profile_id"
            )
        ]
        profile_ids = rng.sample(current, min(SAMPLE, len(current)))
        emails = [
            f"email:{r[0]}"
            for r in duck.query(
                "SELECT id_value FROM identifiers WHERE id_type = 'email' ORDER BY id_value"
            )
        ]
        emails = rng.sample(emails, min(SAMPLE, len(emails)))
        counts = {t: int(duck.scalar(f"SELECT count(*) FROM {t}")) for t in ("events", "profiles")}
        results["DuckDB (embedded)"] = {
            "events": counts["events"],
            "profiles": counts["profiles"],
            **_measure(duck, profile_ids, emails),
        }
        name = f"cxm_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            pg = _copy_to_postgres(duck, admin_url.rpartition("/")[0] + f"/{name}")
            try:
                results["PostgreSQL"] = {
                    "events": counts["events"],
                    "profiles": counts["profiles"],
                    **_measure(pg, profile_ids, emails),
                }
            finally:
                pg.close()
        finally:
            duck.close()
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


if __name__ == "__main__":
    print(run())
