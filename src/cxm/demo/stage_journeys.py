"""The journeys stage's part of the demo (see ``cxm.demo.stages``): lifecycle stages."""

from __future__ import annotations

from collections.abc import Callable

from cxm.demo.files import DemoFiles
from cxm.store import Database


def run(database: Database, files: DemoFiles, say: Callable[[str], None]) -> str:
    """Compute every profile's lifecycle stage from the default rules and build the
    journey read model (so the first dashboard view does not pay it); one-line summary."""
    from cxm.journeys.read_model import ensure_fresh
    from cxm.journeys.stages import refresh_stages

    result = refresh_stages(database)
    ensure_fresh(database)
    stages = ", ".join(f"{stage} {count:,}" for stage, count in result.by_stage.items())
    return f"lifecycle stages for {result.profiles:,} profiles ({stages})"
