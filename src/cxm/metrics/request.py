"""Turn the text parameters of the API, CLI and pages into a ``KpiQuery``.

One parser so ``?from=&to=&grain=&by=`` and ``--from --to --grain --by`` mean the
same everywhere. ``to`` as a date is the last day included. Defaults: the 90 days
ending with the latest order, grain by period length (day ≤ 31 days, week ≤ 190 days, else month).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from cxm.metrics.catalogue import default_grain, default_period
from cxm.metrics.dimensions import DIMENSIONS
from cxm.metrics.query import GRAINS, KpiQuery, QueryError, parse_day
from cxm.store import Database


def build_query(
    database: Database,
    start: str | None = None,
    end: str | None = None,
    grain: str | None = None,
    by: str | None = None,
    filters: Iterable[tuple[str, str]] = (),
    default_days: int = 90,
) -> KpiQuery:
    default_start, default_end = default_period(database, default_days)
    begin = parse_day(start, "from") if start else None
    finish = parse_day(end, "to") if end else None
    if finish is not None and end is not None and len(end) == 10:
        finish += timedelta(days=1)  # a date names the last day, included
    if begin is None and finish is not None:
        begin = finish - (default_end - default_start)
    if finish is None and begin is not None:
        finish = begin + (default_end - default_start)
    begin, finish = begin or default_start, finish or default_end
    if finish <= begin:
        raise QueryError("to", "must be after from")
    if grain is not None and grain not in GRAINS:
        raise QueryError("grain", f"{grain!r}: must be one of {', '.join(GRAINS)}")
    chosen = grain or default_grain(begin, finish)
    if by == "":
        by = None
    if by is not None and by not in DIMENSIONS:
        raise QueryError("by", f"unknown dimension {by!r}; known: {', '.join(DIMENSIONS)}")
    kept = []
    for name, value in filters:
        if name not in DIMENSIONS:
            raise QueryError(name, f"unknown filter dimension; known: {', '.join(DIMENSIONS)}")
        if value:
            kept.append((name, value))
    return KpiQuery(begin, finish, chosen, by, tuple(kept))  # type: ignore[arg-type]
