"""Run a fact-based KPI: one scan for period + previous period + series, one for a breakdown.

A ``Fact`` is SQL yielding one row per thing counted (an answer, an order, a
ticket, a help-centre session) with columns ``ts``, ``profile_id``, its native
dimensions and the inputs of its measures. The engine wraps it:

    SELECT cur, GROUPING(bucket), bucket, <measures>
    FROM (<fact> + cur flag + bucket index, filtered) x
    GROUP BY GROUPING SETS ((cur), (cur, bucket))

so the current period, the previous period (same length, just before) and every
series point come from a single pass over the rows; ``per_person`` measures are
aggregated per profile first (e.g. orders per customer for the repeat-purchase rate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cxm.metrics import shared
from cxm.metrics.dimensions import dimension_sql, filter_sql
from cxm.metrics.query import (
    NO_VALUE,
    Group,
    KpiData,
    KpiQuery,
    SeriesPoint,
    Value,
    bucket_start,
    sql_time,
)
from cxm.store import Database


@dataclass(frozen=True)
class FactContext:
    """What a fact's SQL may depend on: the dialect and the time range read."""

    dialect: str
    since: datetime
    until: datetime

    @property
    def since_sql(self) -> str:
        return sql_time(self.since)

    @property
    def until_sql(self) -> str:
        return sql_time(self.until)


@dataclass(frozen=True)
class Fact:
    sql: Callable[[FactContext], str]
    measures: tuple[str, ...]
    finalise: Callable[[Sequence[float]], Value]
    native: dict[str, str] = field(default_factory=dict)
    per_person: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()


def bucket_sql(query: KpiQuery, column: str = "f.ts") -> str:
    """Index of the series bucket a timestamp falls in (0 = the first bucket)."""
    first = query.buckets()[0][0]
    if query.grain == "month":
        utc = f"({column} AT TIME ZONE 'UTC')"
        origin = first.year * 12 + first.month
        return (
            f"(CAST(EXTRACT(YEAR FROM {utc}) AS INTEGER) * 12 "
            f"+ CAST(EXTRACT(MONTH FROM {utc}) AS INTEGER) - {origin})"
        )
    size = 86400 if query.grain == "day" else 7 * 86400
    origin_epoch = int(bucket_start(first, query.grain).timestamp())
    return f"CAST(floor((EXTRACT(EPOCH FROM {column}) - {origin_epoch}) / {size}) AS BIGINT)"


def _floats(row: Sequence[Any]) -> list[float]:
    return [0.0 if v is None else float(v) for v in row]


def _filters(query: KpiQuery, native: dict[str, str]) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for name, value in query.filters:
        clauses.append(" AND " + filter_sql(name, native))
        params.append(value)
    return "".join(clauses), params


# Facts that read the same rows (same SQL, native dimensions and per-person step) and
# differ only in their measures; inside ``shared.sharing()`` one query serves them all.
_SIBLINGS: dict[int, tuple[Fact, ...]] = {}


def share_scan(*facts: Fact) -> None:
    """Declare facts with the same rows, so a shared request computes them in one scan."""
    for fact in facts:
        if (fact.sql, fact.native, fact.per_person) != (
            facts[0].sql,
            facts[0].native,
            facts[0].per_person,
        ):
            raise ValueError("facts sharing a scan need the same sql, native and per_person")
        _SIBLINGS[id(fact)] = facts


def run_fact(database: Database, fact: Fact, query: KpiQuery) -> KpiData:
    """Period, previous period, series and (unless many-to-many) breakdown in one pass.

    A breakdown by a dimension with one value per row (every dimension but
    ``segment``) is a third grouping set of the same query; segment membership
    repeats rows, so it gets its own query. Inside ``shared.sharing()`` the facts
    declared with ``share_scan`` are computed together, once.
    """
    siblings = _SIBLINGS.get(id(fact))
    if siblings and len(siblings) > 1 and shared.active() and query.by != "segment":
        key = ("facts", tuple(id(f) for f in siblings), database.url, query)
        results = shared.once(key, lambda: _run_facts(database, siblings, query))
        return results[siblings.index(fact)]
    return _run_facts(database, (fact,), query)[0]


