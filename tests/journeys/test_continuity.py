"""Cross-channel continuity against a hand-computed fixture, on both backends.

Events (day 0 = 2025-01-06):
- c1: web d0, email d1, web d2 (+ order d2), store d20   -> journeys: [web,email,web] (switches),
                                                           [store] (18-day gap: a new journey)
- c2: app d0, app d3 (+ order d3), order d150 (app)        -> journeys: [app], [app] (147-day gap)
- c3: web d200 (the last event: data end)
Journeys 5 (c3 has one too), switching 1; hand-offs web->email, email->web.
Customers whose first order is before d200-90: c1 (last order d2: churned), c2 (d150: not).
Their last three channels (repeats collapsed): c1 email>web>store, c2 app.
Tickets: c1 billing d0, c1 billing d3 (repeat, same need), c1 delivery d20 (17 days later),
c2 delivery d1, c2 billing d2 (repeat, other need) -> 5 tickets, 2 repeats, 1 same need.
"""

from __future__ import annotations

import json

import pytest

from cxm.journeys.continuity import compute_continuity
from cxm.store import Database
from tests.journeys.fixtures import Ev, add_events, at


@pytest.fixture(scope="module")
def continuity_db(module_db: Database) -> Database:
    add_events(
        module_db,
        [
            Ev("c1", "Home", at(0), type="page"), Ev("c1", "Email Opened", at(1), channel="email"),
            Ev("c1", "Home", at(2), type="page"), Ev("c1", "Order Completed", at(2, 1)),
            Ev("c1", "Store Visit", at(20), channel="store"),
            Ev("c2", "Home", at(0), channel="app", type="screen"),
            Ev("c2", "Order Completed", at(3), channel="app"),
            Ev("c2", "Order Completed", at(150), channel="app"),
            Ev("c3", "Home", at(200), type="page"),
        ],
    )  # fmt: skip
    tickets = [
        ("t1", "c1", 0, "billing", "email"),
        ("t2", "c1", 3, "billing", "email"),
        ("t3", "c1", 20, "delivery", "messaging"),
        ("t4", "c2", 1, "delivery", "email"),
        ("t5", "c2", 2, "billing", "email"),
    ]
    for ticket_id, person, day, topic, channel in tickets:
        module_db.execute(
            "INSERT INTO tickets (source, ticket_id, customer_id, created_at, channel, subject, "
            "raw, imported_at, profile_id) VALUES ('desk', ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ticket_id,
                person,
                at(day),
                channel,
                topic,
                json.dumps({"topic": topic}),
                at(day),
                person,
            ],
        )
    return module_db


def test_channel_switching(continuity_db: Database) -> None:
    result = compute_continuity(continuity_db, min_customers=1)
    assert (result.journeys, result.switching_journeys) == (5, 1)
    assert result.switch_share == pytest.approx(0.2)
    assert {(h.from_channel, h.to_channel, h.count) for h in result.handoffs} == {
        ("web", "email", 1),
        ("email", "web", 1),
    }


def test_repeat_contacts(continuity_db: Database) -> None:
    repeats = compute_continuity(continuity_db).repeat_contacts
    assert repeats is not None
    assert (repeats.tickets, repeats.repeats, repeats.same_need_repeats) == (5, 2, 1)
    assert ("email", 4, 2) in repeats.by_channel


def test_channel_sequences_before_churn(continuity_db: Database) -> None:
    result = compute_continuity(continuity_db, min_customers=1)
    assert (result.customers, result.churned) == (2, 1)
    assert [(s.sequence, s.customers, s.churned) for s in result.churn_sequences] == [
        (("email", "web", "store"), 1, 1),
        (("app",), 1, 0),
    ]


def test_cache_recomputes_when_events_change(continuity_db: Database) -> None:
    from cxm.journeys.cache import cached

    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cached(continuity_db, "test-view", (), compute) == 1
    assert cached(continuity_db, "test-view", (), compute) == 1  # same data: cached
    add_events(continuity_db, [Ev("c9", "Home", at(201), type="page")])
    assert cached(continuity_db, "test-view", (), compute) == 2


def test_another_journey_gap_is_computed_on_the_fly(continuity_db: Database) -> None:
    """The read model keeps channel days split at 7 days; another gap builds them for the
    call. With 20 days c1's store visit (18 days on) joins its first journey (which now
    also hands off web -> store); c2's 147-day gap still splits."""
    default = compute_continuity(continuity_db)
    result = compute_continuity(continuity_db, journey_gap_days=20)
    # (relative: an earlier test in this module adds a one-journey person)
    assert result.journeys == default.journeys - 1
    assert result.switching_journeys == default.switching_journeys == 1
    pairs = {(h.from_channel, h.to_channel): h.count for h in result.handoffs}
    assert pairs == {("web", "email"): 1, ("email", "web"): 1, ("web", "store"): 1}
