"""Paths after/before an event, split at 30 minutes of inactivity (hand-computed).

- q1: Home t0, Cart +1m, Checkout +2m, (40 min gap) Home +42m
- q2: Home t0, Cart +5m, identify +6m (not an action), Product +10m
- q3: Search −5m, Home t0, Home +1 day (a new session)
"""

from __future__ import annotations

import pytest

from cxm.journeys.errors import JourneyQueryError
from cxm.journeys.paths import compute_paths
from cxm.store import Database
from tests.journeys.fixtures import Ev, add_events, at

MIN = 1 / 60


@pytest.fixture(scope="module")
def paths_db(module_db: Database) -> Database:
    add_events(
        module_db,
        [
            Ev("q1", "Home", at(0), type="page"), Ev("q1", "Cart", at(0, MIN)),
            Ev("q1", "Checkout", at(0, 2 * MIN), type="page"), Ev("q1", "Home", at(0, 42 * MIN)),
            Ev("q2", "Home", at(0)), Ev("q2", "Cart", at(0, 5 * MIN)),
            Ev("q2", "ignored", at(0, 6 * MIN), type="identify"),
            Ev("q2", "Product", at(0, 10 * MIN)),
            Ev("q3", "Search", at(0, -5 * MIN)), Ev("q3", "Home", at(0)), Ev("q3", "Home", at(1)),
        ],
    )  # fmt: skip
    return module_db


def test_after(paths_db: Database) -> None:
    result = compute_paths(paths_db, "Home", depth=3)
    assert result.anchors == 3
    assert result.top_transitions() == [("Cart", 2)]
    assert [(s.step, s.persons, s.names) for s in result.steps] == [
        (1, 2, (("Cart", 2),)),
        (2, 2, (("Checkout", 1), ("Product", 1))),
    ]
    assert [(k.step, k.source, k.target, k.persons) for k in result.links] == [
        (0, "Home", "Cart", 2),
        (1, "Cart", "Checkout", 1),
        (1, "Cart", "Product", 1),
    ]
    sankey = result.sankey()
    assert {"source": "Home", "target": "+1 Cart", "value": 2} in sankey["links"]


def test_before(paths_db: Database) -> None:
    result = compute_paths(paths_db, "Home", direction="before")
    assert result.top_transitions() == [("Search", 1)]
    assert result.sankey()["links"] == [{"source": "−1 Search", "target": "Home", "value": 1}]


def test_other_bucket(paths_db: Database) -> None:
    result = compute_paths(paths_db, "Home", depth=3, max_names=1)
    assert result.steps[1].names == (("Checkout", 1), ("(other)", 1))


def test_bad_direction(paths_db: Database) -> None:
    with pytest.raises(JourneyQueryError) as caught:
        compute_paths(paths_db, "Home", direction="sideways")
    assert caught.value.field == "direction"
