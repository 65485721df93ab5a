"""Consent and preferences: record, read, and the one-call "may I?" check.

Thin: authenticate (``profiles:read`` to read, ``profiles:write`` to record), call
``cxm.privacy.consent*`` / ``preferences``, audit, answer. Bad purposes, channels
or statuses are 400s naming the field; an unknown person is a 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from cxm.api.auth import authenticate_source
from cxm.api.body import read_json_body
from cxm.api.errors import ApiError
from cxm.api.responses import FastJSONResponse
from cxm.api.state import AppState
from cxm.auth.audit import NOT_FOUND, OK, identifier_subject
from cxm.auth.deps import ProfilesRead, ProfilesWrite, audit
from cxm.privacy.consent import (
    ANY_CHANNEL,
    ConsentError,
    check_purpose,
    consent_history,
    record_consent,
)
from cxm.privacy.consent_check import may_contact
from cxm.privacy.consent_subject import resolve_subject
from cxm.privacy.preferences import check_preferences, get_preferences, save_preferences

router = APIRouter(prefix="/v1", tags=["consent"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad purpose, channel, status or preference; `field` names it."},
    401: {"description": "No API key or session."},
    403: {"description": "The caller lacks the scope."},
    404: {"description": "Nobody is known by this identifier (`field`: identifier)."},
}


class ConsentIn(BaseModel):
    identifier: str = Field(description="Any identifier of the person (email:…, phone, id…).")
    purpose: str = Field(description="analytics, personalisation, marketing or surveys.")
    channel: str = Field(
        default=ANY_CHANNEL, description="email, sms, push, messaging, phone, or * (any)."
    )
    status: str = Field(description="granted, denied or withdrawn.")
    source: str = Field(description="Where it was given: 'signup-form', 'call-centre'…")
    wording_version: str | None = Field(default=None, description="Version of the text shown.")
    ip: str | None = Field(default=None, description="Evidence: the person's IP address.")
    user_agent: str | None = Field(default=None, description="Evidence: their browser.")
    evidence: dict[str, Any] | None = Field(default=None, description="Any further evidence.")


class PreferencesIn(BaseModel):
    topics: list[str] = Field(default_factory=list, description="Topics of interest.")
    preferred_channel: str | None = Field(default=None, description="email, sms, push…")
    frequency: str | None = Field(default=None, description="daily, weekly, monthly…")
    language: str | None = Field(default=None, description="en, de or zh.")
    source: str = Field(default="api", description="Where the person said so.")


def _audit(request: Request, action: str, subject: str | None, ok: bool) -> None:
    # The shared helper logs the route template, never the identifier in the URL.
    audit(request, action, subject, OK if ok else NOT_FOUND)


def _error(error: ConsentError) -> ApiError:
    if error.unknown:
        return ApiError(404, "not_found", error.field, error.reason)
    return ApiError(400, "invalid_consent", error.field, error.reason)


@router.post("/consent", status_code=201, responses=_ERRORS, summary="Record a consent statement.")
def record(request: Request, who: ProfilesWrite, body: ConsentIn) -> FastJSONResponse:
    database = AppState.of(request).database
    try:
        entry = record_consent(
            database,
            body.identifier,
            body.purpose,
            body.channel,
            body.status,
            source=body.source,
            wording_version=body.wording_version,
            ip=body.ip,
            user_agent=body.user_agent,
            evidence=body.evidence,
        )
    except ConsentError as error:
        raise _error(error) from None
    _audit(request, "consent.record", entry.profile_id, True)
    return FastJSONResponse(entry, status_code=201)


@router.get(
    "/consent/check",
    responses=_ERRORS,
    summary="May we act on this person for a purpose through a channel? One call, one answer.",
)
def check(
    request: Request,
    who: ProfilesRead,
    identifier: Annotated[str, Query(description="Any identifier of the person.")],
    purpose: Annotated[str, Query(description="analytics, personalisation, marketing, surveys.")],
    channel: Annotated[str, Query(description="email, sms, push, messaging, phone or *.")] = "*",
) -> FastJSONResponse:
    database = AppState.of(request).database
    subject = resolve_subject(database, identifier)
    try:
        decision = may_contact(
            database,
            subject.profile_id if subject else identifier,
            purpose,
            channel,
            settings=AppState.of(request).settings,
        )
    except ConsentError as error:
        raise _error(error) from None
    return FastJSONResponse(
        {"profile_id": subject.profile_id if subject else None, **decision.__dict__}
    )


@router.get("/consent/{identifier}", responses=_ERRORS, summary="Current consent and history.")
def show(request: Request, who: ProfilesRead, identifier: str) -> FastJSONResponse:
    from cxm.privacy.consent import latest_states

    database = AppState.of(request).database
    subject = resolve_subject(database, identifier)
    if subject is None:
        _audit(request, "consent.view", identifier_subject(identifier), False)
        raise ApiError(404, "not_found", "identifier", f"no profile is known by {identifier!r}")
    history = consent_history(database, subject.profile_id)
    _audit(request, "consent.view", subject.profile_id, True)
    return FastJSONResponse(
        {"profile_id": subject.profile_id, "current": latest_states(history), "history": history}
    )


@router.put("/preferences/{identifier}", responses=_ERRORS, summary="Save zero-party preferences.")
def put_preferences(
    request: Request, who: ProfilesWrite, identifier: str, body: PreferencesIn
) -> FastJSONResponse:
    database = AppState.of(request).database
    subject = resolve_subject(database, identifier)
    if subject is None:
        raise ApiError(404, "not_found", "identifier", f"no profile is known by {identifier!r}")
    try:
        checked = check_preferences(
            body.topics, body.preferred_channel, body.frequency, body.language
        )
        saved = save_preferences(database, identifier, checked, source=body.source, subject=subject)
    except ConsentError as error:
        raise _error(error) from None
    _audit(request, "preferences.update", subject.profile_id, True)
    return FastJSONResponse({"profile_id": subject.profile_id, **saved.__dict__})


@router.get("/preferences/{identifier}", responses=_ERRORS, summary="Current preferences.")
def show_preferences(request: Request, who: ProfilesRead, identifier: str) -> FastJSONResponse:
    database = AppState.of(request).database
    subject = resolve_subject(database, identifier)
    if subject is None:
        raise ApiError(404, "not_found", "identifier", f"no profile is known by {identifier!r}")
    _audit(request, "preferences.view", subject.profile_id, True)
    return FastJSONResponse(
        {"profile_id": subject.profile_id, **get_preferences(database, subject.profile_id).__dict__}
    )


@router.post(
    "/consent/tracker",
    responses=_ERRORS,
    summary="Record the tracker's consent.grant()/deny() for a known visitor (write key).",
)
async def tracker_consent(request: Request) -> FastJSONResponse:
    """Called by ``/cxm.js`` with the source's write key, like collection. Recorded for
    purpose ``analytics`` (or the ``purposes`` given) on every channel, with the
    visitor's own IP and user agent as evidence. A visitor identity does not know yet
    gets 202 and nothing is recorded (their browser keeps the choice)."""
    state = AppState.of(request)
    body = await read_json_body(request, state.settings.max_event_bytes)
    source = authenticate_source(request, body, state.write_keys)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_consent", "(body)", "expected a JSON object")
    status = {"grant": "granted", "granted": "granted", "deny": "denied", "denied": "denied"}.get(
        str(body.get("status", "")).lower()
    )
    if status is None:
        raise ApiError(400, "invalid_consent", "status", "expected 'granted' or 'denied'")
    purposes = body.get("purposes", ["analytics"])
    if not isinstance(purposes, list) or not purposes:
        raise ApiError(400, "invalid_consent", "purposes", "expected a non-empty list")
    database = state.database
    subject = None
    for id_type in ("userId", "anonymousId"):
        value = body.get(id_type)
        if isinstance(value, str) and value.strip():
            prefix = "user_id" if id_type == "userId" else "anonymous_id"
            subject = resolve_subject(database, f"{prefix}:{value}")
            if subject is not None:
                break
    if subject is None:
        return FastJSONResponse(
            {"recorded": 0, "profile_id": None, "reason": "visitor not known yet"},
            status_code=202,
        )
    entries = []
    try:
        for index, purpose in enumerate(purposes):  # all checked before anything is stored
            check_purpose(purpose if isinstance(purpose, str) else "", f"purposes.{index}")
        for purpose in purposes:
            entries.append(
                record_consent(
                    database,
                    subject.identifier,
                    purpose,
                    ANY_CHANNEL,
                    status,
                    source=f"tracker:{source.name}",
                    ip=request.client.host if request.client else None,
                    user_agent=request.headers.get("user-agent"),
                    subject=subject,
                )
            )
    except ConsentError as error:
        raise _error(error) from None
    return FastJSONResponse({"recorded": len(entries), "profile_id": subject.profile_id})
