"""Unified profiles: look up anyone by any identifier, search, page their timeline.

Thin: authenticate (``profiles:read``), call ``cxm.profiles``, audit, answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from cxm.api.errors import ApiError
from cxm.api.responses import FastJSONResponse
from cxm.api.state import AppState
from cxm.auth.audit import NOT_FOUND, OK, identifier_subject
from cxm.auth.deps import ProfilesRead, audit
from cxm.profiles import SearchError, TimelineError, get_profile, load_timeline, search_profiles

router = APIRouter(prefix="/v1/profiles", tags=["profiles"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad query; `field` names it."},
    401: {"description": "No API key or session."},
    403: {"description": "The caller lacks `profiles:read`."},
    404: {"description": "Nobody is known by this identifier (`field`: identifier)."},
}


def _audit(request: Request, action: str, subject: str | None, ok: bool) -> None:
    # The shared helper logs the route template, never the identifier in the URL.
    audit(request, action, subject, OK if ok else NOT_FOUND)


def _unknown(identifier: str) -> ApiError:
    return ApiError(404, "not_found", "identifier", f"no profile is known by {identifier!r}")


@router.get("", responses=_ERRORS, summary="Search profiles by name, e-mail, phone or id.")
def search(
    request: Request,
    who: ProfilesRead,
    q: Annotated[str, Query(description="Name, e-mail/phone prefix, or any identifier.")],
    limit: Annotated[int, Query(description="Most results (1–100).")] = 20,
) -> FastJSONResponse:
    try:
        found = search_profiles(AppState.of(request).database, q, limit)
    except SearchError as error:
        raise ApiError(400, "invalid_query", error.field, error.reason) from None
    _audit(request, "profile.search", identifier_subject(q), True)
    return FastJSONResponse({"query": q, "profiles": found})


@router.get(
    "/{identifier}/timeline",
    responses=_ERRORS,
    summary="One timeline across channels, newest first; follow `next_before` for more.",
)
def timeline(
    request: Request,
    who: ProfilesRead,
    identifier: str,
    before: Annotated[
        str | None, Query(description="ISO time (strictly earlier) or a `next_before` cursor.")
    ] = None,
    limit: Annotated[int, Query(description="Entries per page (1–200).")] = 50,
) -> FastJSONResponse:
    from cxm.identity import find_profile_id

    database = AppState.of(request).database
    profile_id = find_profile_id(database, identifier)
    if profile_id is None:
        _audit(request, "profile.timeline", identifier_subject(identifier), False)
        raise _unknown(identifier)
    try:
        page = load_timeline(database, profile_id, before=before, limit=limit)
    except TimelineError as error:
        raise ApiError(400, "invalid_query", error.field, error.reason) from None
    _audit(request, "profile.timeline", profile_id, True)
    return FastJSONResponse(
        {"profile_id": profile_id, "entries": page.entries, "next_before": page.next_before}
    )


@router.get(
    "/{identifier}",
    responses=_ERRORS,
    summary="The unified profile of whoever an identifier names (merged ids followed).",
)
def show(
    request: Request,
    who: ProfilesRead,
    identifier: str,
    timeline_limit: Annotated[
        int, Query(ge=0, le=200, description="Timeline entries to include (0: none).")
    ] = 20,
) -> FastJSONResponse:
    profile = get_profile(AppState.of(request).database, identifier, timeline_limit=timeline_limit)
    if profile is None:
        _audit(request, "profile.view", identifier_subject(identifier), False)
        raise _unknown(identifier)
    _audit(request, "profile.view", profile.profile_id, True)
    return FastJSONResponse(profile)
