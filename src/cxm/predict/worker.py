"""Scheduled scoring inside ``cxm serve``: rescore every profile every interval.

``CXM_PREDICT_SCORE_INTERVAL_SECONDS`` (default 86,400 = daily; 0 turns it off).
The first run is one interval after start, so starting a server never blocks on
scoring. Several API processes on one PostgreSQL server each run a worker; a run
is skipped when the newest ``score_run`` is younger than half an interval, so they
do not all rescore. Errors are logged and retried next time, never fatal.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from cxm.predict.model_store import latest_model
from cxm.settings import Settings
from cxm.store import Database

log = logging.getLogger(__name__)


class PredictSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CXM_PREDICT_", extra="ignore")

    score_interval_seconds: float = Field(
        default=86_400.0,
        description="How often `cxm serve` rescores every profile (0 turns it off).",
    )
    horizon_days: int = Field(default=365, description="CLV horizon of scheduled scoring.")
    discount_rate: float = Field(default=0.1, description="Annual discount rate of CLV.")


class ScoringWorker:
    def __init__(self, database: Database, settings: PredictSettings) -> None:
        self._database = database
        self._settings = settings
        self._stop = threading.Event()
        self.runs = 0
        self._thread = threading.Thread(target=self._run, name="cxm-predict", daemon=True)

    def start(self) -> ScoringWorker:
        self._thread.start()
        return self

    def due(self) -> bool:
        last = latest_model(self._database, "score_run", with_payload=False)
        if last is None:
            return True
        age = (datetime.now(UTC) - last.created_at).total_seconds()
        return age >= self._settings.score_interval_seconds / 2

    def _run(self) -> None:
        from cxm.predict.scoring import score_profiles

        while not self._stop.wait(self._settings.score_interval_seconds):
            try:
                if self.due():
                    run = score_profiles(
                        self._database, self._settings.horizon_days, self._settings.discount_rate
                    )
                    self.runs += 1
                    log.info("predict: scored %d profiles in %.1f s", run.profiles, run.seconds)
            except Exception:
                log.exception("predict: scheduled scoring failed; retrying next interval")

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)


def start(database: Database, settings: Settings) -> ScoringWorker | None:
    """Start scheduled scoring unless its interval is 0."""
    own = PredictSettings()
    if own.score_interval_seconds <= 0:
        return None
    return ScoringWorker(database, own).start()
