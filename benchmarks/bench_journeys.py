"""Benchmark: journey analytics on 10M events / 100k customers (DuckDB, the default).

Builds (or reuses) the shared scale file of ``benchmarks.scale_data`` (set
``CXM_BENCH_JOURNEYS_DB`` to use another copy), then times each query warm: one
warm-up, then the median of ``REPEATS`` runs, wall clock and the process CPU time
(DuckDB's threads included).

    python -m benchmarks.run journeys
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.scale_data import build_scale_database
from cxm.store import Database, open_database

TITLE = "Journeys: funnels, retention, paths (issue 5)"
TARGETS = {"wall_s": "< 1 s per query on 10M events"}
NOTES = """
Data: `benchmarks.scale_data` — 10M events (page views, product views, cart adds,
checkouts, searches, help-centre views, orders and tickets over two years), 100k
customers, on DuckDB (the file the metrics benchmark uses too). `wall_s` is the
median wall time of 3 warm runs, `cpu_s` the process CPU time of the same run (both
DuckDB threads). Funnels: 3 steps = Product Viewed → Product Added → Order
Completed; 5 steps = page → Product Viewed → Product Added → Checkout Started →
Order Completed; 14-day window, every person in the data. Every query reads the
`journey_events` read model (migration 0012, `cxm.journeys.read_model`): person
hash, event-name code, time, channel, sorted by name, so a step's scan reads only
that step's rows. Before each query a freshness check (three aggregates over
`events`, two over `merges`) decides whether new events must first be appended or
the model rebuilt (the last table: a full rebuild of 10M rows takes several
seconds; at this size a rebuild after stitching or merges runs on a background
thread at most every 5 minutes while queries read the model as it stands, so only
the first build and a view right after an erasure pay it; `cxm demo` builds the
model with the lifecycle stages). Before the
read model (same data): 5-step sequential funnel 1.16 s wall / 2.25 CPU-s on a quiet
machine, 2.0 s / 2.9 CPU-s on this shared one; paths 1.4 s / 2.1; 5-step any order
1.5 s / 2.1; journey map 1.5 s / 2.3; continuity 4.1 s / 5.6 (shared machine).
Continuity and the journey map now aggregate `journey_channel_days` (per person, day
and channel, kept with the read model). The journey map and continuity are also
cached per data version (`cached view`). Stage refresh is a batch job (a full
recompute of every profile's stages; its figure is one run in a fresh process, so it
includes first reads of the event columns) and still reads `events`. The machine was
shared with two other engineers' tests and builds while this ran (the benchmark lock
keeps benchmarks apart, not other work), so wall times vary run to run by up to 2×;
`cpu_s` is the steadier figure.
"""

REPEATS = 3
STEPS_3 = ["Product Viewed", "Product Added", "Order Completed"]
STEPS_5 = ["page", "Product Viewed", "Product Added", "Checkout Started", "Order Completed"]


def _time(work: Callable[[], Any]) -> dict[str, float]:
    work()
    walls, cpus = [], []
    for _ in range(REPEATS):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus)}


def _database() -> Database:
    chosen = os.environ.get("CXM_BENCH_JOURNEYS_DB")
    path = Path(chosen) if chosen else build_scale_database(Path("/tmp/cxm-bench-scale.duckdb"))
    return open_database(f"duckdb:///{path}")


def _once(work: Callable[[], Any]) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def _journey_map_page(database: Database) -> dict[str, dict[str, object]]:
    """The /journeys page's views, once each (they are not per-request queries: stages
    are refreshed by a job, and the page caches the map and continuity until the data
    changes, so a repeat view costs only the data-version check)."""
    from cxm.journeys.cache import cached, data_version
    from cxm.journeys.continuity import compute_continuity
    from cxm.journeys.journey_map import load_journey_map
    from cxm.journeys.stages import refresh_stages

    out: dict[str, dict[str, object]] = {}
    out["stages refresh (100k profiles, batch job)"] = dict(_once(lambda: refresh_stages(database)))
    # Uncached = what a running server pays on the first view after the data changed
    # (warm process, median of 3 like the other queries; the cache is bypassed).
    out["journey map, uncached (first view after new data)"] = dict(
        _time(lambda: load_journey_map(database))
    )
    out["continuity, uncached (first view after new data)"] = dict(
        _time(lambda: compute_continuity(database))
    )
    cached(database, "bench-map", (), lambda: load_journey_map(database))
    out["journey map, cached view"] = dict(
        _time(lambda: cached(database, "bench-map", (), lambda: load_journey_map(database)))
    )
    out["data-version check"] = dict(_time(lambda: data_version(database)))
    return out


def _read_model(database: Database) -> dict[str, dict[str, object]]:
    """What keeping ``journey_events`` fresh costs: the check every query makes, and a
    full rebuild (after a merge, stitching or erasure; forced here by resetting its
    state row)."""
    from cxm.journeys.read_model import TABLE, ensure_fresh

    out: dict[str, dict[str, object]] = {}
    out["read model: freshness check (every query)"] = dict(_time(lambda: ensure_fresh(database)))
    database.execute("UPDATE journey_read_state SET events = -1 WHERE id = 1")
    figures: dict[str, object] = dict(_once(lambda: ensure_fresh(database)))
    figures["rows"] = int(database.scalar(f"SELECT count(*) FROM {TABLE}"))
    out["read model: full rebuild (after a merge or erasure)"] = figures
    return out


def run() -> dict[str, dict[str, object]]:
    from cxm.journeys.funnels import compute_funnel
    from cxm.journeys.paths import compute_paths
    from cxm.journeys.retention import compute_retention

    database = _database()
    database.execute("SET enable_progress_bar = false")
    results: dict[str, dict[str, object]] = {}
    try:
        events = int(database.scalar("SELECT count(*) FROM events"))
        for order in ("sequential", "strict", "any"):
            for label, steps in (("3 steps", STEPS_3), ("5 steps", STEPS_5)):
                figures: dict[str, object] = dict(
                    _time(lambda s=steps, o=order: compute_funnel(database, s, order=o))
                )
                result = compute_funnel(database, steps, order=order)
                figures["persons_entered"] = result.entered
                figures["converted"] = result.converted
                figures["events"] = events
                results[f"funnel {label}, {order}"] = figures
        figures = dict(
            _time(lambda: compute_funnel(database, STEPS_3, breakdown="traffic_channel"))
        )
        results["funnel 3 steps by traffic channel"] = figures
        figures = dict(_time(lambda: compute_funnel(database, STEPS_3, trend="week")))
        results["funnel 3 steps, weekly trend"] = figures
        retention = compute_retention(database, "Order Completed", "Order Completed", "week")
        figures = dict(
            _time(lambda: compute_retention(database, "Order Completed", "Order Completed", "week"))
        )
        figures["cohorts"] = len(retention.cohorts)
        results["retention weekly (Order Completed)"] = figures
        paths = compute_paths(database, "Product Added")
        figures = dict(_time(lambda: compute_paths(database, "Product Added")))
        figures["anchors"] = paths.anchors
        results["paths after Product Added (4 steps)"] = figures
        results.update(_journey_map_page(database))
        results.update(_read_model(database))
    finally:
        database.close()
    return results
