"""Text parameters (HTTP query strings, form fields) -> journey queries -> JSON-ready dicts.

The API, the pages and the CLI take the same parameter names and the same forms
(``steps`` comma-separated, ``window`` like ``14d``, ``by`` = ``day|week|DIM``), so
the parsing lives here once.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from cxm.journeys.funnels import TREND_PERIODS, FunnelResult, compute_funnel
from cxm.journeys.paths import PathsResult, compute_paths
from cxm.journeys.retention import RetentionResult, compute_retention
from cxm.journeys.sql import parse_duration, parse_time
from cxm.store import Database


def funnel_query(
    database: Database,
    steps: str,
    window: str = "14d",
    order: str = "sequential",
    by: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> FunnelResult:
    by = by or None
    return compute_funnel(
        database,
        (steps or "").split(","),
        window_seconds=parse_duration(window, "window"),
        order=order,
        breakdown=None if by is None or by in TREND_PERIODS else by,
        trend=by if by in TREND_PERIODS else None,
        start=parse_time(start, "from"),
        end=parse_time(end, "to", end_of_day=True),
    )


def retention_query(
    database: Database,
    start_event: str,
    return_event: str,
    period: str = "week",
    periods: int | None = None,
    start: str | None = None,
    end: str | None = None,
) -> RetentionResult:
    return compute_retention(
        database,
        start_event,
        return_event,
        period,
        periods=periods,
        start=parse_time(start, "from"),
        end=parse_time(end, "to", end_of_day=True),
    )


def paths_query(
    database: Database,
    event: str,
    direction: str = "after",
    depth: int = 4,
    start: str | None = None,
    end: str | None = None,
) -> PathsResult:
    return compute_paths(
        database,
        event,
        direction=direction,
        depth=depth,
        start=parse_time(start, "from"),
        end=parse_time(end, "to", end_of_day=True),
    )


def funnel_json(result: FunnelResult) -> dict[str, Any]:
    return asdict(result)


def retention_json(result: RetentionResult) -> dict[str, Any]:
    return {
        "start_event": result.start_event,
        "return_event": result.return_event,
        "period": result.period,
        "periods": result.periods,
        "cohorts": [
            {
                "cohort": c.cohort.isoformat(),
                "size": c.size,
                "retained": list(c.on),
                "retention": list(c.retention),
                "retained_on_or_after": list(c.on_or_after),
                "retention_on_or_after": list(c.retention_on_or_after),
            }
            for c in result.cohorts
        ],
        "average_retention": list(result.average()),
        "average_retention_on_or_after": list(result.average(True)),
    }


def paths_json(result: PathsResult) -> dict[str, Any]:
    return {
        **asdict(result),
        "top_transitions": result.top_transitions(),
        "sankey": result.sankey(),
    }


def journey_map_json(database: Database) -> dict[str, Any]:
    """The /journeys page's data as JSON: stages x touchpoints, pain points, continuity
    and the service blueprint (map and continuity cached until the data changes)."""
    from cxm.journeys.blueprint import service_blueprint
    from cxm.journeys.cache import cached
    from cxm.journeys.continuity import compute_continuity
    from cxm.journeys.journey_map import load_journey_map

    journey = cached(database, "journey_map", (), lambda: load_journey_map(database))
    continuity = cached(database, "continuity", (), lambda: compute_continuity(database))
    return {
        "stages": list(journey.stages),
        "touchpoints": list(journey.touchpoints),
        "staged_profiles": journey.staged_profiles,
        "cells": [
            {
                "stage": c.stage,
                "touchpoint": c.touchpoint,
                "events": c.events,
                "persons": c.persons,
                "csat": c.csat,
                "csat_n": c.csat_n,
                "csat_source": c.csat_source,
                "nps": c.nps,
                "sentiment": c.sentiment,
            }
            for c in journey.cells.values()
        ],
        "pain_points": {
            stage: [asdict(p) for p in points] for stage, points in journey.pain_points.items()
        },
        "continuity": {
            **asdict(continuity),
            "switch_share": continuity.switch_share,
            "churn_rate": continuity.churn_rate,
        },
        "blueprint": [asdict(row) for row in service_blueprint(database)],
    }
