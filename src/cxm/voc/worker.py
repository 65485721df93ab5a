"""The voc stage's background work inside the API process (see ``cxm.api.workers``).

A daemon thread runs the survey triggers every ``CXM_VOC_WORKER_INTERVAL_SECONDS``
(default 5 s; 0 disables), the way ``cxm.identity.background`` runs the stitcher:
progress lives in the store (``voc_cursors``), so a restart resumes where it was,
and an error is logged and retried on the next tick, never fatal.
"""

from __future__ import annotations

import logging
import threading

from cxm.settings import Settings
from cxm.store import Database
from cxm.voc.config import voc_settings

log = logging.getLogger(__name__)


class TriggerWorker:
    def __init__(self, database: Database, interval_seconds: float) -> None:
        self._database = database
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cxm-voc-triggers", daemon=True)

    def start(self) -> TriggerWorker:
        self._thread.start()
        return self

    def _run(self) -> None:
        from cxm.voc.triggers import run_triggers

        while not self._stop.wait(self._interval):
            try:
                run_triggers(self._database)
            except Exception:
                log.exception("survey triggers failed; retrying")

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)


def start(database: Database, settings: Settings) -> TriggerWorker | None:
    """Start the trigger worker; None when disabled by a zero interval."""
    interval = voc_settings().worker_interval_seconds
    if interval <= 0:
        return None
    return TriggerWorker(database, interval).start()
