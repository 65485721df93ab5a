"""Dashboard pages of the engage stage: the segment builder and the journeys.

``/segments`` lists segments and has the builder (conditions as JSON, a live count
fetched from ``/segments/preview`` by ``static/engage.js`` — the form also works
without JavaScript); ``/segments/{id}`` shows counts over time and members;
``/engage`` lists journeys with the builder; ``/engage/{id}`` is a journey's report
with the uplift against its holdout. Reading needs ``analytics:read``; creating or
changing needs ``segments:write``; member lists need ``profiles:read`` and are audited.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from cxm.api.state import AppState
from cxm.auth import scopes as s
from cxm.auth.audit import OK
from cxm.auth.deps import RequirePage, audit
from cxm.auth.principal import Principal
from cxm.engage import journeys as jn
from cxm.engage import segments as sg
from cxm.engage.engine import Engine
from cxm.engage.report import journey_report
from cxm.store import Database
from cxm.web.responses import csrf_ok as _csrf_ok
from cxm.web.responses import render_page as _render

router = APIRouter(include_in_schema=False)
AnalyticsPage = Annotated[Principal, Depends(RequirePage(s.ANALYTICS_READ))]
SegmentsPage = Annotated[Principal, Depends(RequirePage(s.SEGMENTS_WRITE))]

EXAMPLE_CONDITIONS: dict[str, Any] = {
    "and": [
        {"event": "Order Completed", "within_days": 90},
        {"consent": "marketing", "channel": "email"},
    ]
}
EXAMPLE_JOURNEY: dict[str, Any] = {
    "trigger": {"event": "Checkout Started"},
    "holdout_percent": 10,
    "goal": {"event": "Order Completed", "within_hours": 24},
    "reentry": {"after_days": 7},
    "steps": [
        {
            "type": "wait_event",
            "event": "Order Completed",
            "timeout_minutes": 60,
            "timeout": [
                {
                    "type": "action",
                    "action": "email",
                    "templates": {
                        "en": {"subject": "Your basket is waiting", "body": "Hi $first_name"}
                    },
                }
            ],
        }
    ],
}


def _pretty(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def _db(request: Request) -> Database:
    return AppState.of(request).database


def _segments_page(
    request: Request, name: str, conditions: str, error: str | None, status: int = 200
) -> Response:
    return _render(
        request,
        "engage_segments.html",
        {
            "segments": sg.list_segments(_db(request)),
            "name": name,
            "conditions": conditions,
            "error": error,
        },
        status,
    )


@router.get("/segments", response_class=HTMLResponse, name="segments")
def segments_page(request: Request, who: AnalyticsPage) -> Response:
    return _segments_page(request, "", _pretty(EXAMPLE_CONDITIONS), None)


@router.get("/segments/preview")
def segments_preview(
    request: Request, who: AnalyticsPage, conditions: Annotated[str, Query()] = ""
) -> Response:
    """The builder's live count (JSON)."""
    try:
        parsed = orjson.loads(conditions)
    except orjson.JSONDecodeError as error:
        return JSONResponse(
            {"error": "invalid_json", "field": "conditions", "reason": f"not JSON: {error}"}, 400
        )
    try:
        count, notes = sg.preview_count(_db(request), parsed)
    except sg.SegmentError as error:
        return JSONResponse(
            {"error": "invalid_input", "field": error.field, "reason": error.reason}, 400
        )
    return JSONResponse({"count": count, "notes": notes})


