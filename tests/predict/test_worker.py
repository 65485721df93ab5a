"""Scheduled scoring: runs on its interval, off at 0, skips when a run is recent."""

from __future__ import annotations

import time

import pytest

from cxm.predict import worker
from cxm.settings import Settings
from cxm.store import Database
from tests.predict.world import build_world


def test_worker_scores_on_its_interval(database: Database) -> None:
    build_world(database, n=30)
    scorer = worker.ScoringWorker(database, worker.PredictSettings(score_interval_seconds=0.3))
    scorer.start()
    try:
        deadline = time.monotonic() + 30
        while scorer.runs == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scorer.stop()
    assert scorer.runs >= 1
    assert database.scalar("SELECT COUNT(*) FROM profile_scores") == 30
    # Just scored: another process would skip its run.
    assert not worker.ScoringWorker(
        database, worker.PredictSettings(score_interval_seconds=3600)
    ).due()


def test_worker_off_at_zero(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXM_PREDICT_SCORE_INTERVAL_SECONDS", "0")
    assert worker.start(database, Settings()) is None
