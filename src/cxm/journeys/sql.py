"""SQL fragments shared by the journey queries, in the subset DuckDB and PostgreSQL share.

A *person* is the unified profile (``profile_id``); events the identity stage has not
stitched yet fall back to their ``anonymous_id``, then ``user_id``, so a visitor who
never identified still counts once (as PostHog counts an anonymous person).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from cxm.journeys.errors import JourneyQueryError

PERSON = "coalesce(profile_id, anonymous_id, user_id)"


def person_key(dialect: str) -> str:
    """The person as a join/group key. On DuckDB a 64-bit hash of the id: joins and
    groupings over millions of rows run on integers instead of 25-character strings
    (about half of a funnel's time on 10M events); with 100k persons the chance of any
    two colliding is about 3·10⁻¹⁰. PostgreSQL keeps the text id (exact, indexed)."""
    return f"hash({PERSON})" if dialect == "duckdb" else PERSON


# Page and screen events carry the page name in ``event``; anything unnamed is its type.
EVENT_NAME = "coalesce(event, type)"

# Event types a step may name instead of an event (``page`` = any page view).
_TYPES = ("page", "screen", "identify", "group", "alias", "track")


def name_filter(names: tuple[str, ...] | list[str], params: list[object], prefix: str = "") -> str:
    """SQL keeping events whose name (``coalesce(event, type)``) is one of ``names``.

    Written as ``event IN (...)`` (plus ``event IS NULL AND type IN (...)`` when a
    name is an event type) rather than over the coalesce, so DuckDB can push the
    filter into the column scan: on 10M events that alone is most of a funnel's time.
    """
    clause = f"{prefix}event IN ({', '.join('?' for _ in names)})"
    params.extend(names)
    types = [n for n in names if n in _TYPES]
    if types:
        clause = (
            f"({clause} OR ({prefix}event IS NULL AND {prefix}type IN "
            f"({', '.join('?' for _ in types)})))"
        )
        params.extend(types)
    return clause


# Breakdown dimensions: a name a user may type -> the SQL over ``events`` that yields it.
DIMENSIONS: dict[str, str] = {
    "channel": "channel",
    "traffic_channel": "traffic_channel",
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "referrer_host": "referrer_host",
    "source": "source_id",
    "locale": "locale",
    "country": "nullif(upper(split_part(locale, '-', 2)), '')",
    "type": "type",
}
_PROPERTY = re.compile(r"^properties\.([A-Za-z0-9_$]{1,64})$")


def dimension_sql(name: str, field: str = "by") -> str:
    """SQL for a breakdown dimension: a known column or ``properties.<key>``."""
    if name in DIMENSIONS:
        return DIMENSIONS[name]
    match = _PROPERTY.match(name)
    if match:
        # The key matched a strict pattern, so inlining it cannot inject SQL.
        return f"(properties ->> '{match.group(1)}')"
    known = ", ".join(sorted(DIMENSIONS))
    raise JourneyQueryError(
        field, f"unknown dimension {name!r}; use one of {known} or properties.KEY"
    )


def utc_day(column: str) -> str:
    return f"CAST(({column} AT TIME ZONE 'UTC') AS DATE)"


def utc_period(column: str, period: str) -> str:
    """The UTC day, ISO week (Monday) or month a timestamp falls in, as a DATE."""
    return f"CAST(date_trunc('{period}', {column} AT TIME ZONE 'UTC') AS DATE)"


def seconds_between(later: str, earlier: str) -> str:
    return (
        f"(CAST(extract(epoch FROM {later}) AS DOUBLE PRECISION)"
        f" - CAST(extract(epoch FROM {earlier}) AS DOUBLE PRECISION))"
    )


def interval(seconds: int) -> str:
    return f"INTERVAL '{int(seconds)} seconds'"


_DURATION = re.compile(r"^\s*(\d{1,6})\s*(s|m|h|d|w)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str, field: str) -> int:
    """``14d``, ``12h``, ``30m``, ``2w`` or plain days -> seconds (> 0)."""
    match = _DURATION.match(text or "")
    if not match:
        raise JourneyQueryError(field, f"{text!r} is not a duration like 14d, 12h, 30m or 2w")
    unit = (match.group(2) or "d").lower()
    seconds = int(match.group(1)) * _UNIT_SECONDS[unit]
    if seconds <= 0:
        raise JourneyQueryError(field, "must be longer than zero")
    if seconds > 3 * 366 * 86400:
        raise JourneyQueryError(field, "must be at most three years")
    return seconds


def parse_time(text: str | None, field: str, *, end_of_day: bool = False) -> datetime | None:
    """An ISO date or time (UTC when no offset). A bare date as an upper bound is exclusive
    of the following day, so ``--to 2026-01-31`` includes the whole of the 31st."""
    if text is None or text == "":
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise JourneyQueryError(field, f"{text!r} is not an ISO date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
