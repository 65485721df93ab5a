"""HTTP API of the voc stage (thin: parse, call the package, shape the reply).

Surveys, triggers and invitations, responses and results, closed-loop cases.
``voc:write`` manages surveys and works cases; ``analytics:read`` reads aggregate
results. Errors are ``{"error", "field", "reason"}`` naming the JSON path.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from cxm.api.body import read_json_body
from cxm.api.errors import ApiError
from cxm.api.responses import FastJSONResponse
from cxm.api.state import AppState
from cxm.auth import scopes as s
from cxm.auth.audit import OK, identifier_subject
from cxm.auth.deps import AnalyticsRead, RequireScope, audit
from cxm.auth.principal import Principal
from cxm.store import Database
from cxm.voc.cases import get_case, list_cases, open_case, sla_report, update_case
from cxm.voc.invitations import invite, link_for, list_invitations
from cxm.voc.model import SurveyError
from cxm.voc.reports import (
    ReportError,
    ces_by,
    ces_json,
    compare_periods,
    comparison_json,
    csat_by,
    kano_report,
    nps_by,
    nps_json,
    rate_json,
    response_counts,
    versus_rest,
)
from cxm.voc.responses import parse_submission, submit_response
from cxm.voc.surveys import create_survey, list_surveys, require_survey, set_status, update_survey
from cxm.voc.triggers import create_trigger, list_triggers, run_triggers

router = APIRouter(prefix="/v1", tags=["voc"])
VocWrite = Annotated[Principal, Depends(RequireScope(s.VOC_WRITE))]
BODY_LIMIT = 256 * 1024
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad input: `{error, field, reason}` names the field."},
    404: {"description": "Unknown survey, case or person."},
    409: {"description": "Already answered / not live / exists."},
}


def _error(error: SurveyError | ReportError) -> ApiError:
    status = getattr(error, "status", 400)
    code = {404: "not_found", 409: "conflict", 410: "gone"}.get(status, "invalid_input")
    return ApiError(status, code, error.field, error.reason)


def _db(request: Request) -> Database:
    return AppState.of(request).database


async def _body(request: Request) -> Any:
    return await read_json_body(request, BODY_LIMIT)


@router.post("/surveys", status_code=201, responses=_ERRORS, summary="Create a survey.")
async def post_survey(request: Request, who: VocWrite) -> FastJSONResponse:
    body = await _body(request)
    try:
        survey = create_survey(_db(request), body, status=_status_of(body))
    except SurveyError as error:
        raise _error(error) from error
    return FastJSONResponse(survey.summary(), status_code=201)


def _status_of(body: Any) -> str:
    status = body.get("status", "live") if isinstance(body, dict) else "live"
    return status if isinstance(status, str) else ""


@router.get("/surveys", summary="List surveys.")
def get_surveys(request: Request, who: AnalyticsRead) -> FastJSONResponse:
    return FastJSONResponse({"surveys": [x.summary() for x in list_surveys(_db(request))]})


@router.get("/surveys/{survey_id}", responses=_ERRORS, summary="A survey and its definition.")
def get_survey_route(request: Request, who: AnalyticsRead, survey_id: str) -> FastJSONResponse:
    try:
        survey = require_survey(_db(request), survey_id)
    except SurveyError as error:
        raise _error(error) from error
    return FastJSONResponse({**survey.summary(), "definition": dict(survey.definition.raw)})


@router.put("/surveys/{survey_id}", responses=_ERRORS, summary="New content: creates version n+1.")
async def put_survey(request: Request, who: VocWrite, survey_id: str) -> FastJSONResponse:
    body = await _body(request)
    try:
        survey = update_survey(_db(request), survey_id, body)
    except SurveyError as error:
        raise _error(error) from error
    return FastJSONResponse(survey.summary())


@router.post(
    "/surveys/{survey_id}/status", responses=_ERRORS, summary="Set draft / live / archived."
)
async def post_status(request: Request, who: VocWrite, survey_id: str) -> FastJSONResponse:
    body = await _body(request)
    try:
        survey = set_status(_db(request), survey_id, _status_of(body))
    except SurveyError as error:
        raise _error(error) from error
    return FastJSONResponse(survey.summary())


@router.post(
    "/surveys/{survey_id}/responses",
    status_code=201,
    responses=_ERRORS,
    summary="Submit answers (partial with complete=false; one response per token).",
)
async def post_response(request: Request, who: VocWrite, survey_id: str) -> FastJSONResponse:
    body = await _body(request)
    try:
        submission = parse_submission(body)
        result = submit_response(_db(request), survey_id, submission)
    except SurveyError as error:
        raise _error(error) from error
    if result.profile_id:
        audit(request, "survey.response", result.profile_id, OK)
    return FastJSONResponse(result.as_json(), status_code=201)


@router.get("/surveys/{survey_id}/results", responses=_ERRORS, summary="Scores with margins.")
def get_results(
    request: Request,
    who: AnalyticsRead,
    survey_id: str,
    by: Annotated[str | None, Query(description="touchpoint|channel|language|month")] = None,
    split: Annotated[
        date | None, Query(description="Compare NPS before vs from this date.")
    ] = None,
) -> FastJSONResponse:
    database = _db(request)
    try:
        require_survey(database, survey_id)
        groups = nps_by(database, survey_id, by)
        tests = versus_rest(groups) if by else {}
        periods = (
            compare_periods(
                database, survey_id, datetime(split.year, split.month, split.day, tzinfo=UTC)
            )
            if split
            else None
        )
        body = {
            "survey_id": survey_id,
            "responses": response_counts(database, survey_id),
            "nps": {
                g: {**nps_json(r), **({"vs_rest": comparison_json(tests[g])} if g in tests else {})}
                for g, r in groups.items()
            },
            "periods": {
                "before": nps_json(periods[0]),
                "from": nps_json(periods[1]),
                "change": comparison_json(periods[2]),
            }
            if periods
            else None,
            "csat": {g: rate_json(r) for g, r in csat_by(database, survey_id, by).items()},
            "ces": {g: ces_json(r) for g, r in ces_by(database, survey_id, by).items()},
            "kano": [f.as_json() for f in kano_report(database, survey_id)],
            "cases": sla_report(database, survey_id=survey_id).as_json(),
        }
    except (SurveyError, ReportError) as error:
        raise _error(error) from error
    return FastJSONResponse(body)


@router.post(
    "/surveys/{survey_id}/triggers", status_code=201, responses=_ERRORS, summary="Add a trigger."
)
async def post_trigger(request: Request, who: VocWrite, survey_id: str) -> FastJSONResponse:
    body = await _body(request)
    try:
        trigger = create_trigger(_db(request), survey_id, body)
    except SurveyError as error:
        raise _error(error) from error
    return FastJSONResponse(trigger.as_json(), status_code=201)


@router.get("/surveys/{survey_id}/triggers", summary="A survey's triggers.")
def get_triggers(request: Request, who: VocWrite, survey_id: str) -> FastJSONResponse:
    return FastJSONResponse(
        {"triggers": [t.as_json() for t in list_triggers(_db(request), survey_id)]}
    )


@router.post("/triggers/run", summary="Run every trigger once over new events.")
def post_run_triggers(request: Request, who: VocWrite) -> FastJSONResponse:
    return FastJSONResponse(run_triggers(_db(request)).as_json())


@router.post(
    "/surveys/{survey_id}/invitations",
    status_code=201,
    responses=_ERRORS,
    summary="Invite a person (consent and recontact rules checked); blocked ones say why.",
)
async def post_invitation(request: Request, who: VocWrite, survey_id: str) -> FastJSONResponse:
    body = await _body(request)
    if not isinstance(body, dict) or not isinstance(body.get("identifier"), str):
        raise ApiError(400, "invalid_input", "identifier", "any identifier of the person")
    try:
        invitation = invite(
            _db(request),
            survey_id=survey_id,
            profile_id=body["identifier"],
            touchpoint=body.get("touchpoint"),
            channel=str(body.get("channel", "email")),
        )
    except SurveyError as error:
        audit(request, "survey.invite", identifier_subject(body["identifier"]), "not_found")
        raise _error(error) from error
    audit(request, "survey.invite", invitation.profile_id, OK)
    return FastJSONResponse(invitation.as_json(), status_code=201)


@router.get("/surveys/{survey_id}/invitations", summary="Invitations with their links.")
def get_invitations(
    request: Request,
    who: VocWrite,
    survey_id: str,
    status: Annotated[str | None, Query()] = None,
) -> FastJSONResponse:
    database = _db(request)
    found = [
        link_for(database, i).as_json()
        for i in list_invitations(database, survey_id, status=status)
    ]
    audit(request, "survey.invitations", None, OK)
    return FastJSONResponse({"invitations": found})


@router.get("/cases", responses=_ERRORS, summary="Closed-loop cases (filter by status/owner).")
def get_cases(
    request: Request,
    who: VocWrite,
    status: Annotated[str | None, Query()] = None,
    owner: Annotated[str | None, Query()] = None,
    survey_id: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> FastJSONResponse:
    try:
        cases = list_cases(
            _db(request), status=status, owner=owner, survey_id=survey_id, limit=limit
        )
    except SurveyError as error:
        raise _error(error) from error
    audit(request, "case.list", None, OK)
    return FastJSONResponse({"cases": [c.as_json() for c in cases]})


@router.get("/cases/sla", summary="Share of loops closed within SLA.")
def get_sla(request: Request, who: AnalyticsRead) -> FastJSONResponse:
    return FastJSONResponse(sla_report(_db(request)).as_json())


@router.post("/cases", status_code=201, responses=_ERRORS, summary="Open a case by hand.")
async def post_case(request: Request, who: VocWrite) -> FastJSONResponse:
    body = await _body(request)
    if not isinstance(body, dict) or not isinstance(body.get("identifier"), str):
        raise ApiError(400, "invalid_input", "identifier", "any identifier of the person")
    try:
        case = open_case(
            _db(request),
            profile_id=body["identifier"],
            reason=str(body.get("reason", "manual")),
            source=who.actor,
            owner=body.get("owner"),
            note=body.get("note"),
        )
    except SurveyError as error:
        raise _error(error) from error
    audit(request, "case.open", case.profile_id, OK)
    return FastJSONResponse(case.as_json(), status_code=201)


@router.patch("/cases/{case_id}", responses=_ERRORS, summary="Status, owner, outcome, note.")
async def patch_case(request: Request, who: VocWrite, case_id: str) -> FastJSONResponse:
    body = await _body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_input", "(body)", "an object {status, owner, outcome, note}")
    for key in ("status", "owner", "outcome", "note"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise ApiError(400, "invalid_input", key, "a text")
    try:
        case = update_case(
            _db(request),
            case_id,
            author=who.actor,
            status=body.get("status"),
            owner=body.get("owner"),
            outcome=body.get("outcome"),
            note=body.get("note"),
        )
    except SurveyError as error:
        raise _error(error) from error
    audit(request, "case.update", case.profile_id, OK)
    return FastJSONResponse(case.as_json())


@router.get("/cases/{case_id}", responses=_ERRORS, summary="One case.")
def get_case_route(request: Request, who: VocWrite, case_id: str) -> FastJSONResponse:
    case = get_case(_db(request), case_id)
    if case is None:
        raise ApiError(404, "not_found", "case_id", f"no case {case_id!r}")
    audit(request, "case.view", case.profile_id, OK)
    return FastJSONResponse(case.as_json())
