"""Dashboard page routes. Thin: parse the request, call a package facade, render."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from cxm.auth.deps import SignedIn
from cxm.collect.overview import DailyCounts, load_overview
from cxm.store import Database
from cxm.web.templating import templates

router = APIRouter(include_in_schema=False)

# Pages load only their own scripts and styles; nothing from another origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def chart_data(counts: DailyCounts) -> dict[str, Any]:
    """The JSON a page embeds for ``static/charts.js`` to draw a stacked daily chart."""
    return {
        "days": [day.isoformat() for day in counts.days],
        "series": [{"name": name, "values": list(values)} for name, values in counts.series],
        "basis": counts.basis,
    }


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


@router.get("/", response_class=HTMLResponse, name="overview")
def kpi_overview_page(
    request: Request,
    _: SignedIn,
    start: Annotated[str | None, Query(alias="from", description="First day.")] = None,
    end: Annotated[str | None, Query(alias="to", description="Last day, included.")] = None,
    grain: Annotated[str | None, Query(description="day, week or month.")] = None,
    channel: Annotated[str | None, Query(description="Touchpoint channel filter.")] = None,
    country: Annotated[str | None, Query(description="Country filter.")] = None,
) -> HTMLResponse:
    """The KPI Overview: every KPI of the catalogue with its trend (metrics package)."""
    from cxm.metrics.dashboard import filter_options, overview_cards
    from cxm.web.metrics_pages import query_or_400

    database = _database(request)
    filters = [("channel", channel or ""), ("country", country or "")]
    query = query_or_400(database, start, end, grain, None, filters)
    has_data = bool(database.scalar("SELECT count(*) FROM orders")) or bool(
        database.scalar("SELECT count(*) FROM tickets")
    )
    response = templates.TemplateResponse(
        request,
        "metrics_overview.html",
        {
            "has_data": has_data,
            "cards": overview_cards(database, query) if has_data else [],
            "query": query,
            "last_day": query_last_day(query),
            "options": filter_options(database) if has_data else {},
            "chosen": dict(query.filters),
        },
    )
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def query_last_day(query: Any) -> str:
    from datetime import timedelta

    return str((query.end - timedelta(microseconds=1)).date().isoformat())


@router.get("/sources", response_class=HTMLResponse, name="sources")
def overview_page(
    request: Request,
    _: SignedIn,
    days: Annotated[int, Query(ge=1, le=366, description="Days of history to chart.")] = 30,
) -> HTMLResponse:
    overview = load_overview(_database(request), days)
    response = templates.TemplateResponse(
        request,
        "overview.html",
        {
            "overview": overview,
            "days": days,
            "channel_chart": chart_data(overview.events_by_channel),
            "traffic_chart": chart_data(overview.events_by_traffic_channel),
            "base_url": str(request.base_url).rstrip("/"),
        },
    )
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response
