"""Dashboard pages of the journeys stage: ``/journeys`` (journey map, continuity,
service blueprint), ``/funnels``, ``/paths`` and ``/cohorts``.

Thin: ``analytics:read`` page guard, parse the form through ``cxm.journeys.queries``
(the same parsing as the API), render. A bad form field is shown next to the form
with a 400, never a 500. Chart data is embedded as JSON for ``static/journeys.js``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from cxm.api.state import AppState
from cxm.auth.deps import RequirePage
from cxm.auth.principal import Principal
from cxm.auth.scopes import ANALYTICS_READ
from cxm.journeys.errors import JourneyQueryError
from cxm.web.responses import render_page as _render
from cxm.web.templating import templates

router = APIRouter(include_in_schema=False)
AnalyticsPage = Annotated[Principal, Depends(RequirePage(ANALYTICS_READ))]

DEFAULT_STEPS = "Product Viewed,Product Added,Checkout Started,Order Completed"


def heat(value: float | None) -> str:
    """CSS class for a retention cell (the CSP forbids inline styles): heat-0 … heat-10."""
    if value is None:
        return "heat-none"
    return f"heat-{max(0, min(10, round(value * 10)))}"


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


templates.env.filters["journeys_heat"] = heat
templates.env.filters["journeys_pct"] = pct
templates.env.filters["journeys_duration"] = duration


@router.get("/funnels", response_class=HTMLResponse, name="funnels")
def funnels_page(
    request: Request,
    who: AnalyticsPage,
    steps: str = DEFAULT_STEPS,
    window: str = "14d",
    order: str = "sequential",
    by: str = "",
    start: Annotated[str, Query(alias="from")] = "",
    end: Annotated[str, Query(alias="to")] = "",
) -> Response:
    from cxm.journeys.queries import funnel_query

    form = {"steps": steps, "window": window, "order": order, "by": by, "from": start, "to": end}
    try:
        result = funnel_query(
            AppState.of(request).database, steps, window, order, by or None, start, end
        )
    except JourneyQueryError as error:
        return _render(request, "journeys_funnels.html", {"form": form, "error": error}, 400)
    chart = {
        "kind": "funnel",
        "steps": [f"{s.step}. {s.name}" for s in result.step_stats],
        "series": [{"name": "all persons", "values": [s.persons for s in result.step_stats]}]
        + [{"name": g.value, "values": [s.persons for s in g.steps]} for g in result.breakdown[:6]],
    }
    trend = (
        {
            "kind": "trend",
            "periods": [p.period.isoformat() for p in result.trend],
            "values": [
                None if p.conversion is None else round(100 * p.conversion, 2) for p in result.trend
            ],
        }
        if result.trend
        else None
    )
    return _render(
        request,
        "journeys_funnels.html",
        {"form": form, "result": result, "chart": chart, "trend": trend, "error": None},
    )


@router.get("/cohorts", response_class=HTMLResponse, name="cohorts")
def cohorts_page(
    request: Request,
    who: AnalyticsPage,
    start_event: str = "Order Completed",
    return_event: str = "Order Completed",
    period: str = "month",
    mode: Annotated[str, Query(description="on | on_or_after")] = "on",
) -> Response:
    from cxm.journeys.queries import retention_query

    form = {
        "start_event": start_event,
        "return_event": return_event,
        "period": period,
        "mode": mode,
    }
    try:
        if mode not in ("on", "on_or_after"):
            raise JourneyQueryError("mode", "use on or on_or_after")
        result = retention_query(AppState.of(request).database, start_event, return_event, period)
    except JourneyQueryError as error:
        return _render(request, "journeys_cohorts.html", {"form": form, "error": error}, 400)
    after = mode == "on_or_after"
    rows = [
        {
            "cohort": c.cohort.isoformat(),
            "size": c.size,
            "cells": list(
                zip(
                    c.on_or_after if after else c.on,
                    c.retention_on_or_after if after else c.retention,
                    strict=True,
                )
            ),
        }
        for c in result.cohorts
    ]
    return _render(
        request,
        "journeys_cohorts.html",
        {
            "form": form,
            "result": result,
            "rows": rows,
            "average": result.average(after),
            "error": None,
        },
    )


@router.get("/paths", response_class=HTMLResponse, name="paths")
def paths_page(
    request: Request,
    who: AnalyticsPage,
    event: str = "Product Added",
    direction: str = "after",
    depth: int = 4,
) -> Response:
    from cxm.journeys.queries import paths_query

    form = {"event": event, "direction": direction, "depth": depth}
    try:
        result = paths_query(AppState.of(request).database, event, direction, depth)
    except JourneyQueryError as error:
        return _render(request, "journeys_paths.html", {"form": form, "error": error}, 400)
    return _render(
        request,
        "journeys_paths.html",
        {
            "form": form,
            "result": result,
            "sankey": {"kind": "sankey", **result.sankey()},
            "error": None,
        },
    )


@router.get("/journeys", response_class=HTMLResponse, name="journeys")
def journey_map_page(request: Request, who: AnalyticsPage) -> Response:
    from cxm.journeys.blueprint import service_blueprint
    from cxm.journeys.cache import cached
    from cxm.journeys.continuity import compute_continuity
    from cxm.journeys.journey_map import load_journey_map
    from cxm.journeys.stages import stage_summary

    database = AppState.of(request).database
    # The map and continuity scan every event: cached until the data changes.
    journey = cached(database, "journey_map", (), lambda: load_journey_map(database))
    summary = stage_summary(database)
    continuity = cached(database, "continuity", (), lambda: compute_continuity(database))
    blueprint = service_blueprint(database)
    months = sorted({t.month for t in summary.transitions})[-12:]
    transitions_chart = {
        "kind": "stacked",
        "periods": months,
        "series": [
            {
                "name": stage,
                "values": [
                    sum(
                        t.profiles
                        for t in summary.transitions
                        if t.month == m and t.to_stage == stage
                    )
                    for m in months
                ],
            }
            for stage in journey.stages
        ],
    }
    return _render(
        request,
        "journeys_map.html",
        {
            "journey": journey,
            "totals": journey.stage_totals(),
            "summary": summary,
            "continuity": continuity,
            "blueprint": blueprint,
            "transitions_chart": transitions_chart,
        },
    )
