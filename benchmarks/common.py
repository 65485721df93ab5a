"""Pieces several benchmarks share: latency percentiles and a loaded default demo."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cxm.store import open_database


def percentiles_ms(samples: list[float], *, with_max: bool = False) -> dict[str, float]:
    """p50/p95/p99 (and max) of latencies in milliseconds, nearest-rank, two decimals."""
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    figures = {"p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99)}
    if with_max:
        figures["max_ms"] = at(1.0)
    return figures


def loaded_demo_duckdb(folder: Path, file_name: str, reuse_env: str) -> Path:
    """A DuckDB file with the default demo loaded through the importers; a copy of the
    file named by ``reuse_env`` instead when set (loading takes minutes)."""
    target = folder / file_name
    given = os.environ.get(reuse_env)
    if given:
        shutil.copy(given, target)
        return target
    from cxm.demo.config import DemoConfig
    from cxm.demo.generate import ensure_generated
    from cxm.demo.load import load

    files, _ = ensure_generated(DemoConfig.of_size("default"), folder / "demo")
    database = open_database(f"duckdb:///{target}")
    try:
        load(database, files)
    finally:
        database.close()
    return target
