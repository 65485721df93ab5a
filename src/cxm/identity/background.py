"""The server's stitcher: a daemon thread running ``stitch_new`` every interval,
so a visitor who identifies has their earlier events on their profile within
about a second. Errors are logged and retried on the next tick, never fatal."""

from __future__ import annotations

import logging
import threading

from cxm.identity.stitch import stitch_new
from cxm.store import Database

log = logging.getLogger(__name__)


class BackgroundStitcher:
    def __init__(self, database: Database, interval_seconds: float) -> None:
        self._database = database
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cxm-stitcher", daemon=True)

    def start(self) -> BackgroundStitcher:
        if self._interval > 0:
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                stitch_new(self._database)
            except Exception:
                log.exception("identity stitching failed; retrying")

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
