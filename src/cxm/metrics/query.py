"""How a KPI is asked for (period, grain, breakdown, filters) and what comes back.

Every KPI in the catalogue takes the same ``KpiQuery`` and returns the same
``KpiReport``: a value for the period, the value for the period just before it
(period-over-period change, tested for significance where the KPI is a rate, an
NPS or a mean), a time series at the chosen grain, and an optional breakdown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from cxm.errors import FieldError
from cxm.metrics import formulas

Grain = Literal["day", "week", "month"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month")
# Daily series over years would make thousands of points nobody can read and
# make the customer-base KPIs (one pass per bucket boundary) slow.
MAX_BUCKETS = 400


class QueryError(FieldError):
    """Bad input to a KPI query; ``field`` names the parameter."""


@dataclass(frozen=True)
class KpiQuery:
    """Period [start, end) in UTC, series grain, optional breakdown and equality filters."""

    start: datetime
    end: datetime
    grain: Grain = "month"
    by: str | None = None
    filters: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise QueryError("to", "must be after from")
        if self.grain not in GRAINS:
            raise QueryError("grain", f"must be one of {', '.join(GRAINS)}")
        if len(self.buckets()) > MAX_BUCKETS:
            raise QueryError("grain", f"more than {MAX_BUCKETS} periods; choose a coarser grain")

    @property
    def previous_start(self) -> datetime:
        """The previous period has the same length and ends where this one starts."""
        return self.start - (self.end - self.start)

    def buckets(self) -> list[tuple[datetime, datetime]]:
        """The series periods: calendar days, ISO weeks (Monday) or calendar months,
        clipped to the query period."""
        out: list[tuple[datetime, datetime]] = []
        cursor = bucket_start(self.start, self.grain)
        while cursor < self.end:
            following = next_bucket(cursor, self.grain)
            out.append((max(cursor, self.start), min(following, self.end)))
            cursor = following
            if len(out) > MAX_BUCKETS:
                break
        return out


def bucket_start(moment: datetime, grain: Grain) -> datetime:
    day = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_bucket(start: datetime, grain: Grain) -> datetime:
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def parse_day(value: str, field_name: str) -> datetime:
    """A date (YYYY-MM-DD) or ISO timestamp, as an aware UTC datetime."""
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(field_name, f"{value!r} is not a date (YYYY-MM-DD)") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def sql_time(moment: datetime) -> str:
    """A timestamp literal both databases read (our own datetimes, never user text)."""
    return f"CAST('{moment.astimezone(UTC).isoformat()}' AS TIMESTAMPTZ)"


@dataclass(frozen=True)
class Value:
    """One KPI figure with its 95% interval (``low``/``high``) and the counts behind it.

    ``detail`` keeps what a significance test of a change needs: ``successes``/``n``
    for rates, promoter/passive/detractor counts for NPS, ``mean``/``sd``/``n`` for means.
    """

    value: float | None
    n: int
    low: float | None = None
    high: float | None = None
    detail: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": _clean(self.value),
            "n": self.n,
            "low": _clean(self.low),
            "high": _clean(self.high),
            "detail": {k: _clean(v) for k, v in self.detail.items()},
        }


NO_VALUE = Value(None, 0)


def _clean(number: float | None) -> float | None:
    if number is None or (isinstance(number, float) and not math.isfinite(number)):
        return None
    return round(float(number), 6)


def rate_value(successes: float, n: float) -> Value:
    """A proportion in percent with the Wilson interval (formulas.rate)."""
    count, total = int(successes or 0), int(n or 0)
    if total == 0:
        return NO_VALUE
    r = formulas.rate(count, total)
    return Value(r.percent, total, r.low, r.high, {"successes": count, "n": total})


def mean_value(total: float, squares: float, n: float) -> Value:
    """A mean with a normal-approximation 95% interval (mean ± 1.96·sd/√n)."""
    count = int(n or 0)
    if count == 0:
        return NO_VALUE
    mean = float(total) / count
    variance = max(0.0, float(squares) / count - mean * mean) * count / max(1, count - 1)
    sd = math.sqrt(variance)
    half = 1.96 * sd / math.sqrt(count)
    return Value(mean, count, mean - half, mean + half, {"mean": mean, "sd": sd, "n": count})


def nps_value(promoters: float, passives: float, detractors: float) -> Value:
    result = formulas.nps_from_counts(int(promoters or 0), int(passives or 0), int(detractors or 0))
    if result.n == 0:
        return NO_VALUE
    detail = {
        "promoters": result.promoters,
        "passives": result.passives,
        "detractors": result.detractors,
        "margin_of_error": result.margin_of_error,
    }
    return Value(result.score, result.n, result.low, result.high, detail)


@dataclass(frozen=True)
class Change:
    """Current minus previous, with a two-sided test where the KPI allows one."""

    difference: float
    p_value: float | None

    def as_dict(self) -> dict[str, Any]:
        significant = None if self.p_value is None else self.p_value < 0.05
        return {
            "difference": _clean(self.difference),
            "p_value": _clean(self.p_value),
            "significant": significant,
        }


def change(current: Value, previous: Value) -> Change | None:
    if current.value is None or previous.value is None:
        return None
    difference = current.value - previous.value
    a, b = current.detail, previous.detail
    p_value: float | None = None
    if "promoters" in a and "promoters" in b:
        first = formulas.nps_from_counts(
            int(a["promoters"]), int(a["passives"]), int(a["detractors"])
        )
        second = formulas.nps_from_counts(
            int(b["promoters"]), int(b["passives"]), int(b["detractors"])
        )
        p_value = formulas.compare_nps(first, second).p_value
    elif "successes" in a and "successes" in b:
        p_value = formulas.compare_rates(
            int(a["successes"]), int(a["n"]), int(b["successes"]), int(b["n"])
        ).p_value
    elif "sd" in a and "sd" in b and a["n"] > 1 and b["n"] > 1:
        se = math.sqrt(a["sd"] ** 2 / a["n"] + b["sd"] ** 2 / b["n"])
        if se > 0:
            p_value = math.erfc(abs(a["mean"] - b["mean"]) / se / math.sqrt(2))
    return Change(difference, p_value)


@dataclass(frozen=True)
class SeriesPoint:
    start: datetime
    value: Value


@dataclass(frozen=True)
class Group:
    key: str
    value: Value
    previous: Value


@dataclass(frozen=True)
class KpiData:
    """What a KPI computation returns before the catalogue adds its definition."""

    current: Value
    previous: Value
    series: list[SeriesPoint]
    groups: list[Group]
    status: str = "ok"
    reason: str = ""