@router.post("/segments", response_class=HTMLResponse)
def segments_create(
    request: Request,
    who: SegmentsPage,
    name: Annotated[str, Form()] = "",
    conditions: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not _csrf_ok(request, csrf):
        return _segments_page(request, name, conditions, "csrf: reload the page", 403)
    try:
        parsed = orjson.loads(conditions)
    except orjson.JSONDecodeError as error:
        return _segments_page(request, name, conditions, f"conditions: not JSON ({error})", 400)
    database = _db(request)
    try:
        segment = sg.create_segment(database, name, parsed)
        _, changes = sg.recompute(database, segment.segment_id)
    except sg.SegmentError as error:
        return _segments_page(request, name, conditions, f"{error.field}: {error.reason}", 400)
    Engine(database).handle_segment_changes(changes)
    return RedirectResponse(f"/segments/{segment.segment_id}", status_code=303)


@router.get("/segments/{key}", response_class=HTMLResponse, name="segment")
def segment_page(request: Request, who: AnalyticsPage, key: str) -> Response:
    database = _db(request)
    try:
        segment = sg.get_segment(database, key)
    except sg.SegmentError as error:
        return _render(request, "engage_missing.html", {"what": error.reason}, 404)
    members: list[dict[str, Any]] | None = None
    if who.may(s.PROFILES_READ):
        _, members = sg.members(database, segment.segment_id, 50)
        audit(request, "segment.members", None, OK)
    return _render(
        request,
        "engage_segment.html",
        {
            "segment": segment,
            "conditions": _pretty(segment.conditions),
            "counts": sg.counts(database, segment.segment_id),
            "members": members,
        },
    )


def _journeys_page(
    request: Request, name: str, definition: str, error: str | None, status: int = 200
) -> Response:
    database = _db(request)
    rows = []
    for journey in jn.list_journeys(database):
        entries = database.scalar(
            "SELECT count(*) FROM journey_runs WHERE journey_id = ?", [journey.journey_id]
        )
        rows.append({"journey": journey, "entries": int(entries or 0)})
    return _render(
        request,
        "engage_journeys.html",
        {"journeys": rows, "name": name, "definition": definition, "error": error},
        status,
    )


@router.get("/engage", response_class=HTMLResponse, name="engage")
def journeys_page(request: Request, who: AnalyticsPage) -> Response:
    return _journeys_page(request, "", _pretty(EXAMPLE_JOURNEY), None)


@router.post("/engage", response_class=HTMLResponse)
def journeys_create(
    request: Request,
    who: SegmentsPage,
    name: Annotated[str, Form()] = "",
    definition: Annotated[str, Form()] = "",
    activate: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not _csrf_ok(request, csrf):
        return _journeys_page(request, name, definition, "csrf: reload the page", 403)
    try:
        parsed = orjson.loads(definition)
    except orjson.JSONDecodeError as error:
        return _journeys_page(request, name, definition, f"definition: not JSON ({error})", 400)
    try:
        journey = jn.create_journey(_db(request), name, parsed, "active" if activate else "draft")
    except jn.JourneyError as error:
        return _journeys_page(request, name, definition, f"{error.field}: {error.reason}", 400)
    return RedirectResponse(f"/engage/{journey.journey_id}", status_code=303)


@router.get("/engage/{key}", response_class=HTMLResponse, name="journey_report")
def journey_page(request: Request, who: AnalyticsPage, key: str) -> Response:
    database = _db(request)
    try:
        report = journey_report(database, key)
        journey = jn.get_journey(database, key)
    except jn.JourneyError as error:
        return _render(request, "engage_missing.html", {"what": error.reason}, 404)
    return _render(
        request,
        "engage_report.html",
        {"report": report, "journey": journey, "definition": _pretty(journey.definition)},
    )


@router.post("/engage/{key}/status", response_class=HTMLResponse)
def journey_status(
    request: Request,
    who: SegmentsPage,
    key: str,
    status: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not _csrf_ok(request, csrf):
        return _render(request, "engage_missing.html", {"what": "csrf: reload the page"}, 403)
    try:
        journey = jn.set_status(_db(request), key, status)
    except jn.JourneyError as error:
        return _render(request, "engage_missing.html", {"what": error.reason}, error.status)
    return RedirectResponse(f"/engage/{journey.journey_id}", status_code=303)
