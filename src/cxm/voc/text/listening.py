"""Reviews and social listening: rating trend, sentiment split, negative-volume spikes.

Spike rule (robust "normal range"): for each day, the baseline is the median of the
daily negative counts of the previous ``window`` days (days without reviews count
as 0) and the spread is the median absolute deviation scaled to a standard
deviation (1.4826·MAD, Rousseeuw & Croux 1993). Counts of rare events have MAD 0 on
quiet days, so the spread is floored at the Poisson standard deviation
√max(median, 1). A day is a spike when its count exceeds median + k·spread and is at
least ``min_count``. Median and MAD are used rather than mean and σ because one
earlier spike inside the window would inflate σ and hide the next one.
"""

from __future__ import annotations

import json
import logging
import math
import os
import urllib.request
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from statistics import median
from typing import Any

import pyarrow as pa

from cxm.store import Database

log = logging.getLogger(__name__)
PERIODS = ("day", "week", "month")
LABELS = ("negative", "neutral", "positive")
_DAY = "CAST((r.posted_at AT TIME ZONE 'UTC') AS DATE)"


def period_sql(period: str, column: str = "r.posted_at") -> str:
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    return f"CAST(date_trunc('{period}', {column} AT TIME ZONE 'UTC') AS DATE)"


def _range(start: date | None, end: date | None, params: list[Any], column: str) -> str:
    """SQL conditions for an inclusive [start, end] day range on ``column``."""
    parts = []
    if start is not None:
        parts.append(f" AND {column} >= ?")
        params.append(datetime(start.year, start.month, start.day, tzinfo=UTC))
    if end is not None:
        parts.append(f" AND {column} < ?")
        following = end + timedelta(days=1)
        params.append(datetime(following.year, following.month, following.day, tzinfo=UTC))
    return "".join(parts)


def rating_trend(
    database: Database,
    *,
    period: str = "week",
    start: date | None = None,
    end: date | None = None,
) -> list[dict[str, Any]]:
    """Average star rating and count per period and source (reviews with a rating)."""
    params: list[Any] = []
    where = _range(start, end, params, "r.posted_at")
    rows = database.query(
        f"SELECT {period_sql(period)} AS p, r.source, count(*), avg(r.rating) FROM reviews r "
        f"WHERE r.rating IS NOT NULL{where} GROUP BY p, r.source ORDER BY p, r.source",
        params,
    )
    return [
        {"period": str(p), "source": s, "n": int(n), "avg_rating": round(float(a), 3)}
        for p, s, n, a in rows
    ]


def sentiment_split(
    database: Database,
    *,
    start: date | None = None,
    end: date | None = None,
    source: str | None = None,
) -> dict[str, int]:
    """How many analysed reviews are negative / neutral / positive."""
    params: list[Any] = []
    where = _range(start, end, params, "r.posted_at")
    if source:
        where += " AND r.source = ?"
        params.append(source)
    rows = database.query(
        "SELECT a.label, count(*) FROM review_analyses a JOIN reviews r "
        "ON r.source = a.source AND r.review_id = a.review_id "
        f"WHERE 1 = 1{where} GROUP BY a.label",
        params,
    )
    split = dict.fromkeys(LABELS, 0)
    split.update({str(label): int(n) for label, n in rows})
    return split


