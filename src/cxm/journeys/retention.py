"""Cohort retention tables, as PostHog's retention insight defines them.

- A person's **cohort** is the UTC day, ISO week (Monday) or month of the **first time
  ever** they did the start event ("first time" retention); with a date range, only
  persons whose first time falls inside it are counted.
- Period *k* of a cohort is the *k*-th day/week/month after the cohort's own period.
  A person is retained **on** period *k* when they did the return event in exactly
  that period, and **on or after** period *k* when they did it in period *k* or any
  later one (so "on or after" never rises with *k*).
- Return events count from the person's first start event on (a return event before
  it does not count); when start and return are the same event, that first event
  counts for period 0, which is then 100% — as PostHog shows it.
- Cells whose period lies after the last event in the database are ``None``
  (not 0): nobody could have returned yet.

Persons are ``profile_id`` (falling back to ``anonymous_id`` / ``user_id``), as funnels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cxm.journeys.errors import JourneyQueryError
from cxm.journeys.read_model import TABLE, ensure_fresh, name_codes
from cxm.journeys.sql import utc_period

PERIODS = ("day", "week", "month")
DEFAULT_PERIODS = {"day": 14, "week": 12, "month": 12}
MAX_PERIODS = 120


@dataclass(frozen=True)
class Cohort:
    cohort: date
    size: int
    # Index k: persons retained in period k (on) / in period k or later (on or after);
    # None where the period has not happened yet.
    on: tuple[int | None, ...]
    on_or_after: tuple[int | None, ...]

    @property
    def retention(self) -> tuple[float | None, ...]:
        return tuple(None if n is None else n / self.size for n in self.on)

    @property
    def retention_on_or_after(self) -> tuple[float | None, ...]:
        return tuple(None if n is None else n / self.size for n in self.on_or_after)


@dataclass(frozen=True)
class RetentionResult:
    start_event: str
    return_event: str
    period: str
    periods: int
    cohorts: tuple[Cohort, ...]

    def average(self, on_or_after: bool = False) -> tuple[float | None, ...]:
        """Retention per period over all cohorts that reached it, weighted by size."""
        out: list[float | None] = []
        for k in range(self.periods):
            retained = total = 0
            for cohort in self.cohorts:
                cell = (cohort.on_or_after if on_or_after else cohort.on)[k]
                if cell is not None:
                    retained += cell
                    total += cohort.size
            out.append(retained / total if total else None)
        return tuple(out)


def _index(period: str, later: str, earlier: str) -> str:
    """Whole periods from the period of ``earlier`` to that of ``later`` (both DATEs)."""
    if period == "day":
        return f"({later} - {earlier})"
    if period == "week":
        return f"(({later} - {earlier}) / 7)"
    return (
        f"((extract(year FROM {later}) * 12 + extract(month FROM {later})) - "
        f"(extract(year FROM {earlier}) * 12 + extract(month FROM {earlier})))"
    )


def compute_retention(
    database: Any,
    start_event: str,
    return_event: str,
    period: str = "week",
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    periods: int | None = None,
) -> RetentionResult:
    """First-time cohort retention; see the module docstring for the definitions."""
    if not start_event or not start_event.strip():
        raise JourneyQueryError("start_event", "name the event that starts a cohort")
    if not return_event or not return_event.strip():
        raise JourneyQueryError("return_event", "name the event that counts as a return")
    if period not in PERIODS:
        raise JourneyQueryError("period", f"use one of {', '.join(PERIODS)}")
    count = DEFAULT_PERIODS[period] if periods is None else periods
    if not 1 <= count <= MAX_PERIODS:
        raise JourneyQueryError("periods", f"must be between 1 and {MAX_PERIODS}")
    if start is not None and end is not None and end <= start:
        raise JourneyQueryError("to", "must be after from")
    range_sql: list[str] = []
    params: list[Any] = []
    ensure_fresh(database)
    codes = name_codes(database, [start_event.strip(), return_event.strip()])
    params.append(codes[start_event.strip()])
    if start is not None:
        range_sql.append("t0 >= ?")
        params.append(start)
    if end is not None:
        range_sql.append("t0 < ?")
        params.append(end)
    params.append(codes[return_event.strip()])
    cohort_period = utc_period("t0", period)
    return_period = utc_period("e.ts", period)
    sql = f"""
WITH firsts AS (SELECT person, min(ts) AS t0 FROM {TABLE} WHERE name = ? GROUP BY person),
cohorts AS (
    SELECT person, t0, {cohort_period} AS cohort FROM firsts
    WHERE {" AND ".join(range_sql) or "TRUE"}
),
rets AS (SELECT person, ts FROM {TABLE} WHERE name = ?),
returns AS (
    SELECT DISTINCT c.person, c.cohort,
        CAST({_index(period, return_period, "c.cohort")} AS INTEGER) AS k
    FROM cohorts c JOIN rets e ON e.person = c.person AND e.ts >= c.t0
),
last_return AS (SELECT person, cohort, max(k) AS kmax FROM returns GROUP BY person, cohort)
SELECT 'size' AS kind, cohort, 0 AS k, count(*) AS n FROM cohorts GROUP BY cohort
UNION ALL
SELECT 'on', cohort, k, count(*) FROM returns WHERE k < {count} GROUP BY cohort, k
UNION ALL
SELECT 'last', cohort, CASE WHEN kmax >= {count} THEN {count - 1} ELSE kmax END, count(*)
FROM last_return GROUP BY 2, 3
"""
    rows = database.query(sql, params)
    last_event = database.scalar(f"SELECT {utc_period('max(timestamp)', period)} FROM events")
    sizes: dict[date, int] = {}
    on: dict[date, dict[int, int]] = {}
    last: dict[date, dict[int, int]] = {}
    for kind, cohort, k, n in rows:
        if kind == "size":
            sizes[cohort] = int(n)
        else:
            (on if kind == "on" else last).setdefault(cohort, {})[int(k)] = int(n)
    cohorts = []
    for cohort in sorted(sizes):
        available = _periods_until(cohort, last_event, period) if last_event else 0
        ons = on.get(cohort, {})
        lasts = last.get(cohort, {})
        on_cells: list[int | None] = []
        after_cells: list[int | None] = []
        running = 0
        # "On or after k" = persons whose last return period is >= k: a suffix sum.
        suffix = [0] * (count + 1)
        for k in range(count - 1, -1, -1):
            running += lasts.get(k, 0)
            suffix[k] = running
        for k in range(count):
            reached = k <= available
            on_cells.append(ons.get(k, 0) if reached else None)
            after_cells.append(suffix[k] if reached else None)
        cohorts.append(Cohort(cohort, sizes[cohort], tuple(on_cells), tuple(after_cells)))
    return RetentionResult(start_event.strip(), return_event.strip(), period, count, tuple(cohorts))


def _periods_until(cohort: date, last: date, period: str) -> int:
    if period == "day":
        return (last - cohort).days
    if period == "week":
        return (last - cohort).days // 7
    return (last.year * 12 + last.month) - (cohort.year * 12 + cohort.month)
