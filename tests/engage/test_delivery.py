"""Delivery survives a crash between send and ack; the worker reacts to committed events."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import orjson
import pytest

from cxm.collect.ingest import Collector
from cxm.collect.sources import create_source
from cxm.engage.config import EngageSettings
from cxm.engage.engine import Engine, EventFact
from cxm.engage.journeys import create_journey
from cxm.engage.segments import create_segment, recompute
from cxm.engage.worker import EngageWorker, dispatch_once
from cxm.identity import BackgroundStitcher
from cxm.store import Database, open_database
from tests.engage.people import add_profile, grant
from tests.engage.receivers import webhook_receiver

_DISPATCH = (
    "import sys; from cxm.store import open_database; "
    "from cxm.engage.worker import dispatch_once; "
    "db = open_database(sys.argv[1]); print(dispatch_once(db)); db.close()"
)


@pytest.mark.backends("duckdb", "postgresql")
def test_crash_between_claim_and_ack_is_not_a_duplicate_for_the_receiver(
    database_url: str,
) -> None:
    database = open_database(database_url)
    with webhook_receiver() as receiver:
        try:
            add_profile(database, "p1")
            grant(database, "p1", "marketing")
            create_journey(
                database,
                "hook",
                {
                    "trigger": {"event": "Checkout Started"},
                    "steps": [{"type": "action", "action": "webhook", "url": receiver.url}],
                },
                status="active",
            )
            now = datetime.now(UTC)
            Engine(database, EngageSettings()).handle_events(
                [EventFact("p1", "Checkout Started", {}, uuid.uuid4().hex, now)], now
            )
        finally:
            database.close()  # DuckDB: one process owns the file at a time
        env = {
            **os.environ,
            "CXM_ENGAGE_TEST_CRASH_AFTER_SEND": "1",
            "CXM_ENGAGE_CLAIM_LEASE_SECONDS": "0",
        }
        crashed = subprocess.run(
            [sys.executable, "-c", _DISPATCH, database_url], env=env, timeout=60
        )
        assert crashed.returncode == 9  # died after the send, before the ack
        assert len(receiver.deliveries) == 1
        env.pop("CXM_ENGAGE_TEST_CRASH_AFTER_SEND")
        again = subprocess.run(
            [sys.executable, "-c", _DISPATCH, database_url],
            env=env,
            timeout=60,
            capture_output=True,
            text=True,
        )
        assert again.returncode == 0, again.stderr
        assert "'sent': 1" in again.stdout
        # At-least-once: the restarted dispatcher sent again with the same key ...
        assert len(receiver.deliveries) == 2
        assert len(receiver.unique()) == 1  # ... so the receiver acts once.
        final = subprocess.run(
            [sys.executable, "-c", _DISPATCH, database_url],
            env=env,
            timeout=60,
            capture_output=True,
            text=True,
        )
        assert final.stdout.strip() == "{}"  # an acknowledged row is never sent again
        assert len(receiver.deliveries) == 2


def test_worker_reacts_to_committed_events_within_a_second(database: Database) -> None:
    add_profile(database, "p1")
    grant(database, "p1", "marketing")
    segment = create_segment(database, "checkout", {"event": "Checkout Started", "within_days": 1})
    recompute(database, segment.segment_id)
    source = create_source(database, "web")
    collector = Collector(database, 32_000, 1000)
    stitcher = BackgroundStitcher(database, 0.2).start()
    with webhook_receiver() as receiver:
        create_journey(
            database,
            "hook",
            {
                "trigger": {"event": "Checkout Started"},
                "steps": [{"type": "action", "action": "webhook", "url": receiver.url}],
            },
            status="active",
        )
        worker = EngageWorker(database, EngageSettings(backoff_seconds=0)).start()
        try:
            row = collector.prepare_single(
                {"userId": "u-p1", "event": "Checkout Started", "messageId": "m1"},
                "track",
                source,
            )
            started = time.monotonic()
            collector.commit([row], [], source).result(timeout=10)
            while not receiver.deliveries and time.monotonic() - started < 5:
                time.sleep(0.005)
            webhook_seconds = time.monotonic() - started
            while (
                not database.scalar("SELECT count(*) FROM segment_members")
                and time.monotonic() - started < 5
            ):
                time.sleep(0.01)
            segment_seconds = time.monotonic() - started
        finally:
            worker.stop()
            stitcher.stop()
            collector.close()
    assert len(receiver.deliveries) == 1
    assert webhook_seconds < 1.0
    assert database.scalar("SELECT profile_id FROM segment_members") == "p1"
    assert segment_seconds < 1.0
    assert dispatch_once(database) == {}


def test_worker_enters_segment_triggered_journeys_from_its_segment_thread(
    database: Database,
) -> None:
    # Segment passes run on their own thread; their entries come back to the engine
    # thread, which enters the journey and sends its webhook.
    add_profile(database, "p1")
    grant(database, "p1", "marketing")
    segment = create_segment(database, "buyers", {"event": "Order Completed", "within_days": 1})
    recompute(database, segment.segment_id)
    source = create_source(database, "web")
    collector = Collector(database, 32_000, 1000)
    with webhook_receiver() as receiver:
        create_journey(
            database,
            "welcome buyers",
            {
                "trigger": {"segment": "buyers"},
                "steps": [{"type": "action", "action": "webhook", "url": receiver.url}],
            },
            status="active",
        )
        worker = EngageWorker(database, EngageSettings(backoff_seconds=0)).start()
        try:
            row = collector.prepare_single(
                {"userId": "u-p1", "event": "Order Completed", "messageId": "o1"},
                "track",
                source,
            )
            collector.commit([row], [], source).result(timeout=10)
            started = time.monotonic()
            while not receiver.deliveries and time.monotonic() - started < 5:
                time.sleep(0.01)
        finally:
            worker.stop()
            collector.close()
    assert database.scalar("SELECT profile_id FROM segment_members") == "p1"
    assert len(receiver.deliveries) == 1
    body = orjson.loads(receiver.deliveries[0].body)
    assert body["profile_id"] == "p1" and body["trigger"]["segment_id"] == segment.segment_id


def test_worker_creates_the_signing_secret_before_its_senders_start(database: Database) -> None:
    # Many sender threads creating it at once collided on its key (first sends failed).
    worker = EngageWorker(database, EngageSettings(webhook_secret="")).start()
    try:
        stored = database.scalar(
            "SELECT count(*) FROM auth_secrets WHERE name = 'engage_webhook_secret'"
        )
    finally:
        worker.stop()
    assert stored == 1


def test_a_restarted_worker_catches_up_on_events_committed_while_it_was_down(
    database: Database,
) -> None:
    add_profile(database, "p1")
    grant(database, "p1", "marketing")
    live = create_source(database, "web")
    history = create_source(database, "old-crm-export", kind="import", channel="email")
    collector = Collector(database, 32_000, 1000)
    stitcher = BackgroundStitcher(database, 0.2).start()
    settings = EngageSettings(backoff_seconds=0)
    with webhook_receiver() as receiver:
        create_journey(
            database,
            "hook",
            {
                "trigger": {"event": "Checkout Started"},
                "steps": [{"type": "action", "action": "webhook", "url": receiver.url}],
            },
            status="active",
        )
        try:
            EngageWorker(database, settings).start().stop()  # first start: from now on
            assert database.scalar("SELECT count(*) FROM engage_cursors") == 1
            # While no worker runs: one live event, and one from an imported file
            # (history: it must not trigger a journey).
            for message_id, source in (("down-1", live), ("import-1", history)):
                row = collector.prepare_single(
                    {"userId": "u-p1", "event": "Checkout Started", "messageId": message_id},
                    "track",
                    source,
                )
                collector.commit([row], [], source).result(timeout=10)
            for _ in range(2):  # a second restart re-reads the margin but enters nothing
                worker = EngageWorker(database, settings).start()
                try:
                    started = time.monotonic()
                    while len(receiver.deliveries) < 1 and time.monotonic() - started < 5:
                        time.sleep(0.01)
                    time.sleep(1.5)  # room for a wrong second delivery, and a checkpoint
                finally:
                    worker.stop()
        finally:
            stitcher.stop()
            collector.close()
    assert len(receiver.deliveries) == 1
    assert database.scalar("SELECT count(*) FROM journey_runs") == 1
    received = database.scalar(
        "SELECT received_at FROM events WHERE source_id = ?", [live.source_id]
    )
    assert database.scalar("SELECT position_at FROM engage_cursors") >= received
