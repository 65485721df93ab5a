"""The Overview read model on both backends, with rows written straight into the schema."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cxm.collect.overview import load_overview
from cxm.collect.rows import event_key
from cxm.store import Database

T0 = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


def add_source(database: Database, source_id: str, *, channel: str = "web") -> None:
    database.execute(
        "INSERT INTO sources (source_id, name, write_key, kind, channel, created_at) "
        "VALUES (?, ?, ?, 'http', ?, ?)",
        [source_id, f"{source_id} name", f"key-{source_id}", channel, T0 - timedelta(days=40)],
    )


def add_event(
    database: Database,
    message_id: str,
    when: datetime,
    *,
    source_id: str = "src_web",
    channel: str = "web",
    anonymous_id: str | None = "anon-1",
    user_id: str | None = None,
    traffic_channel: str | None = None,
) -> None:
    database.execute(
        "INSERT INTO events (event_key, source_id, message_id, type, anonymous_id, user_id, "
        "timestamp, received_at, channel, traffic_channel, raw) "
        "VALUES (?, ?, ?, 'page', ?, ?, ?, ?, ?, ?, ?)",
        [
            event_key(source_id, message_id),
            source_id,
            message_id,
            anonymous_id,
            user_id,
            when,
            when,
            channel,
            traffic_channel,
            "{}",
        ],
    )


def add_quarantine(
    database: Database, quarantine_id: str, kind: str, reason: str, when: datetime
) -> None:
    database.execute(
        "INSERT INTO quarantine (quarantine_id, kind, origin, line_number, field, reason, "
        "payload, received_at) VALUES (?, ?, 'customers.csv', 7, 'email', ?, ?, ?)",
        [quarantine_id, kind, reason, "x" * 1000, when],
    )


def test_overview_empty_database_is_empty(database: Database) -> None:
    overview = load_overview(database)
    assert overview.is_empty
    assert overview.window_end is None
    assert overview.events_by_channel.is_empty
    assert overview.sources == ()


def test_overview_counts_events_per_utc_day_by_channel(database: Database) -> None:
    add_source(database, "src_web")
    add_source(database, "src_app", channel="app")
    add_event(database, "m1", T0)
    add_event(database, "m2", T0 + timedelta(hours=2), anonymous_id="anon-2")
    # 23:30 at UTC-5 is already the next UTC day.
    late = datetime(2024, 3, 10, 23, 30, tzinfo=UTC) + timedelta(hours=5)
    add_event(database, "m3", late, source_id="src_app", channel="app", user_id="u1")

    overview = load_overview(database, days=3)

    assert overview.window_end == date(2024, 3, 11)
    assert overview.events_by_channel.days == (
        date(2024, 3, 9),
        date(2024, 3, 10),
        date(2024, 3, 11),
    )
    assert dict(overview.events_by_channel.series) == {"web": (0, 2, 0), "app": (0, 0, 1)}
    assert overview.totals.events == 3
    assert overview.totals.people == 3


def test_overview_window_excludes_older_days(database: Database) -> None:
    add_event(database, "old", T0 - timedelta(days=10))
    add_event(database, "new", T0)
    overview = load_overview(database, days=2)
    assert dict(overview.events_by_channel.series) == {"web": (0, 1)}
    assert overview.totals.events == 2


def test_overview_traffic_falls_back_to_event_column_without_sessions(database: Database) -> None:
    add_event(database, "m1", T0, traffic_channel="Organic Search")
    add_event(database, "m2", T0, traffic_channel="Organic Search")
    add_event(database, "m3", T0, traffic_channel="Direct")
    add_event(database, "m4", T0)  # not classified: not counted in the traffic chart

    traffic = load_overview(database, days=1).events_by_traffic_channel

    assert dict(traffic.series) == {"Organic Search": (2,), "Direct": (1,)}
    assert "sessions not built" in traffic.basis


def test_overview_traffic_prefers_sessions_when_built(database: Database) -> None:
    add_event(database, "m1", T0, traffic_channel="Direct")
    database.execute(
        "INSERT INTO sessions (session_id, person_key, started_at, ended_at, event_count, "
        "traffic_channel) VALUES ('s1', 'anon-1', ?, ?, 5, 'Paid Search')",
        [T0, T0 + timedelta(minutes=3)],
    )
    traffic = load_overview(database, days=1).events_by_traffic_channel
    assert dict(traffic.series) == {"Paid Search": (5,)}
    assert "session" in traffic.basis


def test_overview_sources_show_event_counts_and_last_seen(database: Database) -> None:
    add_source(database, "src_web")
    add_source(database, "src_idle", channel="email")
    add_event(database, "m1", T0)
    add_event(database, "m2", T0 + timedelta(minutes=5))

    sources = {s.source_id: s for s in load_overview(database).sources}

    assert sources["src_web"].events == 2
    assert sources["src_web"].last_seen_at == T0 + timedelta(minutes=5)
    assert sources["src_idle"].events == 0
    assert sources["src_idle"].last_seen_at is None
    assert next(iter(sources)) == "src_web"  # most recently seen first


def test_overview_quarantine_counts_by_kind_and_hides_replayed(database: Database) -> None:
    add_quarantine(database, "q1", "customers", "email: not an address", T0)
    add_quarantine(database, "q2", "customers", "phone: not E.164", T0 + timedelta(seconds=1))
    add_quarantine(database, "q3", "event", "timestamp: not ISO 8601", T0 + timedelta(seconds=2))
    add_quarantine(database, "q4", "event", "replayed already", T0)
    database.execute("UPDATE quarantine SET replayed_at = ? WHERE quarantine_id = 'q4'", [T0])

    overview = load_overview(database)

    assert overview.quarantine_by_kind == (("customers", 2), ("event", 1))
    assert overview.totals.quarantined == 3
    latest = overview.latest_quarantine
    assert [row.quarantine_id for row in latest] == ["q3", "q2", "q1"]
    assert latest[0].line_number == 7
    assert len(latest[0].payload_preview) == 300


def test_overview_rejects_nonpositive_days(database: Database) -> None:
    with pytest.raises(ValueError, match="days"):
        load_overview(database, days=0)
