"""Paths: what persons do right after (or right before) an event, as a Sankey.

- The **anchor** is each person's first occurrence of the event in the date range
  (a person contributes one path, as in PostHog's paths).
- The path is the person's following (or preceding) actions — ``track``, ``page`` and
  ``screen`` events, named by event or page name; ``identify``/``alias``/``group``
  are bookkeeping, not actions — **within the same session**: the path stops at the
  first gap of more than 30 minutes of inactivity (the session rule of GA and of
  ``cxm.collect.sessions``). Paths look at most 24 hours away from the anchor.
- Step *i* is the *i*-th action after the anchor; a Sankey node is (step, name) so the
  chart is acyclic even when a page repeats. Each step keeps its ``max_names``
  commonest names; the rest are merged into ``(other)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cxm.journeys.errors import JourneyQueryError
from cxm.journeys.read_model import (
    TABLE,
    UNKNOWN_CODE,
    code_names,
    ensure_fresh,
    name_codes,
)
from cxm.journeys.sql import interval, seconds_between
from cxm.store import Database

DIRECTIONS = ("after", "before")
SESSION_GAP_SECONDS = 30 * 60
HORIZON_SECONDS = 24 * 3600
OTHER = "(other)"


@dataclass(frozen=True)
class PathLink:
    step: int  # the link goes from step ``step`` to ``step + 1`` (step 0 is the anchor)
    source: str
    target: str
    persons: int


@dataclass(frozen=True)
class PathStep:
    step: int
    persons: int  # persons whose session still had a step here
    names: tuple[tuple[str, int], ...]  # commonest names first


@dataclass(frozen=True)
class PathsResult:
    event: str
    direction: str
    depth: int
    anchors: int
    steps: tuple[PathStep, ...]
    links: tuple[PathLink, ...]

    def top_transitions(self, limit: int = 10) -> list[tuple[str, int]]:
        """The commonest next (or previous) actions right next to the anchor event."""
        first = next((s for s in self.steps if s.step == 1), None)
        return list(first.names[:limit]) if first else []

    def sankey(self) -> dict[str, Any]:
        """``{nodes: [{name}], links: [{source, target, value}]}`` for ECharts' sankey."""

        def label(step: int, name: str) -> str:
            if step == 0:
                return name
            sign = "+" if self.direction == "after" else "−"
            return f"{sign}{step} {name}"

        names: dict[str, None] = {}
        links = []
        for link in self.links:
            source, target = label(link.step, link.source), label(link.step + 1, link.target)
            if self.direction == "before":
                source, target = target, source
            names.setdefault(source)
            names.setdefault(target)
            links.append({"source": source, "target": target, "value": link.persons})
        return {"nodes": [{"name": n} for n in names], "links": links}