def _run_facts(database: Database, facts: Sequence[Fact], query: KpiQuery) -> list[KpiData]:
    """``run_fact`` for facts sharing their rows: their measures side by side in one query."""
    fact = facts[0]
    context = FactContext(database.dialect, query.previous_start, query.end)
    source = fact.sql(context)
    where, params = _filters(query, fact.native)
    start, prev, end = sql_time(query.start), sql_time(query.previous_start), sql_time(query.end)
    cur = f"CASE WHEN f.ts >= {start} THEN 1 ELSE 0 END"
    bucket = f"CASE WHEN f.ts >= {start} THEN {bucket_sql(query)} ELSE -1 END"
    combined = query.by is not None and query.by != "segment"
    join, group = "", "'all'"
    if combined:
        assert query.by is not None
        dim = dimension_sql(query.by, fact.native, "d_by")
        join, group = dim.join, dim.expression
    rows_sql = (
        f"SELECT f.*, {cur} AS cur, {bucket} AS bucket, {group} AS grp FROM ({source}) f{join} "
        f"WHERE f.ts >= {prev} AND f.ts < {end}{where}"
    )
    measures = ", ".join(m for f in facts for m in f.measures)
    by_group = ", (cur, grp)" if combined else ""
    group_flag = "GROUPING(grp)" if combined else "1"
    group_column = "grp" if combined else "'all' AS grp"
    if fact.per_person:
        inner = ", ".join(fact.per_person)
        person_group = ", (cur, grp, profile_id)" if combined else ""
        sql = (
            f"SELECT cur, gb, gg, bucket, grp, {measures} FROM ("
            f"SELECT cur, bucket, {group_column}, GROUPING(bucket) AS gb, {group_flag} AS gg, "
            "profile_id, "
            f"{inner} FROM ({rows_sql}) x GROUP BY GROUPING SETS "
            f"((cur, profile_id), (cur, bucket, profile_id){person_group})) y "
            "GROUP BY cur, gb, gg, bucket, grp"
        )
    else:
        sql = (
            f"SELECT cur, GROUPING(bucket) AS gb, {group_flag} AS gg, bucket, {group_column}, "
            f"{measures} "
            f"FROM ({rows_sql}) x GROUP BY GROUPING SETS ((cur), (cur, bucket){by_group})"
        )
    rows = database.query(sql, params)
    out: list[KpiData] = []
    offset = 5
    for one in facts:
        width = len(one.measures)
        out.append(_assemble(one, query, rows, offset, width, combined))
        offset += width
    if not combined and query.by:
        for i, one in enumerate(facts):
            groups = _breakdown(database, one, query, source, where, params)
            out[i] = KpiData(out[i].current, out[i].previous, out[i].series, groups)
    return out


def _assemble(
    fact: Fact,
    query: KpiQuery,
    rows: list[Any],
    offset: int,
    width: int,
    combined: bool,
) -> KpiData:
    """One fact's KpiData from the grouping-set rows (its measures at ``offset``)."""
    current, previous = NO_VALUE, NO_VALUE
    by_bucket: dict[int, Value] = {}
    group_now: dict[str, Value] = {}
    group_before: dict[str, Value] = {}
    for row in rows:
        value = fact.finalise(_floats(row[offset : offset + width]))
        is_current, bucket_set, group_set = int(row[0]) == 1, int(row[1]) == 0, int(row[2]) == 0
        if group_set and not bucket_set:
            (group_now if is_current else group_before)[str(row[4])] = value
        elif bucket_set:
            if is_current and row[3] is not None:
                by_bucket[int(row[3])] = value
        elif is_current:
            current = value
        else:
            previous = value
    series = [
        SeriesPoint(begin, by_bucket.get(index, NO_VALUE))
        for index, (begin, _) in enumerate(query.buckets())
    ]
    groups = _groups(group_now, group_before) if combined else []
    return KpiData(current, previous, series, groups)


def _groups(current: dict[str, Value], previous: dict[str, Value]) -> list[Group]:
    keys = sorted(current, key=lambda k: (-current[k].n, k))
    keys += sorted(k for k in previous if k not in current)
    return [Group(k, current.get(k, NO_VALUE), previous.get(k, NO_VALUE)) for k in keys]


def _breakdown(
    database: Database,
    fact: Fact,
    query: KpiQuery,
    source: str,
    where: str,
    params: list[Any],
) -> list[Group]:
    assert query.by is not None
    dim = dimension_sql(query.by, fact.native, "d_by")
    start, prev, end = sql_time(query.start), sql_time(query.previous_start), sql_time(query.end)
    rows_sql = (
        f"SELECT f.*, CASE WHEN f.ts >= {start} THEN 1 ELSE 0 END AS cur, "
        f"{dim.expression} AS grp FROM ({source}) f{dim.join} "
        f"WHERE f.ts >= {prev} AND f.ts < {end}{where}"
    )
    measures = ", ".join(fact.measures)
    if fact.per_person:
        inner = ", ".join(fact.per_person)
        sql = (
            f"SELECT cur, grp, {measures} FROM (SELECT cur, grp, profile_id, {inner} "
            f"FROM ({rows_sql}) x GROUP BY cur, grp, profile_id) y GROUP BY cur, grp"
        )
    else:
        sql = f"SELECT cur, grp, {measures} FROM ({rows_sql}) x GROUP BY cur, grp"
    current: dict[str, Value] = {}
    previous: dict[str, Value] = {}
    for row in database.query(sql, params):
        target = current if int(row[0]) == 1 else previous
        target[str(row[1])] = fact.finalise(_floats(row[2:]))
    return _groups(current, previous)


def now_utc() -> datetime:
    return datetime.now(UTC)