def sentiment_trend(
    database: Database,
    *,
    period: str = "week",
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """Analysed reviews per period by label, as ``{"days": [...], "series": [...]}``."""
    params: list[Any] = []
    where = _range(start, end, params, "r.posted_at")
    rows = database.query(
        f"SELECT {period_sql(period)} AS p, a.label, count(*) FROM review_analyses a "
        "JOIN reviews r ON r.source = a.source AND r.review_id = a.review_id "
        f"WHERE 1 = 1{where} GROUP BY p, a.label ORDER BY p",
        params,
    )
    periods = sorted({str(p) for p, _, _ in rows})
    cells = {(str(p), str(label)): int(n) for p, label, n in rows}
    return {
        "days": periods,
        "series": [
            {"name": label, "values": [cells.get((p, label), 0) for p in periods]}
            for label in LABELS
        ],
    }


def summary(
    database: Database, *, start: date | None = None, end: date | None = None
) -> dict[str, Any]:
    """Reviews summary: counts, average rating, sentiment split, per source."""
    params: list[Any] = []
    where = _range(start, end, params, "r.posted_at")
    rows = database.query(
        "SELECT r.source, count(*), avg(r.rating), count(a.review_id), "
        "sum(CASE WHEN a.label = 'negative' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.label = 'neutral' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.label = 'positive' THEN 1 ELSE 0 END), avg(a.score) "
        "FROM reviews r LEFT JOIN review_analyses a "
        "ON r.source = a.source AND r.review_id = a.review_id "
        f"WHERE 1 = 1{where} GROUP BY r.source ORDER BY count(*) DESC, r.source",
        params,
    )
    sources = [
        {
            "source": s,
            "reviews": int(n),
            "avg_rating": None if avg is None else round(float(avg), 3),
            "analysed": int(done),
            "negative": int(neg or 0),
            "neutral": int(neu or 0),
            "positive": int(pos or 0),
            "avg_score": None if score is None else round(float(score), 4),
        }
        for s, n, avg, done, neg, neu, pos, score in rows
    ]
    total = sum(s["reviews"] for s in sources)
    rated = database.query(
        f"SELECT count(r.rating), avg(r.rating) FROM reviews r WHERE 1 = 1{where}", params
    )[0]
    return {
        "reviews": total,
        "analysed": sum(s["analysed"] for s in sources),
        "rated": int(rated[0]),
        "avg_rating": None if rated[1] is None else round(float(rated[1]), 3),
        "sentiment": {label: sum(s[label] for s in sources) for label in LABELS},
        "sources": sources,
    }


def daily_negative(database: Database, *, by_source: bool = False) -> dict[str, dict[date, int]]:
    """Negative analysed reviews per UTC day, for all sources (scope ``*``) or each."""
    source = "r.source" if by_source else "'*'"
    rows = database.query(
        f"SELECT {source}, {_DAY} AS d, count(*) FROM review_analyses a JOIN reviews r "
        "ON r.source = a.source AND r.review_id = a.review_id WHERE a.label = 'negative' "
        f"GROUP BY 1, d"
    )
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for scope, day, n in rows:
        counts[str(scope)][day] = int(n)
    return dict(counts)


@dataclass(frozen=True)
class Spike:
    scope: str
    day: date
    observed: int
    baseline: float
    threshold: float


def find_spikes(
    counts: dict[date, int],
    *,
    window: int = 28,
    k: float = 3.0,
    min_count: int = 3,
    scope: str = "*",
) -> list[Spike]:
    """Days whose count exceeds median + k·spread of the previous ``window`` days."""
    if not counts:
        return []
    first, last = min(counts), max(counts)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    series = [counts.get(day, 0) for day in days]
    spikes = []
    for index in range(window, len(series)):
        history = series[index - window : index]
        centre = median(history)
        mad = median(abs(x - centre) for x in history)
        spread = max(1.4826 * mad, math.sqrt(max(centre, 1.0)))
        threshold = centre + k * spread
        observed = series[index]
        if observed > threshold and observed >= min_count:
            spikes.append(Spike(scope, days[index], observed, float(centre), round(threshold, 3)))
    return spikes


ALERT_SCHEMA = pa.schema(
    [
        ("alert_id", pa.string()),
        ("kind", pa.string()),
        ("day", pa.date32()),
        ("scope", pa.string()),
        ("observed", pa.int64()),
        ("baseline", pa.float64()),
        ("threshold", pa.float64()),
        ("detail", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("notified_at", pa.timestamp("us", tz="UTC")),
    ]
)


def detect_spikes(
    database: Database, *, window: int = 28, k: float = 3.0, min_count: int = 3
) -> list[Spike]:
    """Find negative-volume spikes (all sources and per source); store new ones as alerts.

    Alert ids are ``negative_spike:<scope>:<day>``, so running again stores nothing
    twice. Returns the spikes that were new. When ``CXM_TEXT_ALERT_WEBHOOK`` is set,
    each new alert is POSTed there as JSON (failures are logged, never raised).
    """
    spikes: list[Spike] = []
    for by_source in (False, True):
        for scope, counts in daily_negative(database, by_source=by_source).items():
            spikes.extend(find_spikes(counts, window=window, k=k, min_count=min_count, scope=scope))
    if not spikes:
        return []
    known = {row[0] for row in database.query("SELECT alert_id FROM text_alerts")}
    now = datetime.now(UTC)
    new = [s for s in spikes if _alert_id(s) not in known]
    if not new:
        return []
    webhook = os.environ.get("CXM_TEXT_ALERT_WEBHOOK")
    rows = []
    for spike in new:
        notified = now if webhook and _notify(webhook, spike) else None
        rows.append(
            {
                "alert_id": _alert_id(spike),
                "kind": "negative_spike",
                "day": spike.day,
                "scope": spike.scope,
                "observed": spike.observed,
                "baseline": spike.baseline,
                "threshold": spike.threshold,
                "detail": json.dumps({"window_days": window, "k": k, "min_count": min_count}),
                "created_at": now,
                "notified_at": notified,
            }
        )
    database.append("text_alerts", pa.Table.from_pylist(rows, schema=ALERT_SCHEMA), ["alert_id"])
    return new


def _alert_id(spike: Spike) -> str:
    return f"negative_spike:{spike.scope}:{spike.day.isoformat()}"


def _notify(url: str, spike: Spike) -> bool:
    body = asdict(spike) | {"day": spike.day.isoformat(), "kind": "negative_spike"}
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode("utf-8"),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5):  # URL set by the operator
            return True
    except OSError as error:
        log.warning("negative-spike webhook failed: %s", error)
        return False


def list_alerts(database: Database, *, limit: int = 50) -> list[dict[str, Any]]:
    """Stored alerts, newest day first."""
    rows = database.query_dicts(
        "SELECT alert_id, kind, day, scope, observed, baseline, threshold, created_at, notified_at "
        "FROM text_alerts ORDER BY day DESC, scope LIMIT ?",
        [limit],
    )
    for row in rows:
        row["day"] = str(row["day"])
        row["created_at"] = row["created_at"].isoformat() if row["created_at"] else None
        row["notified_at"] = row["notified_at"].isoformat() if row["notified_at"] else None
    return rows
