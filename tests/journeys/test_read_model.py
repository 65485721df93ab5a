"""The journey_events read model stays equal to what a full rebuild from events gives:
after appends, identity merges, stitching of anonymous events and erasure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cxm.identity.merge_log import record_merges
from cxm.identity.resolve_batch import MergeDecision
from cxm.identity.rows import assign_rows
from cxm.journeys import read_model
from cxm.journeys.continuity import compute_continuity
from cxm.journeys.funnels import compute_funnel
from cxm.journeys.read_model import CHANNEL_DAYS, TABLE, ensure_fresh
from cxm.store import Database
from tests.journeys.fixtures import Ev, add_events, at

STEPS = ["Product Viewed", "Order Completed"]


def _contents(database: Database) -> tuple[list[Any], list[Any]]:
    events = database.query(
        f"SELECT person, n.name, ts, channel, action, profiled FROM {TABLE} e "
        "JOIN journey_event_names n ON n.code = e.name ORDER BY 1, 2, 3, 4"
    )
    days = database.query(f"SELECT * FROM {CHANNEL_DAYS} ORDER BY person, first_ts, channel")
    return events, days


def _rebuilt(database: Database) -> tuple[list[Any], list[Any]]:
    """What a build from scratch gives (the state row reset forces one)."""
    database.execute("UPDATE journey_read_state SET events = -1 WHERE id = 1")
    assert ensure_fresh(database) == "rebuilt"
    return _contents(database)


def _profiles(database: Database, *ids: str) -> None:
    now = datetime.now(UTC)
    for profile_id in ids:
        database.execute(
            "INSERT INTO profiles (profile_id, created_at, updated_at) VALUES (?, ?, ?)",
            [profile_id, now, now],
        )


def test_new_events_are_appended_and_match_a_rebuild(database: Database) -> None:
    add_events(
        database,
        [
            Ev("p1", "Product Viewed", at(0), channel="web"),
            Ev("p1", "Order Completed", at(1), channel="store"),
        ],
    )
    assert ensure_fresh(database) == "rebuilt"
    assert ensure_fresh(database) == "fresh"
    assert compute_funnel(database, STEPS).converted == 1
    add_events(
        database,
        [
            Ev("p2", "Product Viewed", at(2), channel="app"),
            Ev("p2", "Order Completed", at(3), channel="web"),
            # p1 again, later the same day and nine days on: their channel days and
            # journeys change
            Ev("p1", "Product Viewed", at(1, hours=2), channel="app"),
            Ev("p1", "Product Viewed", at(10), channel="app"),
            Ev("a9", "Product Viewed", at(4), anonymous=True),
        ],
    )
    assert ensure_fresh(database) == "appended"
    appended = _contents(database)
    assert len(appended[0]) == database.scalar("SELECT count(*) FROM events") == 7
    assert appended == _rebuilt(database)
    result = compute_funnel(database, STEPS)
    assert (result.entered, result.converted) == (3, 2)


def test_a_merge_moves_events_to_the_surviving_person(database: Database) -> None:
    add_events(
        database,
        [
            Ev("p1", "Product Viewed", at(0)),
            Ev("p2", "Order Completed", at(1)),
        ],
    )
    _profiles(database, "p1", "p2")
    assert compute_funnel(database, STEPS).converted == 0
    with database.transaction() as tx:
        record_merges(tx, [MergeDecision("p1", "p2", "email")], datetime.now(UTC))
    # Same count of events and of events on a profile: the merge log says it changed.
    assert compute_funnel(database, STEPS).converted == 1
    assert _contents(database) == _rebuilt(database)


def test_stitching_anonymous_events_joins_them_to_the_profile(database: Database) -> None:
    add_events(
        database,
        [
            Ev("anon-1", "Product Viewed", at(0), anonymous=True),
            Ev("p1", "Order Completed", at(1)),
        ],
    )
    assert compute_funnel(database, STEPS).converted == 0
    keys = database.query("SELECT CAST(event_key AS TEXT) FROM events WHERE profile_id IS NULL")
    with database.transaction() as tx:
        assign_rows(tx, "events", [(str(k[0]), "") for k in keys], ["p1"] * len(keys))
    assert compute_funnel(database, STEPS).converted == 1
    continuity = compute_continuity(database)
    assert continuity.journeys == 1
    assert _contents(database) == _rebuilt(database)


def test_erased_events_leave_the_model(database: Database) -> None:
    add_events(
        database,
        [
            Ev("p1", "Product Viewed", at(0)),
            Ev("p1", "Order Completed", at(1)),
            Ev("p2", "Product Viewed", at(0)),
        ],
    )
    assert compute_funnel(database, STEPS).entered == 2
    database.execute("DELETE FROM events WHERE profile_id = 'p1'")
    assert ensure_fresh(database) == "rebuilt"
    assert compute_funnel(database, STEPS).entered == 1
    assert database.scalar(f"SELECT count(*) FROM {TABLE}") == 1
    assert database.scalar(f"SELECT count(*) FROM {CHANNEL_DAYS}") == 1


def test_a_late_event_received_before_the_build_forces_a_rebuild(database: Database) -> None:
    """An event committed after the build but received before it (a slow writer) is not
    'received after the build': the counts disagree, so the model is rebuilt."""
    add_events(database, [Ev("p1", "Product Viewed", at(5))])
    ensure_fresh(database)
    add_events(database, [Ev("p2", "Product Viewed", at(1))])  # received_at = at(1)
    assert ensure_fresh(database) == "rebuilt"
    assert database.scalar(f"SELECT count(*) FROM {TABLE}") == 2


def test_journey_map_places_each_event_of_a_day_a_stage_began(database: Database) -> None:
    """The map counts whole channel days when one stage covers them, and the day's
    events one by one when a stage began that day."""
    from cxm.journeys.journey_map import load_journey_map
    from cxm.journeys.stages import refresh_stages

    add_events(
        database,
        [
            Ev("p1", "Home", at(0), type="page"),
            Ev("p1", "Home", at(0, hours=0.5), type="page"),
            Ev("p1", None, at(0, hours=1), type="identify"),  # type: ignore[arg-type]
            Ev("p1", "Order Completed", at(0, hours=2)),
            Ev("p1", "Product Viewed", at(0, hours=3)),
            Ev("p1", "Product Viewed", at(1), channel="app"),
            Ev("p1", "Product Viewed", at(1, hours=1), channel="app"),
        ],
    )
    refresh_stages(database)
    journey = load_journey_map(database)
    volume = {k: (c.events, c.persons) for k, c in journey.cells.items() if c.events}
    assert volume == {
        ("awareness", "web"): (2, 1),
        ("acquisition", "web"): (1, 1),
        ("conversion", "web"): (2, 1),
        ("conversion", "app"): (2, 1),
    }


def test_cached_views_recompute_after_a_merge(database: Database) -> None:
    """A merge moves events between persons without changing their count: the page
    cache's data version must still change."""
    from cxm.journeys.cache import cached, data_version

    add_events(database, [Ev("p1", "Product Viewed", at(0)), Ev("p2", "Order Completed", at(1))])
    _profiles(database, "p1", "p2")
    before = data_version(database)
    first = cached(database, "test-funnel", (), lambda: compute_funnel(database, STEPS))
    assert first.converted == 0
    with database.transaction() as tx:
        record_merges(tx, [MergeDecision("p1", "p2", "email")], datetime.now(UTC))
    assert data_version(database) != before
    again = cached(database, "test-funnel", (), lambda: compute_funnel(database, STEPS))
    assert again.converted == 1


