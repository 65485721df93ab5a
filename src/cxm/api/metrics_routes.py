"""HTTP API of the metrics stage (thin: parse, call the package, shape the reply).

``GET /v1/metrics`` lists the KPI catalogue; ``GET /v1/metrics/{kpi}`` computes one
KPI for ``from``/``to``/``grain``/``by`` and any dimension as an equality filter
(``?channel=web``). Aggregates only: no person is identifiable in a reply, so
these reads are not audited as personal-data access.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from cxm.api.errors import ApiError
from cxm.api.responses import FastJSONResponse
from cxm.api.state import AppState
from cxm.auth.deps import AnalyticsRead
from cxm.metrics import catalogue
from cxm.metrics.dimensions import DIMENSIONS, table_set
from cxm.metrics.query import QueryError
from cxm.metrics.request import build_query

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad parameter; `field` names it (from, to, grain, by, a filter)."},
    401: {"description": "No API key or session."},
    403: {"description": "The caller lacks `analytics:read`."},
    404: {"description": "No such KPI (`field`: kpi)."},
}


@router.get("", responses=_ERRORS, summary="The KPI catalogue: every KPI and its definition.")
def list_kpis(request: Request, who: AnalyticsRead) -> FastJSONResponse:
    tables = table_set(AppState.of(request).database)
    return FastJSONResponse(
        {
            "kpis": [k.as_dict(tables) for k in catalogue.KPIS],
            "dimensions": DIMENSIONS,
        }
    )


@router.get(
    "/{kpi}",
    responses=_ERRORS,
    summary="One KPI: period value with interval, previous period, change, series, breakdown.",
)
def show_kpi(
    request: Request,
    who: AnalyticsRead,
    kpi: str,
    start: Annotated[str | None, Query(alias="from", description="First day (YYYY-MM-DD).")] = None,
    end: Annotated[
        str | None, Query(alias="to", description="Last day, included (YYYY-MM-DD).")
    ] = None,
    grain: Annotated[str | None, Query(description="day, week or month.")] = None,
    by: Annotated[str | None, Query(description="Breakdown dimension.")] = None,
) -> FastJSONResponse:
    if kpi not in catalogue.CATALOGUE:
        raise ApiError(404, "not_found", "kpi", f"{kpi!r} is not in the catalogue")
    database = AppState.of(request).database
    filters = [(k, v) for k, v in request.query_params.items() if k in DIMENSIONS]
    unknown = [
        k
        for k in request.query_params
        if k not in DIMENSIONS and k not in {"from", "to", "grain", "by"}
    ]
    if unknown:
        raise ApiError(400, "invalid_query", unknown[0], "unknown parameter")
    try:
        query = build_query(database, start, end, grain, by, filters)
        result = catalogue.report(database, kpi, query)
    except QueryError as error:
        raise ApiError(400, "invalid_query", error.field, error.reason) from None
    return FastJSONResponse(result.as_dict())
