"""Funnels against a hand-computed fixture, in each order mode, on both backends.

Steps A, B, C; window 14 days; day 0 = 2025-01-06 10:00 UTC. Per person:

- p1: A d0, B d1, C d2                   seq 3 · strict 3 · any 3
- p2: A d0 (app), X d0+1h, B d1, C d3     seq 3 · strict 1 (X between) · any 3
- p3: B d0, A d1, C d2                   seq 1 (no B after A) · strict 1 · any 3
- p4: A d0, B d20                        seq 1 (B outside window) · strict 1 · any 1
- p5: A d0 (app), B d2                   seq 2 · strict 2 · any 2
- p6: C d0                               seq – (never did A) · strict – · any 1
- p7: anonymous: A d0, B d0+1h           seq 2 · strict 2 · any 2
- p8: A d0, A d5, B d6, C d16            seq 2 (first entry d0; C after day 14) ·
                                         strict 1 (A again next) · any 2
"""

from __future__ import annotations

import pytest

from cxm.journeys.errors import JourneyQueryError
from cxm.journeys.funnels import compute_funnel
from cxm.store import Database
from tests.journeys.fixtures import Ev, add_events, at

DAY = 86400.0


@pytest.fixture(scope="module")
def funnel_db(module_db: Database) -> Database:
    database = module_db
    add_events(
        database,
        [
            Ev("p1", "A", at(0)), Ev("p1", "B", at(1)), Ev("p1", "C", at(2)),
            Ev("p2", "A", at(0), channel="app"), Ev("p2", "X", at(0, 1)),
            Ev("p2", "B", at(1)), Ev("p2", "C", at(3)),
            Ev("p3", "B", at(0)), Ev("p3", "A", at(1)), Ev("p3", "C", at(2)),
            Ev("p4", "A", at(0)), Ev("p4", "B", at(20)),
            Ev("p5", "A", at(0), channel="app"), Ev("p5", "B", at(2)),
            Ev("p6", "C", at(0)),
            Ev("p7", "A", at(0), anonymous=True), Ev("p7", "B", at(0, 1), anonymous=True),
            Ev("p8", "A", at(0)), Ev("p8", "A", at(5)), Ev("p8", "B", at(6)),
            Ev("p8", "C", at(16)),
        ],
    )  # fmt: skip
    return database


def counts(db: Database, **kwargs: object) -> list[int]:
    result = compute_funnel(db, ["A", "B", "C"], **kwargs)  # type: ignore[arg-type]
    return [step.persons for step in result.step_stats]


def test_sequential(funnel_db: Database) -> None:
    result = compute_funnel(funnel_db, ["A", "B", "C"])
    assert [s.persons for s in result.step_stats] == [7, 5, 2]
    assert (result.entered, result.converted) == (7, 2)
    assert result.conversion == pytest.approx(2 / 7)
    b, c = result.step_stats[1], result.step_stats[2]
    assert b.conversion_from_previous == pytest.approx(5 / 7)
    assert (b.drop_off, c.drop_off) == (2, 3)
    assert c.drop_off_rate == pytest.approx(3 / 5)
    # B - A over p1, p2, p5, p7, p8: 1d, 1d, 2d, 1h, 6d
    assert b.average_seconds_from_previous == pytest.approx((DAY * 10 + 3600) / 5)
    assert b.median_seconds_from_previous == pytest.approx(DAY)
    # C - B over p1 (1d) and p2 (2d); A -> C: 2d and 3d
    assert c.median_seconds_from_previous == pytest.approx(1.5 * DAY)
    assert result.median_seconds_to_convert == pytest.approx(2.5 * DAY)
    assert result.average_seconds_to_convert == pytest.approx(2.5 * DAY)


def test_strict(funnel_db: Database) -> None:
    assert counts(funnel_db, order="strict") == [7, 3, 1]


def test_any_order(funnel_db: Database) -> None:
    assert counts(funnel_db, order="any") == [8, 6, 3]


def test_window(funnel_db: Database) -> None:
    # 20 days: p4's B (d20) counts; p8's C (d16) too.
    assert counts(funnel_db, window_seconds=int(20 * DAY)) == [7, 6, 3]
    # 1 day: p2's C (d3), p5's B (d2), p8's B (d6) no longer count; p1's C at exactly 2d
    # is out too; p1's B at exactly 1 day is inside (the window end is inclusive).
    assert counts(funnel_db, window_seconds=int(DAY)) == [7, 3, 0]


def test_first_entry_in_range(funnel_db: Database) -> None:
    # From d0+12h: p3 enters at d1 (no B after), p8 at its second A (d5) and converts.
    assert counts(funnel_db, start=at(0, 12)) == [2, 1, 1]
    assert counts(funnel_db, end=at(0, 12)) == [6, 5, 2]


def test_breakdown_by_entry_channel(funnel_db: Database) -> None:
    result = compute_funnel(funnel_db, ["A", "B", "C"], breakdown="channel")
    groups = {g.value: [s.persons for s in g.steps] for g in result.breakdown}
    assert groups == {"web": [5, 3, 1], "app": [2, 2, 1]}
    assert [s.persons for s in result.step_stats] == [7, 5, 2]


def test_daily_trend(funnel_db: Database) -> None:
    result = compute_funnel(funnel_db, ["A", "B", "C"], trend="day")
    assert [(p.period.isoformat(), p.entered, p.converted) for p in result.trend] == [
        ("2025-01-06", 6, 2),
        ("2025-01-07", 1, 0),
    ]


def test_bad_input_names_the_field(funnel_db: Database) -> None:
    with pytest.raises(JourneyQueryError) as caught:
        compute_funnel(funnel_db, ["A"])
    assert caught.value.field == "steps"
    with pytest.raises(JourneyQueryError) as caught:
        compute_funnel(funnel_db, ["A", "B"], order="random")
    assert caught.value.field == "order"
    with pytest.raises(JourneyQueryError) as caught:
        compute_funnel(funnel_db, ["A", "B"], breakdown="properties.x;drop")
    assert caught.value.field == "by"


def test_repeated_step(funnel_db: Database) -> None:
    # A then A again: p8 (A d0, A d5) is the only one who repeated A within 14 days.
    assert [s.persons for s in compute_funnel(funnel_db, ["A", "A"]).step_stats] == [7, 1]
    with pytest.raises(JourneyQueryError) as caught:
        compute_funnel(funnel_db, ["A", "A"], order="any")
    assert caught.value.field == "steps"
