"""Funnels: how many persons go through ordered steps within a conversion window.

Semantics follow PostHog's documented funnel definitions:

- **sequential** (PostHog "sequential"): the steps happen in order; other events may
  occur between them.
- **strict**: the steps happen in order and the person does nothing else in between
  (the next event after step *k* must be step *k + 1*).
- **any** (PostHog "any order"): the steps happen in any order; a person "reaches
  step *k*" when they did *k* different steps inside the window.
- The **conversion window** runs from the person's entry (step 1; for *any* order
  the first of any step), default 14 days; every later step must be inside it.
- A **person** (``profile_id``, falling back to ``anonymous_id``/``user_id``) is
  counted once per funnel, at their **first qualifying entry**: their first step-1
  event in the date range. Each following step is the earliest matching event strictly
  after the previous step (earliest-first is optimal for a fixed entry: no later
  choice could reach further). A person who failed at their first entry and
  completed a later attempt counts as not converted — PostHog instead keeps a
  person's most successful attempt; the first-entry rule is what one set-based pass
  per step can compute on 10M events in well under a second.
- Conversion per step is against step 1 (overall) and against the previous step;
  drop-off is who reached the previous step but not this one. Times between steps
  are averages and medians over the persons who reached the step.
- A **breakdown** takes the dimension's value on the person's entry event
  (first-touch attribution); a **trend** buckets entries by their UTC day or ISO week.

Everything is set-based SQL that DuckDB and PostgreSQL both run: one grouped join
per step over the step events (all events for *strict*), no per-row Python. Steps read
the compact ``journey_events`` read model (``cxm.journeys.read_model``: person hash,
name code, time), sorted by name so a step's scan touches only its own rows; only a
breakdown goes back to ``events``, for the dimension of the entry events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from cxm.journeys.errors import JourneyQueryError
from cxm.journeys.read_model import TABLE, ensure_fresh, name_codes, person_hash
from cxm.journeys.sql import (
    dimension_sql,
    interval,
    name_filter,
    seconds_between,
    utc_period,
)
from cxm.store import Database

Order = Literal["sequential", "strict", "any"]
ORDERS: tuple[str, ...] = ("sequential", "strict", "any")
TREND_PERIODS = ("day", "week")
DEFAULT_WINDOW_SECONDS = 14 * 86400
MAX_STEPS = 10
OTHER = "(other)"
NO_DIMENSION = "CAST(NULL AS TEXT)"
NONE = "(none)"


@dataclass(frozen=True)
class StepStats:
    """One step of a funnel (or of one breakdown group)."""

    step: int
    name: str
    persons: int
    conversion_from_first: float | None
    conversion_from_previous: float | None
    drop_off: int
    drop_off_rate: float | None
    median_seconds_from_previous: float | None
    average_seconds_from_previous: float | None


@dataclass(frozen=True)
class FunnelGroup:
    """The funnel for the persons whose entry had one breakdown value."""

    value: str
    entered: int
    converted: int
    conversion: float | None
    steps: tuple[StepStats, ...]


@dataclass(frozen=True)
class TrendPoint:
    period: date
    entered: int
    converted: int
    conversion: float | None


@dataclass(frozen=True)
class FunnelResult:
    steps: tuple[str, ...]
    order: str
    window_seconds: int
    start: datetime | None
    end: datetime | None
    entered: int
    converted: int
    conversion: float | None
    median_seconds_to_convert: float | None
    average_seconds_to_convert: float | None
    step_stats: tuple[StepStats, ...]
    breakdown_by: str | None = None
    breakdown: tuple[FunnelGroup, ...] = ()
    trend_by: str | None = None
    trend: tuple[TrendPoint, ...] = ()


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def validate_steps(steps: Sequence[str]) -> tuple[str, ...]:
    cleaned = tuple(step.strip() for step in steps)
    if len(cleaned) < 2:
        raise JourneyQueryError("steps", "give at least two steps, e.g. 'A,B'")
    if len(cleaned) > MAX_STEPS:
        raise JourneyQueryError("steps", f"at most {MAX_STEPS} steps")
    if any(not step for step in cleaned):
        raise JourneyQueryError("steps", "a step name is empty")
    if any(len(step) > 200 for step in cleaned):
        raise JourneyQueryError("steps", "a step name is longer than 200 characters")
    return cleaned


def _time_filter(
    start: datetime | None, end: datetime | None, window: int, column: str = "ts"
) -> tuple[str, list[Any]]:
    """Events that can take part: from the range start to its end plus one window."""
    clauses: list[str] = []
    params: list[Any] = []
    if start is not None:
        clauses.append(f"{column} >= ?")
        params.append(start)
    if end is not None:
        clauses.append(f"{column} < CAST(? AS TIMESTAMPTZ) + {interval(window)}")
        params.append(end)
    return (" AND ".join(clauses) or "TRUE"), params


def _entry_filter(start: datetime | None, end: datetime | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if start is not None:
        clauses.append("ts >= ?")
        params.append(start)
    if end is not None:
        clauses.append("ts < ?")
        params.append(end)
    return (" AND ".join(clauses) or "TRUE"), params


# Only events at some person's entry time can carry an entry's dimension: this cheap
# semi-join on the time keeps the person hash (a string hash) off every other step-1
# event (measured 0.88 -> see BENCHMARKS.md for a breakdown by traffic channel).
_AT_ENTRY = "timestamp IN (SELECT t1 FROM s1)"


def _entry_dims(
    dialect: str,
    step: str,
    dim: str,
    start: datetime | None,
    end: datetime | None,
    window: int,
    params: list[Any],
) -> str:
    """``e1`` from ``s1``: the breakdown value on each person's entry event (ties: the
    smallest value), read from ``events`` (the read model keeps no dimensions); without
    a breakdown that join is skipped."""
    if dim == NO_DIMENSION:
        return f"e1 AS (SELECT person, t1, {NO_DIMENSION} AS dim FROM s1)"
    where = name_filter([step], params)
    time_sql, time_params = _time_filter(start, end, window, "timestamp")
    params.extend(time_params)
    return (
        "e1 AS (SELECT s1.person, s1.t1, min(e.dim) AS dim FROM s1 JOIN "
        f"(SELECT {person_hash(dialect)} AS person, timestamp AS ts, {dim} AS dim FROM events "
        f"WHERE {where} AND {time_sql} AND {_AT_ENTRY}) e "
        "ON e.person = s1.person AND e.ts = s1.t1 GROUP BY s1.person, s1.t1)"
    )


def _ordered_ctes(
    dialect: str,
    steps: tuple[str, ...],
    codes: dict[str, int],
    strict: bool,
    window: int,
    start: datetime | None,
    end: datetime | None,
    dim: str,
) -> tuple[str, list[Any]]:
    """CTEs ending in ``people(person, dim, t1..tk)`` for sequential and strict order."""
    time_sql, time_params = _time_filter(start, end, window)
    entry_sql, entry_params = _entry_filter(start, end)
    params: list[Any] = []

    def scan(step: str) -> str:
        # One scan of the read model per step, filtered by that step's name code, rather
        # than one shared set of all step events: the rows are sorted by name, so each
        # scan reads only its own step's row groups and each join probes only them.
        params.append(codes[step])
        params.extend(time_params)
        return f"(SELECT person, ts FROM {TABLE} WHERE name = ? AND {time_sql})"

    ctes: list[str] = []
    ctes.append(f"s1 AS (SELECT person, min(ts) AS t1 FROM {scan(steps[0])} e WHERE {entry_sql} ")
    ctes[-1] += "GROUP BY person)"
    params.extend(entry_params)
    if strict:
        # Strict needs every event of the person, to see what came next; only those
        # inside each person's window matter, so they are cut out once here (one pass
        # over the events) and every step looks only at them.
        ctes.append(
            f"win AS (SELECT e.person, e.name, e.ts FROM (SELECT person, name, ts FROM {TABLE} "
            f"WHERE {time_sql}) e JOIN s1 ON s1.person = e.person AND e.ts > s1.t1 "
            f"AND e.ts <= s1.t1 + {interval(window)})"
        )
        params.extend(time_params)
    ctes.append(_entry_dims(dialect, steps[0], dim, start, end, window, params))
    previous = "e1"
    carried = ["f.t1"]
    for k in range(2, len(steps) + 1):
        window_end = f"f.t1 + {interval(window)}"
        if strict:
            ctes.append(
                f"s{k} AS (SELECT f.person, f.dim, {', '.join(carried)}, "
                f"min(CASE WHEN e.name = ? THEN e.ts END) AS t{k} "
                f"FROM {previous} f JOIN win e ON e.person = f.person "
                f"AND e.ts > f.t{k - 1} AND e.ts <= {window_end} "
                f"GROUP BY f.person, f.dim, {', '.join(carried)} "
                f"HAVING min(CASE WHEN e.name = ? THEN e.ts END) = min(e.ts))"
            )
            params.extend([codes[steps[k - 1]], codes[steps[k - 1]]])
        else:
            ctes.append(
                f"s{k} AS (SELECT f.person, f.dim, {', '.join(carried)}, min(e.ts) AS t{k} "
                f"FROM {previous} f JOIN {scan(steps[k - 1])} e ON e.person = f.person "
                f"AND e.ts > f.t{k - 1} AND e.ts <= {window_end} "
                f"GROUP BY f.person, f.dim, {', '.join(carried)})"
            )
        carried.append(f"f.t{k}")
        previous = f"s{k}"
    joins = " ".join(f"LEFT JOIN s{k} ON s{k}.person = e1.person" for k in range(2, len(steps) + 1))
    times = ", ".join(f"s{k}.t{k}" for k in range(2, len(steps) + 1))
    ctes.append(f"people AS (SELECT e1.person, e1.dim, e1.t1, {times} FROM e1 {joins})")
    return ",\n".join(ctes), params


def _any_order_ctes(
    dialect: str,
    steps: tuple[str, ...],
    codes: dict[str, int],
    window: int,
    start: datetime | None,
    end: datetime | None,
    dim: str,
) -> tuple[str, list[Any]]:
    """CTEs ending in ``people(person, dim, t1..tk)`` where ``tk`` is when the person had
    done *k* different steps (entry = the first of any step)."""
    time_sql, time_params = _time_filter(start, end, window)
    entry_sql, entry_params = _entry_filter(start, end)
    step_codes = [codes[s] for s in steps]
    params: list[Any] = [*step_codes, *time_params, *entry_params]
    k = len(steps)
    ranks = ", ".join(f"min(CASE WHEN r = {i} THEN first_ts END) AS t{i}" for i in range(2, k + 1))
    ctes = [
        f"ev AS (SELECT person, name, ts FROM {TABLE} "
        f"WHERE name IN ({', '.join('?' for _ in step_codes)}) AND {time_sql})",
        f"s1 AS (SELECT person, min(ts) AS t1 FROM ev WHERE {entry_sql} GROUP BY person)",
    ]
    # The entry is the first of any step: its dimension comes from any step's events.
    dims_params: list[Any] = []
    if dim == NO_DIMENSION:
        ctes.append(f"e1 AS (SELECT person, t1, {NO_DIMENSION} AS dim FROM s1)")
    else:
        where = name_filter(steps, dims_params)
        raw_time, raw_params = _time_filter(start, end, window, "timestamp")
        dims_params.extend(raw_params)
        ctes.append(
            "e1 AS (SELECT s1.person, s1.t1, min(e.dim) AS dim FROM s1 JOIN "
            f"(SELECT {person_hash(dialect)} AS person, timestamp AS ts, {dim} AS dim "
            f"FROM events WHERE {where} AND {raw_time} AND {_AT_ENTRY}) e "
            "ON e.person = s1.person AND e.ts = s1.t1 GROUP BY s1.person, s1.t1)"
        )
    params.extend(dims_params)
    ctes += [
        # Each step's first time inside the window, then ranked: the k-th distinct step.
        "firsts AS (SELECT e1.person, ev.name, min(ev.ts) AS first_ts FROM e1 JOIN ev "
        f"ON ev.person = e1.person AND ev.ts >= e1.t1 AND ev.ts <= e1.t1 + {interval(window)} "
        "GROUP BY e1.person, ev.name)",
        "ranked AS (SELECT person, first_ts, row_number() OVER "
        "(PARTITION BY person ORDER BY first_ts, name) AS r FROM firsts)",
        f"people AS (SELECT e1.person, e1.dim, e1.t1, {ranks} FROM e1 "
        "JOIN ranked ON ranked.person = e1.person GROUP BY e1.person, e1.dim, e1.t1)",
    ]
    return ",\n".join(ctes), params


def _aggregate_sql(k: int, group: str) -> str:
    """Per-group step counts and times, plus the all-persons total (``is_total = 1``)
    from the same scan through GROUPING SETS."""
    columns = ["grp", "grouping(grp) AS is_total", "count(*) AS n1"]
    for i in range(2, k + 1):
        gap = seconds_between(f"t{i}", f"t{i - 1}")
        columns.append(f"count(t{i}) AS n{i}")
        columns.append(f"avg({gap}) AS avg{i}")
        columns.append(f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {gap}) AS med{i}")
    total = seconds_between(f"t{k}", "t1")
    columns.append(f"avg({total}) AS avg_total")
    columns.append(f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {total}) AS med_total")
    return (
        f"SELECT {', '.join(columns)} FROM (SELECT people.*, {group} AS grp FROM people) p "
        "GROUP BY GROUPING SETS ((grp), ())"
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _steps_from_row(steps: tuple[str, ...], row: dict[str, Any]) -> tuple[StepStats, ...]:
    out: list[StepStats] = []
    first = int(row["n1"])
    previous = first
    for i, name in enumerate(steps, start=1):
        persons = int(row[f"n{i}"])
        out.append(
            StepStats(
                step=i,
                name=name,
                persons=persons,
                conversion_from_first=_ratio(persons, first),
                conversion_from_previous=None if i == 1 else _ratio(persons, previous),
                drop_off=0 if i == 1 else previous - persons,
                drop_off_rate=None if i == 1 else _ratio(previous - persons, previous),
                median_seconds_from_previous=_float(row.get(f"med{i}")),
                average_seconds_from_previous=_float(row.get(f"avg{i}")),
            )
        )
        previous = persons
    return tuple(out)


def _merge_rows(rows: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """Counts summed over groups (times are not additive and are left out)."""
    merged: dict[str, Any] = {f"n{i}": sum(int(r[f"n{i}"]) for r in rows) for i in range(1, k + 1)}
    return merged


def compute_funnel(
    database: Database,
    steps: Sequence[str],
    *,
    window_seconds: int = DEFAULT_WINDOW_SECONDS,
    order: str = "sequential",
    breakdown: str | None = None,
    trend: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    max_groups: int = 10,
) -> FunnelResult:
    """Run a funnel over ``events``; see the module docstring for the exact semantics.

    ``breakdown`` is a dimension (``channel``, ``traffic_channel``, ``country``,
    ``properties.KEY``…; see ``cxm.journeys.sql.DIMENSIONS``); ``trend`` is ``day`` or
    ``week``. The largest ``max_groups`` breakdown values are kept, the rest summed
    into ``(other)``. ``start``/``end`` bound the entry (step 1) time.
    """
    names = validate_steps(steps)
    if order not in ORDERS:
        raise JourneyQueryError("order", f"use one of {', '.join(ORDERS)}")
    if order == "any" and len(set(names)) < len(names):
        # "k different steps" cannot count a repeated step twice.
        raise JourneyQueryError("steps", "an any-order funnel needs different steps")
    if window_seconds <= 0:
        raise JourneyQueryError("window", "must be longer than zero")
    if trend is not None and trend not in TREND_PERIODS:
        raise JourneyQueryError("by", f"a trend is by {' or '.join(TREND_PERIODS)}")
    if start is not None and end is not None and end <= start:
        raise JourneyQueryError("to", "must be after from")
    dim = dimension_sql(breakdown) if breakdown else NO_DIMENSION
    ensure_fresh(database)
    codes = name_codes(database, names)
    dialect = database.dialect
    if order == "any":
        ctes, params = _any_order_ctes(dialect, names, codes, window_seconds, start, end, dim)
    else:
        ctes, params = _ordered_ctes(
            dialect, names, codes, order == "strict", window_seconds, start, end, dim
        )
    k = len(names)
    group = "dim" if breakdown else (utc_period("t1", trend) if trend else "CAST(NULL AS TEXT)")
    found = database.query_dicts(f"WITH {ctes}\n{_aggregate_sql(k, group)}", params)
    rows = [row for row in found if not row["is_total"]]
    totals = [row for row in found if row["is_total"]]
    total = totals[0] if totals else {f"n{i}": 0 for i in range(1, k + 1)}
    entered = int(total["n1"])
    converted = int(total[f"n{k}"])
    result = FunnelResult(
        steps=names,
        order=order,
        window_seconds=window_seconds,
        start=start,
        end=end,
        entered=entered,
        converted=converted,
        conversion=_ratio(converted, entered),
        median_seconds_to_convert=_float(total.get("med_total")),
        average_seconds_to_convert=_float(total.get("avg_total")),
        step_stats=_steps_from_row(names, total),
        breakdown_by=breakdown,
        trend_by=trend if not breakdown else None,
    )
    if breakdown:
        return _with_breakdown(result, rows, max_groups)
    if trend:
        points = sorted(
            (
                TrendPoint(
                    period=row["grp"],
                    entered=int(row["n1"]),
                    converted=int(row[f"n{k}"]),
                    conversion=_ratio(int(row[f"n{k}"]), int(row["n1"])),
                )
                for row in rows
                if row["grp"] is not None
            ),
            key=lambda p: p.period,
        )
        return _replace(result, trend=tuple(points))
    return result


def _replace(result: FunnelResult, **changes: Any) -> FunnelResult:
    from dataclasses import replace

    return replace(result, **changes)


def _with_breakdown(
    result: FunnelResult, rows: list[dict[str, Any]], max_groups: int
) -> FunnelResult:
    k = len(result.steps)
    ordered = sorted(rows, key=lambda r: (-int(r["n1"]), str(r["grp"])))
    kept, rest = ordered[:max_groups], ordered[max_groups:]
    groups: list[FunnelGroup] = []
    for row in kept:
        value = NONE if row["grp"] is None else str(row["grp"])
        groups.append(_group(value, result.steps, row, k))
    if rest:
        groups.append(_group(OTHER, result.steps, _merge_rows(rest, k), k))
    return _replace(result, breakdown=tuple(groups))


def _group(value: str, steps: tuple[str, ...], row: dict[str, Any], k: int) -> FunnelGroup:
    entered, converted = int(row["n1"]), int(row[f"n{k}"])
    return FunnelGroup(
        value=value,
        entered=entered,
        converted=converted,
        conversion=_ratio(converted, entered),
        steps=_steps_from_row(steps, row),
    )
