"""Journey measurement: entries, step counts, sends, blocks, goal conversion and uplift.

Conversion: a run converts when the person has the goal event (with its property
filter) after entering and within the goal window (``within_hours``), counted the
same way for treated and holdout runs, so the difference of the two proportions is
the journey's uplift. Its 95% interval is Newcombe's hybrid score interval (method 10,
Newcombe 1998) from ``cxm.metrics.formulas.compare_rates``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cxm.engage.conditions import _json_text
from cxm.engage.journeys import get_journey
from cxm.metrics.formulas import compare_rates, wilson_interval
from cxm.store import Database


@dataclass(frozen=True)
class GroupResult:
    group: str
    entries: int
    conversions: int
    rate: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Uplift:
    difference_points: float
    low_points: float
    high_points: float
    p_value: float


@dataclass(frozen=True)
class JourneyReport:
    journey_id: str
    name: str
    status: str
    entries: int
    groups: list[GroupResult]
    steps: list[dict[str, Any]]
    sends: dict[str, int]
    blocks: dict[str, int]
    goal: dict[str, Any] | None
    uplift: Uplift | None


def _conversions(
    database: Database, journey_id: str, goal: dict[str, Any]
) -> dict[str, tuple[int, int]]:
    window = timedelta(hours=float(goal.get("within_hours", 72)))
    filters = []
    params: list[Any] = [goal["event"]]
    for prop, value in goal.get("where", {}).items():
        column = _json_text(database.dialect, "e.properties", str(prop))
        options = value if isinstance(value, list) else [value]
        filters.append(f"{column} IN ({', '.join('?' for _ in options)})")
        params.extend(str(v) for v in options)
    extra = "".join(f" AND {f}" for f in filters)
    seconds = window.total_seconds()
    if database.dialect == "postgresql":
        until = f"r.entered_at + make_interval(secs => {seconds})"
    else:
        until = f"r.entered_at + to_microseconds(CAST({int(seconds * 1_000_000)} AS BIGINT))"
    rows = database.query(
        "SELECT r.grp, count(*), sum(CASE WHEN EXISTS (SELECT 1 FROM events e "
        "WHERE e.profile_id = r.profile_id AND e.event = ? AND e.timestamp > r.entered_at "
        f"AND e.timestamp <= {until}{extra}) THEN 1 ELSE 0 END) "
        "FROM journey_runs r WHERE r.journey_id = ? GROUP BY r.grp",
        [*params, journey_id],
    )
    return {str(g): (int(n), int(c or 0)) for g, n, c in rows}


def journey_report(database: Database, key: str) -> JourneyReport:
    journey = get_journey(database, key)
    jid = journey.journey_id
    program = journey.program
    labels = {s.index: s.label for s in program.steps}
    steps = [
        {
            "step": int(step),
            "label": labels.get(int(step), "entry"),
            "outcome": outcome,
            "count": int(n),
        }
        for step, outcome, n in database.query(
            "SELECT step, CASE WHEN outcome LIKE 'blocked:%' THEN 'blocked' "
            "WHEN outcome LIKE 'deferred:%' THEN 'deferred' ELSE outcome END AS o, count(*) "
            "FROM journey_step_log WHERE journey_id = ? GROUP BY step, o ORDER BY step, o",
            [jid],
        )
    ]
    sends = {
        str(s): int(n)
        for s, n in database.query(
            "SELECT status, count(*) FROM engage_outbox WHERE journey_id = ? "
            "AND status <> 'blocked' GROUP BY status ORDER BY status",
            [jid],
        )
    }
    blocks = {
        str(r): int(n)
        for r, n in database.query(
            "SELECT CASE WHEN block_reason LIKE 'cap:%' THEN 'frequency cap' "
            "WHEN block_reason LIKE 'consent:%' THEN 'consent' ELSE block_reason END AS r, "
            "count(*) FROM engage_outbox WHERE journey_id = ? AND status = 'blocked' "
            "GROUP BY r ORDER BY r",
            [jid],
        )
    }
    goal = journey.definition.get("goal")
    counts: dict[str, tuple[int, int]]
    if goal:
        counts = _conversions(database, jid, goal)
    else:
        counts = {
            str(g): (int(n), 0)
            for g, n in database.query(
                "SELECT grp, count(*) FROM journey_runs WHERE journey_id = ? GROUP BY grp", [jid]
            )
        }
    groups = []
    for name in ("treated", "holdout"):
        n, c = counts.get(name, (0, 0))
        if goal and n:
            low, high = wilson_interval(c, n)
            groups.append(GroupResult(name, n, c, 100 * c / n, 100 * low, 100 * high))
        else:
            groups.append(GroupResult(name, n, c, None, None, None))
    uplift = None
    treated, holdout = counts.get("treated", (0, 0)), counts.get("holdout", (0, 0))
    if goal and treated[0] and holdout[0]:
        comparison = compare_rates(treated[1], treated[0], holdout[1], holdout[0])
        uplift = Uplift(comparison.difference, comparison.low, comparison.high, comparison.p_value)
    return JourneyReport(
        jid,
        journey.name,
        journey.status,
        sum(n for n, _ in counts.values()),
        groups,
        steps,
        sends,
        blocks,
        goal,
        uplift,
    )
