"""What later stages add to the demo after the data is loaded and profiles are built.

Each stage module's ``run(database, files, say)`` works on the loaded data the way a
user would (define surveys and triggers, fit models, start journeys...), returning a
one-line summary; ``say`` reports progress. They run in this order.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from cxm.demo.files import DemoFiles
from cxm.store import Database

DEMO_STAGES = (
    "cxm.demo.stage_voc",
    "cxm.demo.stage_text",
    "cxm.demo.stage_journeys",
    "cxm.demo.stage_predict",
    "cxm.demo.stage_engage",
    "cxm.demo.stage_recommend",
)


def run_stages(database: Database, files: DemoFiles, say: Callable[[str], None]) -> list[str]:
    summaries = []
    for name in DEMO_STAGES:
        summary = import_module(name).run(database, files, say)
        if summary:
            summaries.append(summary)
    return summaries
