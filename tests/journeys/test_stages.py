"""Lifecycle stages from the default rules, hand-computed, on both backends.

- s1: web page d0, identify d1, order d2, order d10, review rated 5 on d20
      -> awareness, acquisition, conversion, retention (2nd order within 180 d), advocacy
- s2: order d0 (in store), identify d5, order d300 (too late for retention)
      -> conversion only: the later identify is not a step back
- s3: only an e-mail opened -> no stage (not a web/app visit)
- s4: an app screen -> awareness
- s5: an anonymous page view with no profile -> not staged
Tickets (e-mail): s2 on d1 rated 5 (billing), s1 on d3 rated 2 (delivery): both while in
conversion -> CSAT 50% in (conversion, email); pain points of conversion: both topics.
"""

from __future__ import annotations

import json

import pytest

from cxm.journeys.errors import JourneyQueryError
from cxm.journeys.journey_map import load_journey_map
from cxm.journeys.stages import load_rules, refresh_stages
from cxm.store import Database
from tests.journeys.fixtures import Ev, add_events, at


@pytest.fixture(scope="module")
def staged(module_db: Database) -> Database:
    add_events(
        module_db,
        [
            Ev("s1", "Home", at(0), type="page"), Ev("s1", None, at(1), type="identify"),  # type: ignore[arg-type]
            Ev("s1", "Order Completed", at(2)), Ev("s1", "Order Completed", at(10)),
            Ev("s2", "Order Completed", at(0), channel="store"),
            Ev("s2", None, at(5), type="identify"),  # type: ignore[arg-type]
            Ev("s2", "Order Completed", at(300)),
            Ev("s3", "Email Opened", at(0), channel="email"),
            Ev("s4", "Home", at(0), channel="app", type="screen"),
            Ev("s5", "Home", at(0), type="page", anonymous=True),
        ],
    )  # fmt: skip
    module_db.execute(
        "INSERT INTO reviews (source, review_id, rating, text, posted_at, imported_at, profile_id) "
        "VALUES ('shop', 'rv1', 5, 'great', ?, ?, 's1')",
        [at(20), at(20)],
    )
    tickets = [("t1", "s2", 1, 5, "billing"), ("t2", "s1", 3, 2, "delivery")]
    for ticket_id, person, day, csat, topic in tickets:
        module_db.execute(
            "INSERT INTO tickets (source, ticket_id, customer_id, created_at, channel, csat, "
            "subject, raw, imported_at, profile_id) "
            "VALUES ('desk', ?, ?, ?, 'email', ?, ?, ?, ?, ?)",
            [
                ticket_id,
                person,
                at(day),
                csat,
                topic,
                json.dumps({"topic": topic}),
                at(day),
                person,
            ],
        )
    refresh_stages(module_db)
    return module_db


def test_current_stage(staged: Database) -> None:
    rows = staged.query("SELECT profile_id, stage, entered_at FROM lifecycle_stages ORDER BY 1")
    assert [(p, s) for p, s, _ in rows] == [
        ("s1", "advocacy"),
        ("s2", "conversion"),
        ("s4", "awareness"),
    ]
    assert rows[0][2] == at(20)
    assert rows[1][2] == at(0)


def test_transitions(staged: Database) -> None:
    rows = staged.query(
        "SELECT profile_id, from_stage, to_stage, changed_at FROM lifecycle_transitions "
        "ORDER BY profile_id, changed_at"
    )
    assert rows == [
        ("s1", None, "awareness", at(0)),
        ("s1", "awareness", "acquisition", at(1)),
        ("s1", "acquisition", "conversion", at(2)),
        ("s1", "conversion", "retention", at(10)),
        ("s1", "retention", "advocacy", at(20)),
        ("s2", None, "conversion", at(0)),
        ("s4", None, "awareness", at(0)),
    ]


def test_refresh_is_repeatable(staged: Database) -> None:
    result = refresh_stages(staged)
    assert result.profiles == 3
    assert result.transitions == 7
    assert result.by_stage["advocacy"] == 1


def test_rules_file_is_validated(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "rules.json"
    path.write_text(json.dumps({"awareness": {}}))
    with pytest.raises(JourneyQueryError) as caught:
        load_rules(path)
    assert caught.value.field == "rules" and "acquisition" in caught.value.reason


def test_journey_map(staged: Database) -> None:
    journey = load_journey_map(staged)
    volume = {k: (c.events, c.persons) for k, c in journey.cells.items() if c.events}
    assert volume == {
        ("awareness", "web"): (1, 1),
        ("acquisition", "web"): (1, 1),
        # s1's first order; s2's identify (d5) and late order (d300)
        ("conversion", "web"): (3, 2),
        ("retention", "web"): (1, 1),
        ("conversion", "store"): (1, 1),
        ("awareness", "app"): (1, 1),
    }
    assert journey.satisfaction_source == "tickets"
    cell = journey.cell("conversion", "email")
    assert (cell.ticket_satisfied, cell.ticket_rated, cell.csat) == (1, 2, 50.0)
    assert cell.csat_source == "tickets"
    assert {p.topic for p in journey.pain_points["conversion"]} == {"billing", "delivery"}
    assert journey.touchpoints[0] == "web"
