from __future__ import annotations

from datetime import UTC, datetime

import orjson

from cxm.collect.ingest import quarantine_row
from cxm.collect.quarantine import list_quarantined, replay_events
from cxm.collect.rows import quarantine_table
from cxm.collect.sources import create_source
from cxm.store import Database

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _quarantine(database: Database, source_id: str, payload: object, line: int) -> str:
    row = quarantine_row(
        origin="api:/v1/batch",
        source_id=source_id,
        line_number=line,
        field="batch[0].event",
        reason="a track call needs a non-empty event name",
        payload=payload,
        received_at=NOW,
    )
    database.append("quarantine", quarantine_table([row]))
    return str(row["quarantine_id"])


def test_replay_stores_events_that_now_pass_and_keeps_the_rest(database: Database) -> None:
    source = create_source(database, "web")
    fixed = _quarantine(
        database,
        source.source_id,
        {"type": "track", "userId": "u", "event": "Fixed", "messageId": "m1"},
        0,
    )
    broken = _quarantine(database, source.source_id, {"type": "track", "userId": "u"}, 1)

    result = replay_events(database)

    assert result.replayed == 1
    assert result.still_invalid == [(broken, "event", "a track call needs a non-empty event name")]
    assert database.query("SELECT event, message_id FROM events") == [("Fixed", "m1")]
    pending = [q.quarantine_id for q in list_quarantined(database)]
    assert pending == [broken]
    assert fixed not in pending


def test_replay_twice_stores_once(database: Database) -> None:
    source = create_source(database, "web")
    _quarantine(
        database,
        source.source_id,
        {"type": "track", "userId": "u", "event": "E", "messageId": "m1"},
        0,
    )
    assert replay_events(database).replayed == 1
    assert replay_events(database).replayed == 0
    assert database.scalar("SELECT count(*) FROM events") == 1


def test_list_quarantined_filters_by_kind(database: Database) -> None:
    source = create_source(database, "web")
    _quarantine(database, source.source_id, orjson.dumps({"x": 1}).decode(), 0)
    assert len(list_quarantined(database, kind="event")) == 1
    assert list_quarantined(database, kind="order") == []
