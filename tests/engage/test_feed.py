"""The engage worker in its own process: API processes NOTIFY committed event keys."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest

from cxm.collect.ingest import Collector
from cxm.collect.sources import create_source
from cxm.engage.config import EngageSettings
from cxm.engage.feed import Notifier
from cxm.engage.journeys import create_journey
from cxm.engage.worker import EngageWorker
from cxm.store import Database, open_database
from tests.engage.people import add_profile, grant
from tests.engage.receivers import webhook_receiver
from tests.support.cli import cxm


@pytest.mark.backends("postgresql")
def test_a_separate_worker_reacts_to_events_another_process_committed(
    database: Database, database_url: str
) -> None:
    add_profile(database, "p1")
    grant(database, "p1", "marketing")
    source = create_source(database, "web")
    with webhook_receiver() as receiver:
        create_journey(
            database,
            "hook",
            {
                "trigger": {"event": "Checkout Started"},
                "reentry": "always",
                "steps": [{"type": "action", "action": "webhook", "url": receiver.url}],
            },
            status="active",
        )
        # The API side: a collector and the notifier on one Database object; the worker
        # on another, as in its own process (no commit listener of the collector's).
        collector = Collector(database, 32_000, 1000)
        notifier = Notifier(database, database_url).start()
        elsewhere = open_database(database_url)
        worker = EngageWorker(
            elsewhere, EngageSettings(backoff_seconds=0), listen_url=database_url
        ).start()
        try:
            rows = [
                collector.prepare_single(
                    {"userId": "u-p1", "event": "Checkout Started", "messageId": f"m{i}"},
                    "track",
                    source,
                )
                for i in range(3)
            ]
            collector.commit(rows, [], source).result(timeout=10)
            started = time.monotonic()
            while len(receiver.deliveries) < 3 and time.monotonic() - started < 10:
                time.sleep(0.01)
        finally:
            worker.stop()
            elsewhere.close()
            notifier.stop()
            collector.close()
    assert len(receiver.unique()) == 3
    triggers = {orjson.loads(d.body)["trigger"]["event"] for d in receiver.deliveries}
    assert triggers == {"Checkout Started"}


def test_the_separate_worker_refuses_duckdb(database_file: Path) -> None:
    code, out = cxm("engage", "worker")
    assert code == 2
    assert "needs PostgreSQL" in out
