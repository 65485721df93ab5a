"""Dashboard pages of the metrics stage: KPI detail, key drivers, CX ROI.

The KPI Overview itself is ``/`` in ``web/pages.py``. Thin routes: parse the
query, call ``cxm.metrics``, render; charts get their data as embedded JSON for
``static/metrics.js`` (the pages send a strict CSP, so no inline script).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from cxm.api.errors import ApiError
from cxm.auth import scopes
from cxm.auth.deps import RequirePage
from cxm.auth.principal import Principal
from cxm.metrics import catalogue
from cxm.metrics.dashboard import format_value
from cxm.metrics.dimensions import DIMENSIONS, table_set
from cxm.metrics.query import KpiQuery, QueryError
from cxm.metrics.request import build_query
from cxm.store import Database
from cxm.web.templating import templates

router = APIRouter(include_in_schema=False)
AnalyticsPage = Annotated[Principal, Depends(RequirePage(scopes.ANALYTICS_READ))]
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def query_or_400(
    database: Database,
    start: str | None,
    end: str | None,
    grain: str | None,
    by: str | None,
    filters: Iterable[tuple[str, str]] = (),
    default_days: int = 90,
) -> KpiQuery:
    try:
        return build_query(database, start, end, grain, by, filters, default_days)
    except QueryError as error:
        raise ApiError(400, "invalid_query", error.field, error.reason) from None


def _last_day(query: KpiQuery) -> str:
    return (query.end - timedelta(microseconds=1)).date().isoformat()


def _render(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context)
    response.headers["Content-Security-Policy"] = CSP
    return response


@router.get("/metrics", response_class=HTMLResponse)
def kpi_page(
    request: Request,
    _: AnalyticsPage,
    kpi: Annotated[str, Query(description="KPI id.")] = "nps",
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    grain: Annotated[str | None, Query()] = None,
    by: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    database = _database(request)
    if kpi not in catalogue.CATALOGUE:
        raise ApiError(404, "not_found", "kpi", f"{kpi!r} is not in the catalogue")
    definition = catalogue.get(kpi)
    tables = table_set(database)
    dimensions = definition.dimensions(tables)
    if by is None and dimensions:
        by = dimensions[0]
    query = query_or_400(database, start, end, grain, by or None)
    try:
        result = catalogue.report(database, kpi, query).as_dict()
    except QueryError as error:
        raise ApiError(400, "invalid_query", error.field, error.reason) from None
    unit = definition.unit
    chart = {
        "periods": [p["period"] for p in result["series"]],
        "values": [p["value"] for p in result["series"]],
        "low": [p["low"] for p in result["series"]],
        "high": [p["high"] for p in result["series"]],
        "unit": unit,
    }
    breakdown = {
        "groups": [g["group"] for g in result["breakdown"][:20]],
        "values": [g["value"] for g in result["breakdown"][:20]],
        "unit": unit,
    }
    return _render(
        request,
        "metrics_kpi.html",
        {
            "kpis": catalogue.KPIS,
            "kpi": definition,
            "result": result,
            "fmt": lambda v: format_value(v, unit),
            "dimensions": [(d, DIMENSIONS[d]) for d in dimensions],
            "query": query,
            "last_day": _last_day(query),
            "chart": chart,
            "breakdown_chart": breakdown,
        },
    )


@router.get("/drivers", response_class=HTMLResponse)
def drivers_page(
    request: Request,
    _: AnalyticsPage,
    outcome: Annotated[str, Query(description="nps or csat.")] = "nps",
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> HTMLResponse:
    from cxm.metrics.drivers import key_drivers

    database = _database(request)
    if outcome not in ("nps", "csat"):
        raise ApiError(400, "invalid_query", "outcome", "must be nps or csat")
    # drivers need many answers: a year by default
    query = query_or_400(database, start, end, "month", None, default_days=365)
    analysis = key_drivers(database, outcome, query.start, query.end)  # type: ignore[arg-type]
    data = analysis.as_dict()
    chart = {
        "points": [
            {
                "name": d["name"],
                "performance": d["performance"],
                "importance": d["share"],
                "significant": d["significant"],
            }
            for d in data["drivers"]
        ],
    }
    return _render(
        request,
        "metrics_drivers.html",
        {
            "analysis": data,
            "outcome": outcome,
            "query": query,
            "last_day": _last_day(query),
            "chart": chart,
        },
    )


@router.get("/roi", response_class=HTMLResponse)
def roi_page(
    request: Request,
    _: AnalyticsPage,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> HTMLResponse:
    from cxm.metrics.roi import cx_roi

    database = _database(request)
    query = query_or_400(database, start, end, "month", None)
    report = cx_roi(database, query.start, query.end).as_dict()
    chart = {
        "groups": [g["group"] for g in report["by_nps_group"]],
        "spend": [g["spend_per_customer"] for g in report["by_nps_group"]],
        "clv": [g["clv_historical"] for g in report["by_nps_group"]],
        "retention": [g["retention"] for g in report["by_nps_group"]],
    }
    return _render(
        request,
        "metrics_roi.html",
        {"report": report, "query": query, "last_day": _last_day(query), "chart": chart},
    )
