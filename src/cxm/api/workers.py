"""Background workers that later stages run inside the API process.

Each stage package may have a ``worker.py`` whose ``start(database, settings)`` returns
something with ``stop()`` (or None when it has nothing to run). The app starts them
after the identity stitcher and stops them in reverse order on shutdown.
"""

from __future__ import annotations

from importlib import import_module
from typing import Protocol

from cxm.settings import Settings
from cxm.store import Database

STAGE_WORKERS = ("cxm.voc.worker", "cxm.predict.worker", "cxm.engage.worker")


class Stoppable(Protocol):
    def stop(self) -> None: ...


def start_stage_workers(database: Database, settings: Settings) -> list[Stoppable]:
    started: list[Stoppable] = []
    for name in STAGE_WORKERS:
        worker = import_module(name).start(database, settings)
        if worker is not None:
            started.append(worker)
    return started
