"""HTTP API of the engage stage (thin: parse, call the package, shape the reply).

Managing segments and journeys needs ``segments:write``; counts and reports need
``analytics:read``. Member lists and exports name profiles, so they are audited.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cxm.api.errors import ApiError
from cxm.api.responses import FastJSONResponse
from cxm.api.state import AppState
from cxm.auth.audit import OK
from cxm.auth.deps import AnalyticsRead, SegmentsWrite, audit
from cxm.engage import journeys as jn
from cxm.engage import segments as sg
from cxm.engage.engine import Engine
from cxm.engage.outbox import OUTBOX_STATUSES, outbox_rows, outbox_status
from cxm.engage.outcomes import OutcomeError, record_outcome
from cxm.engage.report import journey_report

router = APIRouter(tags=["engage"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad input; `field` names it (e.g. `conditions.and[1].event`)."},
    401: {"description": "No API key or session."},
    403: {"description": "The caller lacks the scope."},
    404: {"description": "Unknown segment, journey or message."},
    409: {"description": "The name exists already."},
}


class SegmentIn(BaseModel):
    name: str = Field(description="Unique name.")
    conditions: Any = Field(description="Condition JSON (see docs/engage.md).")
    description: str | None = None


class SegmentUpdate(BaseModel):
    conditions: Any = None
    description: str | None = None


class PreviewIn(BaseModel):
    conditions: Any = Field(description="Condition JSON to count without saving.")


class JourneyIn(BaseModel):
    name: str
    definition: Any = Field(description="Journey definition JSON (see docs/engage.md).")
    status: str = "draft"


class JourneyUpdate(BaseModel):
    definition: Any


class OutcomeIn(BaseModel):
    message_id: str = Field(description="Outbox message id or its idempotency key.")
    outcome: str = Field(description="delivered, opened, clicked, replied, bounced, …")
    at: datetime | None = None
    properties: dict[str, Any] | None = None


def _db(request: Request) -> Any:
    return AppState.of(request).database


def _fail(error: sg.SegmentError | jn.JourneyError | OutcomeError) -> ApiError:
    code = {404: "not_found", 409: "conflict"}.get(error.status, "invalid_input")
    return ApiError(error.status, code, error.field, error.reason)


# -- segments ------------------------------------------------------------------------------
@router.get("/v1/segments", responses=_ERRORS, summary="All segments with member counts.")
def list_segments(request: Request, who: AnalyticsRead) -> FastJSONResponse:
    return FastJSONResponse({"segments": sg.list_segments(_db(request))})


@router.post("/v1/segments", responses=_ERRORS, status_code=201, summary="Create a segment.")
def create_segment(request: Request, who: SegmentsWrite, body: SegmentIn) -> FastJSONResponse:
    database = _db(request)
    try:
        segment = sg.create_segment(database, body.name, body.conditions, body.description)
        result, changes = sg.recompute(database, segment.segment_id)
    except sg.SegmentError as error:
        raise _fail(error) from None
    Engine(database).handle_segment_changes(changes)
    return FastJSONResponse(
        {"segment": sg.get_segment(database, segment.segment_id), "recompute": result},
        status_code=201,
    )


@router.post("/v1/segments/preview", responses=_ERRORS, summary="Count matches, save nothing.")
def preview(request: Request, who: AnalyticsRead, body: PreviewIn) -> FastJSONResponse:
    try:
        count, notes = sg.preview_count(_db(request), body.conditions)
    except sg.SegmentError as error:
        raise _fail(error) from None
    return FastJSONResponse({"count": count, "notes": notes})


@router.get("/v1/segments/{key}", responses=_ERRORS, summary="One segment by id or name.")
def show_segment(request: Request, who: AnalyticsRead, key: str) -> FastJSONResponse:
    try:
        return FastJSONResponse({"segment": sg.get_segment(_db(request), key)})
    except sg.SegmentError as error:
        raise _fail(error) from None


@router.put("/v1/segments/{key}", responses=_ERRORS, summary="Change conditions/description.")
def update_segment(
    request: Request, who: SegmentsWrite, key: str, body: SegmentUpdate
) -> FastJSONResponse:
    database = _db(request)
    try:
        segment = sg.update_segment(database, key, body.conditions, body.description)
        result, changes = sg.recompute(database, segment.segment_id)
    except sg.SegmentError as error:
        raise _fail(error) from None
    Engine(database).handle_segment_changes(changes)
    return FastJSONResponse({"segment": sg.get_segment(database, key), "recompute": result})


@router.delete("/v1/segments/{key}", responses=_ERRORS, status_code=204)
def delete_segment(request: Request, who: SegmentsWrite, key: str) -> Response:
    try:
        sg.delete_segment(_db(request), key)
    except sg.SegmentError as error:
        raise _fail(error) from None
    return Response(status_code=204)


@router.post("/v1/segments/{key}/recompute", responses=_ERRORS, summary="Full recompute now.")
def recompute(request: Request, who: SegmentsWrite, key: str) -> FastJSONResponse:
    database = _db(request)
    try:
        result, changes = sg.recompute(database, key)
    except sg.SegmentError as error:
        raise _fail(error) from None
    Engine(database).handle_segment_changes(changes)
    return FastJSONResponse({"recompute": result})


@router.get("/v1/segments/{key}/members", responses=_ERRORS, summary="Member profile ids.")
def members(
    request: Request,
    who: SegmentsWrite,
    key: str,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> FastJSONResponse:
    try:
        segment, rows = sg.members(_db(request), key, limit, offset)
    except sg.SegmentError as error:
        raise _fail(error) from None
    audit(request, "segment.members", None, OK)
    return FastJSONResponse({"segment_id": segment.segment_id, "members": rows})


@router.get("/v1/segments/{key}/counts", responses=_ERRORS, summary="Member counts over time.")
def counts(request: Request, who: AnalyticsRead, key: str) -> FastJSONResponse:
    try:
        return FastJSONResponse({"counts": sg.counts(_db(request), key)})
    except sg.SegmentError as error:
        raise _fail(error) from None


@router.get("/v1/segments/{key}/export", responses=_ERRORS, summary="Members as CSV.")
def export(request: Request, who: SegmentsWrite, key: str) -> Response:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "members.csv"
        try:
            sg.export_csv(_db(request), key, out)
        except sg.SegmentError as error:
            raise _fail(error) from None
        text = out.read_bytes()
    audit(request, "segment.export", None, OK)
    return Response(text, media_type="text/csv; charset=utf-8")


# -- journeys ------------------------------------------------------------------------------
@router.get("/v1/engage/journeys", responses=_ERRORS, summary="All triggered journeys.")
def list_journeys(request: Request, who: AnalyticsRead) -> FastJSONResponse:
    return FastJSONResponse({"journeys": jn.list_journeys(_db(request))})


@router.post("/v1/engage/journeys", responses=_ERRORS, status_code=201)
def create_journey(request: Request, who: SegmentsWrite, body: JourneyIn) -> FastJSONResponse:
    try:
        journey = jn.create_journey(_db(request), body.name, body.definition, body.status)
    except jn.JourneyError as error:
        raise _fail(error) from None
    return FastJSONResponse({"journey": journey}, status_code=201)


@router.get("/v1/engage/journeys/{key}", responses=_ERRORS)
def show_journey(request: Request, who: AnalyticsRead, key: str) -> FastJSONResponse:
    try:
        return FastJSONResponse({"journey": jn.get_journey(_db(request), key)})
    except jn.JourneyError as error:
        raise _fail(error) from None


@router.put("/v1/engage/journeys/{key}", responses=_ERRORS)
def update_journey(
    request: Request, who: SegmentsWrite, key: str, body: JourneyUpdate
) -> FastJSONResponse:
    try:
        return FastJSONResponse({"journey": jn.update_journey(_db(request), key, body.definition)})
    except jn.JourneyError as error:
        raise _fail(error) from None


@router.delete("/v1/engage/journeys/{key}", responses=_ERRORS, status_code=204)
def delete_journey(request: Request, who: SegmentsWrite, key: str) -> Response:
    try:
        jn.delete_journey(_db(request), key)
    except jn.JourneyError as error:
        raise _fail(error) from None
    return Response(status_code=204)


@router.post("/v1/engage/journeys/{key}/activate", responses=_ERRORS)
def activate(request: Request, who: SegmentsWrite, key: str) -> FastJSONResponse:
    try:
        return FastJSONResponse({"journey": jn.set_status(_db(request), key, "active")})
    except jn.JourneyError as error:
        raise _fail(error) from None


@router.post("/v1/engage/journeys/{key}/pause", responses=_ERRORS)
def pause(request: Request, who: SegmentsWrite, key: str) -> FastJSONResponse:
    try:
        return FastJSONResponse({"journey": jn.set_status(_db(request), key, "paused")})
    except jn.JourneyError as error:
        raise _fail(error) from None


@router.get("/v1/engage/journeys/{key}/report", responses=_ERRORS, summary="Uplift report.")
def report(request: Request, who: AnalyticsRead, key: str) -> FastJSONResponse:
    try:
        return FastJSONResponse({"report": journey_report(_db(request), key)})
    except jn.JourneyError as error:
        raise _fail(error) from None


# -- outbox and outcomes -------------------------------------------------------------------
@router.get("/v1/engage/outbox", responses=_ERRORS, summary="Outbox counts and recent rows.")
def outbox(
    request: Request,
    who: SegmentsWrite,
    status: Annotated[str | None, Query(description="Filter by status.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> FastJSONResponse:
    if status is not None and status not in OUTBOX_STATUSES:
        raise ApiError(
            400, "invalid_query", "status", f"must be one of {', '.join(OUTBOX_STATUSES)}"
        )
    database = _db(request)
    audit(request, "engage.outbox", None, OK)
    return FastJSONResponse(
        {"counts": outbox_status(database), "rows": outbox_rows(database, status, limit)}
    )


@router.post("/v1/engage/outcomes", responses=_ERRORS, summary="Report opened/clicked/…")
def outcomes(request: Request, who: SegmentsWrite, body: OutcomeIn) -> FastJSONResponse:
    try:
        stored = record_outcome(
            _db(request), body.message_id, body.outcome, body.at, body.properties
        )
    except OutcomeError as error:
        raise _fail(error) from None
    audit(request, "engage.outcome", stored["profile_id"], OK)
    return FastJSONResponse(stored)