def test_on_a_large_store_re_attribution_is_rebuilt_in_the_background(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where a rebuild is slow, a stitch does not make a view pay one: new events are
    appended at once and the rebuild runs off the request, at most every configured
    seconds; erasure never waits."""
    monkeypatch.setattr(read_model, "_SLOW_REBUILD_SECONDS", 0.0)  # every rebuild is "slow"
    add_events(
        database,
        [
            Ev("anon-1", "Product Viewed", at(0), anonymous=True),
            Ev("p1", "Order Completed", at(1)),
        ],
    )
    assert ensure_fresh(database) == "rebuilt"
    keys = database.query("SELECT CAST(event_key AS TEXT) FROM events WHERE profile_id IS NULL")
    with database.transaction() as tx:
        assign_rows(tx, "events", [(str(k[0]), "") for k in keys], ["p1"] * len(keys))
    add_events(database, [Ev("p2", "Product Viewed", at(2))])
    assert ensure_fresh(database) == "re-attribution owed"
    result = compute_funnel(database, STEPS)
    assert (result.entered, result.converted) == (2, 0)  # the new event counts at once
    assert ensure_fresh(database) == "re-attribution owed"  # still owed
    monkeypatch.setenv("CXM_JOURNEYS_REATTRIBUTE_SECONDS", "0")  # the wait is over
    assert ensure_fresh(database) == "rebuilding in background"
    read_model.wait_for_background_rebuild(database)
    assert ensure_fresh(database) == "fresh"
    assert compute_funnel(database, STEPS).converted == 1
    monkeypatch.delenv("CXM_JOURNEYS_REATTRIBUTE_SECONDS")
    database.execute("DELETE FROM events WHERE profile_id = 'p2'")
    assert ensure_fresh(database) == "rebuilt"  # erasure: at once, in the request
    assert compute_funnel(database, STEPS).entered == 1


def test_an_erasure_is_seen_even_while_a_rebuild_runs_elsewhere(database: Database) -> None:
    """While a background rebuild holds the lock, queries read the old model, unless
    events it holds are gone (an erasure): then they wait for a model without them."""
    add_events(database, [Ev("p1", "Product Viewed", at(0)), Ev("p2", "Product Viewed", at(1))])
    assert ensure_fresh(database) == "rebuilt"
    assert not read_model._rows_deleted(database)
    add_events(database, [Ev("p3", "Product Viewed", at(2))])
    assert not read_model._rows_deleted(database)  # new events are not deletions
    database.execute("DELETE FROM events WHERE profile_id = 'p1'")
    assert read_model._rows_deleted(database)