def compute_paths(
    database: Database,
    event: str,
    *,
    direction: str = "after",
    depth: int = 4,
    start: datetime | None = None,
    end: datetime | None = None,
    max_names: int = 6,
    session_gap_seconds: int = SESSION_GAP_SECONDS,
) -> PathsResult:
    """Top paths after/before ``event``; see the module docstring."""
    if not event or not event.strip():
        raise JourneyQueryError("event", "name the event the paths start from")
    if direction not in DIRECTIONS:
        raise JourneyQueryError("direction", "use after or before")
    if not 1 <= depth <= 10:
        raise JourneyQueryError("depth", "must be between 1 and 10")
    if not 1 <= max_names <= 50:
        raise JourneyQueryError("max_names", "must be between 1 and 50")
    ensure_fresh(database)
    anchor_range: list[str] = []
    params: list[Any] = [name_codes(database, [event.strip()])[event.strip()]]
    if start is not None:
        anchor_range.append("ts >= ?")
        params.append(start)
    if end is not None:
        anchor_range.append("ts < ?")
        params.append(end)
    after = direction == "after"
    near = (
        f"e.ts > a.t0 AND e.ts <= a.t0 + {interval(HORIZON_SECONDS)}"
        if after
        else f"e.ts < a.t0 AND e.ts >= a.t0 - {interval(HORIZON_SECONDS)}"
    )
    sort = "e.ts, e.name" if after else "e.ts DESC, e.name"
    # The gap before each action, walking away from the anchor (the anchor itself first).
    gap = (
        seconds_between("ts", "coalesce(lag(ts) OVER w, t0)")
        if after
        else seconds_between("coalesce(lag(ts) OVER w, t0)", "ts")
    )
    # Names stay codes inside the query (integers group and join faster than text) and
    # are decoded at the end; the anchor's row carries UNKNOWN_CODE, which no event has.
    sql = f"""
WITH anchors AS (
    SELECT person, min(ts) AS t0 FROM {TABLE}
    WHERE name = ? AND {" AND ".join(anchor_range) or "TRUE"}
    GROUP BY person
),
acts AS (SELECT person, name, ts FROM {TABLE} WHERE action),
near AS (
    SELECT a.person, a.t0, e.name, e.ts,
           row_number() OVER (PARTITION BY a.person ORDER BY {sort}) AS i
    FROM anchors a JOIN acts e ON e.person = a.person AND {near}
),
gaps AS (
    SELECT person, name, i, CASE WHEN {gap} > {int(session_gap_seconds)} THEN 1 ELSE 0 END AS cut
    FROM near WHERE i <= {depth}
    WINDOW w AS (PARTITION BY person ORDER BY i)
),
cuts AS (
    SELECT person, name, i, sum(cut) OVER (PARTITION BY person ORDER BY i) AS session
    FROM gaps
),
path AS (
    SELECT person, {UNKNOWN_CODE} AS name, 0 AS i FROM anchors
    UNION ALL
    SELECT person, name, i FROM cuts WHERE session = 0
)
SELECT p.i, p.name, n.name AS next_name, count(*) AS persons
FROM path p LEFT JOIN path n ON n.person = p.person AND n.i = p.i + 1
GROUP BY p.i, p.name, n.name
"""
    rows = database.query(sql, params)
    names = {**code_names(database), UNKNOWN_CODE: event.strip()}
    decoded = [
        (i, names[int(name)], None if after is None else names[int(after)], persons)
        for i, name, after, persons in rows
    ]
    return _assemble(event.strip(), direction, depth, decoded, max_names)


def _assemble(
    event: str, direction: str, depth: int, rows: list[Any], max_names: int
) -> PathsResult:
    per_step: dict[int, dict[str, int]] = {}
    for i, name, _next, persons in rows:
        counts = per_step.setdefault(int(i), {})
        counts[name] = counts.get(name, 0) + int(persons)
    kept: dict[int, set[str]] = {}
    steps: list[PathStep] = []
    for i in sorted(per_step):
        ranked = sorted(per_step[i].items(), key=lambda kv: (-kv[1], kv[0]))
        kept[i] = {name for name, _ in ranked[:max_names]}
        merged = ranked[:max_names]
        rest = sum(n for _, n in ranked[max_names:])
        if rest:
            merged.append((OTHER, rest))
        steps.append(PathStep(i, sum(per_step[i].values()), tuple(merged)))
    links: dict[tuple[int, str, str], int] = {}
    for i, name, next_name, persons in rows:
        if next_name is None:
            continue
        i = int(i)
        source = name if name in kept.get(i, ()) else OTHER
        target = next_name if next_name in kept.get(i + 1, ()) else OTHER
        key = (i, source, target)
        links[key] = links.get(key, 0) + int(persons)
    ordered = sorted(links.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1], kv[0][2]))
    anchors = per_step.get(0, {}).get(event, 0)
    return PathsResult(
        event=event,
        direction=direction,
        depth=depth,
        anchors=anchors,
        steps=tuple(s for s in steps if s.step > 0),
        links=tuple(PathLink(i, s, t, n) for (i, s, t), n in ordered),
    )
