"""HTTP API of the journeys stage (thin: parse, call the package, shape the reply).

Aggregates only (counts and rates over persons), so ``analytics:read`` suffices and
no personal-data access is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request

from cxm.api.errors import ApiError
from cxm.api.responses import FastJSONResponse
from cxm.api.state import AppState
from cxm.auth.deps import AnalyticsRead
from cxm.journeys.errors import JourneyQueryError
from cxm.journeys.queries import (
    funnel_json,
    funnel_query,
    paths_json,
    paths_query,
    retention_json,
    retention_query,
)
from cxm.store import Database

router = APIRouter(prefix="/v1/journeys", tags=["journeys"])
T = TypeVar("T")

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad parameter; `field` names it."},
    401: {"description": "No API key or session."},
    403: {"description": "The caller lacks `analytics:read`."},
}

From = Annotated[
    str | None, Query(alias="from", description="ISO date/time (UTC) the range starts.")
]
To = Annotated[str | None, Query(alias="to", description="ISO date (inclusive) or time it ends.")]


def _answer(
    request: Request, work: Callable[[Database], T], shape: Callable[[T], Any]
) -> FastJSONResponse:
    try:
        result = work(AppState.of(request).database)
    except JourneyQueryError as error:
        raise ApiError(400, "invalid_query", error.field, error.reason) from None
    return FastJSONResponse(shape(result))


@router.get("/funnel", responses=_ERRORS, summary="Funnel conversion through ordered steps.")
def funnel(
    request: Request,
    who: AnalyticsRead,
    steps: Annotated[str, Query(description="Comma-separated event names, 2–10: 'A,B,C'.")],
    window: Annotated[str, Query(description="Conversion window: 14d, 12h, 30m, 2w.")] = "14d",
    order: Annotated[str, Query(description="sequential | strict | any.")] = "sequential",
    by: Annotated[
        str | None,
        Query(description="day | week (trend), or a breakdown dimension (channel, country…)."),
    ] = None,
    start: From = None,
    end: To = None,
) -> FastJSONResponse:
    return _answer(
        request,
        lambda db: funnel_query(db, steps, window, order, by, start, end),
        funnel_json,
    )


@router.get("/retention", responses=_ERRORS, summary="First-time cohort retention table.")
def retention(
    request: Request,
    who: AnalyticsRead,
    start_event: Annotated[str, Query(description="Event that puts a person in a cohort.")],
    return_event: Annotated[str, Query(description="Event that counts as a return.")],
    period: Annotated[str, Query(description="day | week | month.")] = "week",
    periods: Annotated[int | None, Query(description="Periods per cohort (1–120).")] = None,
    start: From = None,
    end: To = None,
) -> FastJSONResponse:
    return _answer(
        request,
        lambda db: retention_query(db, start_event, return_event, period, periods, start, end),
        retention_json,
    )


@router.get("/paths", responses=_ERRORS, summary="Top paths after or before an event.")
def paths(
    request: Request,
    who: AnalyticsRead,
    event: Annotated[str, Query(description="The event paths start (or end) at.")],
    direction: Annotated[str, Query(description="after | before.")] = "after",
    depth: Annotated[int, Query(description="Steps to follow (1–10).")] = 4,
    start: From = None,
    end: To = None,
) -> FastJSONResponse:
    return _answer(
        request,
        lambda db: paths_query(db, event, direction, depth, start, end),
        paths_json,
    )


@router.get("/stages", responses=_ERRORS, summary="Profiles per lifecycle stage and transitions.")
def stages(request: Request, who: AnalyticsRead) -> FastJSONResponse:
    from dataclasses import asdict

    from cxm.journeys.stages import stage_summary

    return _answer(request, stage_summary, asdict)


@router.get(
    "/map",
    responses=_ERRORS,
    summary="Journey map: stages x touchpoints, pain points, continuity, service blueprint.",
)
def journey_map(request: Request, who: AnalyticsRead) -> FastJSONResponse:
    from cxm.journeys.queries import journey_map_json

    return _answer(request, journey_map_json, lambda body: body)
