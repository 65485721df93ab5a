"""Customer-base KPIs: churn rate, customer retention rate, historical CLTV.

A retailer has no contract that ends, so "a customer at time t" needs a rule:
a person is an *active customer* at t when they placed an order in the
ACTIVE_DAYS (365) before t — the usual non-contractual convention (e.g. the
12-month active-buyer count of retail reporting). For a period [s, e):

- S = active customers at s, E = active customers at e,
- N = new customers: first order ever within [s, e),
- lost = active at s and not active at e.

Retention = (E − N)/S × 100 and churn = lost/S × 100 (``formulas``). The
activity window is stretched to the period length for periods over a year, so a
new customer of the period is always active at its end.

How: one scan of the orders (profile, time, amount in the reporting currency)
into numpy, then every period boundary (current, previous, each series bucket)
is a vectorised pass over the sorted order times. Measured at 300k orders and
15 periods this is ~20x faster than the equivalent SQL, which has to join every
order to every period whose window contains it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from cxm.metrics import formulas, shared
from cxm.metrics.dimensions import PERSON_DIMENSIONS, filter_sql
from cxm.metrics.facts import to_reporting
from cxm.metrics.query import (
    NO_VALUE,
    Group,
    KpiData,
    KpiQuery,
    SeriesPoint,
    Value,
    mean_value,
    rate_value,
    sql_time,
)
from cxm.store import Database

ACTIVE_DAYS = 365
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


class _Orders:
    """Orders before ``until`` as arrays: person code, epoch seconds, amount."""

    def __init__(self, database: Database, query: KpiQuery, until: datetime) -> None:
        where, params = "", []
        for name, value in query.filters:
            where += " AND " + filter_sql(name, {})
            params.append(value)
        amount = to_reporting("f.amount", "f.currency")
        table = database.query_arrow(
            f"SELECT f.profile_id, EXTRACT(EPOCH FROM f.timestamp) AS t, {amount} AS amount "
            f"FROM orders f WHERE f.profile_id IS NOT NULL AND f.timestamp < {sql_time(until)}"
            f"{where}",
            params,
        )
        # Person codes from Arrow's dictionary encoding (a C++ hash pass) with the
        # ~100k distinct ids sorted afterwards: the same sorted ``names`` and codes as
        # np.unique over all 300k order rows, in a third of its time.
        encoded = table.column(0).combine_chunks().dictionary_encode()
        distinct = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False)).astype(str)
        order = np.argsort(distinct, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order), dtype=np.int64)
        self.names = distinct[order]
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        self.person = rank[indices].astype(np.int64) if len(indices) else rank[:0]
        self.time = table.column(1).to_numpy(zero_copy_only=False).astype(np.float64)
        self.amount = table.column(2).to_numpy(zero_copy_only=False).astype(np.float64)
        n = len(self.names)
        self._active: dict[tuple[float, float], npt.NDArray[np.bool_]] = {}
        self.first = np.full(n, np.inf)
        np.minimum.at(self.first, self.person, self.time)

    def active(self, at: float, window: float) -> npt.NDArray[np.bool_]:
        key = (at, window)
        if key not in self._active:
            inside = (self.time >= at - window) & (self.time < at)
            self._active[key] = np.bincount(self.person[inside], minlength=len(self.names)) > 0
        return self._active[key]

    def groups(self, database: Database, dimension: str) -> tuple[list[str], list[Ints]]:
        """Members (person codes) of each value of a person dimension."""
        table = database.query_arrow(PERSON_DIMENSIONS[dimension].subquery)
        ids = table.column(0).to_numpy(zero_copy_only=False).astype(str)
        values = np.array(
            ["unknown" if v is None else str(v) for v in table.column(1).to_pylist()], dtype=str
        )
        where = np.searchsorted(self.names, ids)
        found = (where < len(self.names)) & (
            self.names[np.minimum(where, len(self.names) - 1)] == ids
        )
        codes, values = where[found].astype(np.int64), values[found]
        known = np.zeros(len(self.names), dtype=bool)
        known[codes] = True
        keys = sorted(set(values.tolist()))
        members = [codes[values == k] for k in keys]
        if dimension != "segment" and not known.all():
            missing = np.flatnonzero(~known).astype(np.int64)
            if "unknown" in keys:
                at = keys.index("unknown")
                members[at] = np.concatenate([members[at], missing])
            else:
                keys.append("unknown")
                members.append(missing)
        return keys, members


def _periods(query: KpiQuery) -> list[tuple[int, datetime, datetime]]:
    """(id, start, end): 0 current, 1 previous, 2.. the series buckets."""
    out = [(0, query.start, query.end), (1, query.previous_start, query.start)]
    out += [(2 + i, s, e) for i, (s, e) in enumerate(query.buckets())]
    return out


def _window(start: datetime, end: datetime) -> float:
    return max(timedelta(days=ACTIVE_DAYS), end - start).total_seconds()


def retention_value(start: float, end: float, new: float) -> Value:
    """(E − N)/S × 100 with a Wilson interval when E − N is a subset count of S."""
    if start <= 0:
        return NO_VALUE
    value = formulas.retention_rate(int(start), int(end), int(new))
    retained = int(end - new)
    detail = {"customers_at_start": start, "customers_at_end": end, "new_customers": new}
    if 0 <= retained <= start:
        interval = rate_value(retained, start)
        return Value(value, int(start), interval.low, interval.high, {**detail, **interval.detail})
    return Value(value, int(start), None, None, detail)


def churn_value(start: float, lost: float) -> Value:
    if start <= 0:
        return NO_VALUE
    interval = rate_value(lost, start)
    value = formulas.churn_rate(int(start), int(lost))
    detail = {"customers_at_start": start, "customers_lost": lost, **interval.detail}
    return Value(value, int(start), interval.low, interval.high, detail)


# A period's figure from the orders and the members it is computed over.
PeriodFigure = Callable[[_Orders, datetime, datetime, Ints | None], Value]


def _base_counts(
    orders: _Orders, s: datetime, e: datetime, members: Ints | None
) -> tuple[int, ...]:
    window = _window(s, e)
    at_start = orders.active(s.timestamp(), window)
    at_end = orders.active(e.timestamp(), window)
    new = (orders.first >= s.timestamp()) & (orders.first < e.timestamp())
    if members is not None:
        at_start, at_end, new = at_start[members], at_end[members], new[members]
    return (
        int(at_start.sum()),
        int(at_end.sum()),
        int((at_start & ~at_end).sum()),
        int(new.sum()),
    )


def _churn(orders: _Orders, s: datetime, e: datetime, members: Ints | None) -> Value:
    start, _, lost, _ = _base_counts(orders, s, e, members)
    return churn_value(start, lost)


def _retention(orders: _Orders, s: datetime, e: datetime, members: Ints | None) -> Value:
    start, end, _, new = _base_counts(orders, s, e, members)
    return retention_value(start, end, new)


def _clv(orders: _Orders, s: datetime, e: datetime, members: Ints | None) -> Value:
    """Mean revenue per customer to date (as of ``e``), reporting currency."""
    before = orders.time < e.timestamp()
    revenue = np.bincount(
        orders.person[before], weights=orders.amount[before], minlength=len(orders.names)
    )
    customer = np.bincount(orders.person[before], minlength=len(orders.names)) > 0
    if members is not None:
        revenue, customer = revenue[members], customer[members]
    chosen = revenue[customer]
    return mean_value(float(chosen.sum()), float((chosen * chosen).sum()), float(len(chosen)))


def _assemble(database: Database, query: KpiQuery, figure: PeriodFigure) -> KpiData:
    # Churn, retention and CLV read the same orders: once per shared request.
    shared_key = ("orders", database.url, query.filters, query.end)
    orders = shared.once(shared_key, lambda: _Orders(database, query, query.end))
    by_period = {pid: figure(orders, s, e, None) for pid, s, e in _periods(query)}
    series = [SeriesPoint(begin, by_period[2 + i]) for i, (begin, _) in enumerate(query.buckets())]
    groups: list[Group] = []
    if query.by:
        keys, members = orders.groups(database, query.by)
        for key, who in zip(keys, members, strict=True):
            current = figure(orders, query.start, query.end, who)
            previous = figure(orders, query.previous_start, query.start, who)
            if current.value is not None or previous.value is not None:
                groups.append(Group(key, current, previous))
        groups.sort(key=lambda g: (-g.value.n, g.key))
    return KpiData(by_period[0], by_period[1], series, groups)


def churn(database: Database, query: KpiQuery) -> KpiData:
    return _assemble(database, query, _churn)


def retention(database: Database, query: KpiQuery) -> KpiData:
    return _assemble(database, query, _retention)


def historical_clv(database: Database, query: KpiQuery) -> KpiData:
    return _assemble(database, query, _clv)
