"""Segments: the condition language on both backends, recompute, real-time update."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from cxm.engage.segments import (
    SegmentError,
    counts,
    create_segment,
    export_csv,
    preview_count,
    recompute,
    update_profiles,
)
from cxm.store import Database
from tests.engage.people import add_event, add_profile, grant


def _people(database: Database) -> None:
    add_profile(database, "p1", country="DE", traits={"tier": "gold", "age": 41})
    add_profile(database, "p2", country="GB", traits={"tier": "silver", "age": 25})
    add_profile(database, "p3", country="DE")
    add_event(database, "p1", "Order Completed", properties={"category": "home"})
    add_event(database, "p1", "Order Completed", properties={"category": "apparel"})
    add_event(database, "p2", "Order Completed", ago=timedelta(days=40))
    grant(database, "p2", "marketing", "email")


def test_conditions_select_the_right_people(database: Database) -> None:
    _people(database)

    def count(conditions: object) -> int:
        return preview_count(database, conditions)[0]

    assert count({"trait": "country", "value": "DE"}) == 2
    assert count({"trait": "tier", "op": "in", "value": ["gold", "silver"]}) == 2
    assert count({"trait": "age", "op": "gte", "value": 30}) == 1
    assert count({"event": "Order Completed", "within_days": 30}) == 1
    assert count({"event": "Order Completed", "min_count": 2}) == 1
    assert count({"event": "Order Completed", "did": False, "within_days": 30}) == 2
    assert count({"event": "Order Completed", "where": {"category": "home"}}) == 1
    assert count({"consent": "marketing", "channel": "email"}) == 1
    assert count({"consent": "marketing", "channel": "sms"}) == 0
    assert count({"not": {"trait": "country", "value": "DE"}}) == 1
    assert count({"and": [{"trait": "country", "value": "DE"}, {"event": "Order Completed"}]}) == 1
    assert (
        count({"or": [{"trait": "country", "value": "GB"}, {"trait": "tier", "value": "gold"}]})
        == 2
    )


def test_bad_conditions_name_the_field(database: Database) -> None:
    with pytest.raises(SegmentError) as error:
        create_segment(database, "x", {"and": [{"trait": "a", "value": 1}, {"event": ""}]})
    assert error.value.field == "conditions.and[1].event"
    with pytest.raises(SegmentError) as error:
        create_segment(database, "x", {"score": "nope", "op": "gt", "value": 1})
    assert error.value.field == "conditions.score"
    with pytest.raises(SegmentError) as error:
        create_segment(database, "", {"trait": "a"})
    assert error.value.field == "name"


def test_recompute_incremental_counts_export(database: Database, tmp_path: Path) -> None:
    _people(database)
    segment = create_segment(database, "germans", {"trait": "country", "value": "DE"})
    result, changes = recompute(database, segment.segment_id)
    assert (result.members, result.entered, result.exited) == (2, 2, 0)
    assert {c.profile_id for c in changes} == {"p1", "p3"}
    buyers = create_segment(database, "buyers", {"event": "Order Completed", "within_days": 1})
    recompute(database, buyers.segment_id)
    add_event(database, "p3", "Order Completed")
    changes = update_profiles(database, ["p3"])
    assert [(c.segment_id, c.profile_id, c.kind) for c in changes] == [
        (buyers.segment_id, "p3", "entered")
    ]
    entered = database.query(
        "SELECT profile_id FROM events WHERE event = 'Segment Entered' AND profile_id = 'p3'"
    )
    assert len(entered) == 2  # germans (full) and buyers (incremental)
    history = counts(database, "buyers")
    assert [(h["members"], h["kind"]) for h in history] == [(1, "full"), (2, "incremental")]
    out = tmp_path / "buyers.csv"
    assert export_csv(database, "buyers", out) == 2
    assert out.read_text().splitlines()[0] == "profile_id,entered_at"


def test_real_time_path_counts_events_the_stitcher_has_not_attributed(
    database: Database,
) -> None:
    from cxm.engage.system_events import event_row, write_events
    from tests.engage.people import shop_source

    add_profile(database, "p1")
    segment = create_segment(database, "checkout", {"event": "Checkout Started"})
    row = event_row(
        shop_source(database),
        profile_id="u-p1",  # the userId the identifiers table maps to p1
        event="Checkout Started",
        message_id="m-unstitched",
        properties={},
    )
    row["profile_id"] = None
    write_events(database, [row])
    assert update_profiles(database, ["p1"], [segment]) == []  # stitched rows only
    changes = update_profiles(database, ["p1"], [segment], unstitched=True)
    assert [(c.profile_id, c.kind) for c in changes] == [("p1", "entered")]
