"""Cohort retention against a hand-computed fixture, on both backends.

Weeks start on Monday; day 0 = Monday 2025-01-06. Start event Signup, return Login:

- r1: Signup d0; Login d1, d8, d22            cohort 01-06; returns in weeks 0, 1, 3
- r2: Signup d2; Login d15                    cohort 01-06; week 2
- r3: Signup d7; Login d7+1h, d14             cohort 01-13; weeks 0, 1
- r4: Login d0, then Signup d3                cohort 01-06; the earlier Login does not count
- r5: Signup d-1 (a Sunday), Signup d9; Login d9   cohort 2024-12-30 (first time only); week 2
The last event is on d22 (week of 01-20... 01-27), so later cells are None.
"""

from __future__ import annotations

import pytest

from cxm.journeys.errors import JourneyQueryError
from cxm.journeys.retention import compute_retention
from cxm.store import Database
from tests.journeys.fixtures import Ev, add_events, at


@pytest.fixture(scope="module")
def retention_db(module_db: Database) -> Database:
    add_events(
        module_db,
        [
            Ev("r1", "Signup", at(0)), Ev("r1", "Login", at(1)), Ev("r1", "Login", at(8)),
            Ev("r1", "Login", at(22)),
            Ev("r2", "Signup", at(2)), Ev("r2", "Login", at(15)),
            Ev("r3", "Signup", at(7)), Ev("r3", "Login", at(7, 1)), Ev("r3", "Login", at(14)),
            Ev("r4", "Login", at(0)), Ev("r4", "Signup", at(3)),
            Ev("r5", "Signup", at(-1)), Ev("r5", "Signup", at(9)), Ev("r5", "Login", at(9)),
        ],
    )  # fmt: skip
    return module_db


def table(result: object) -> dict[str, tuple[int, tuple[int | None, ...], tuple[int | None, ...]]]:
    return {
        c.cohort.isoformat(): (c.size, c.on, c.on_or_after)
        for c in result.cohorts  # type: ignore[attr-defined]
    }


def test_weekly(retention_db: Database) -> None:
    result = compute_retention(retention_db, "Signup", "Login", "week", periods=4)
    assert table(result) == {
        "2024-12-30": (1, (0, 0, 1, 0), (1, 1, 1, 0)),
        "2025-01-06": (3, (1, 1, 1, 1), (2, 2, 2, 1)),
        "2025-01-13": (1, (1, 1, 0, None), (1, 1, 0, None)),
    }
    cohort = result.cohorts[1]
    assert cohort.retention[0] == pytest.approx(1 / 3)
    assert cohort.retention_on_or_after[2] == pytest.approx(2 / 3)
    # Size-weighted over cohorts that reached the period: week 3 = (0 + 1) / (1 + 3).
    assert result.average()[3] == pytest.approx(1 / 4)


def test_monthly(retention_db: Database) -> None:
    result = compute_retention(retention_db, "Signup", "Login", "month", periods=3)
    assert table(result) == {
        # d-1 is Sunday 5 January: everyone's cohort is January; r4 never returned.
        "2025-01-01": (5, (4, None, None), (4, None, None)),
    }


def test_same_start_and_return_event(retention_db: Database) -> None:
    result = compute_retention(retention_db, "Signup", "Signup", "week", periods=4)
    assert table(result)["2025-01-06"][1] == (3, 0, 0, 0)
    assert table(result)["2024-12-30"][1] == (1, 0, 1, 0)


def test_daily_first_time_in_range(retention_db: Database) -> None:
    # r5 first signed up before the range: not a cohort member even though it signed
    # up again inside it.
    result = compute_retention(retention_db, "Signup", "Login", "day", start=at(0), periods=2)
    assert table(result) == {
        "2025-01-06": (1, (0, 1), (1, 1)),
        "2025-01-08": (1, (0, 0), (1, 1)),
        "2025-01-09": (1, (0, 0), (0, 0)),
        "2025-01-13": (1, (1, 0), (1, 1)),
    }


def test_bad_period(retention_db: Database) -> None:
    with pytest.raises(JourneyQueryError) as caught:
        compute_retention(retention_db, "Signup", "Login", "year")
    assert caught.value.field == "period"
