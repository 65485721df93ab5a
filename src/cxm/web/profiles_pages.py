"""Profile pages: ``/profiles`` (search) and ``/profiles/{identifier}`` (the customer 360).

Thin: ``profiles:read`` page guard, call ``cxm.profiles``, audit the view, render.
Customers' own text (names, review texts, ticket subjects) is autoescaped by Jinja.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from cxm.api.state import AppState
from cxm.auth.audit import NOT_FOUND, OK, identifier_subject
from cxm.auth.deps import ProfilesPage, audit
from cxm.profiles import SearchError, TimelineError, get_profile, load_timeline, search_profiles
from cxm.web.profile_panels import profile_panels
from cxm.web.responses import render_page as _render

router = APIRouter(include_in_schema=False)
TIMELINE_PAGE = 25


def _audit(request: Request, action: str, subject: str, ok: bool) -> None:
    # The shared helper logs the route template, never the identifier in the URL.
    audit(request, action, subject, OK if ok else NOT_FOUND)


@router.get("/profiles", response_class=HTMLResponse, name="profiles")
def profiles_page(
    request: Request,
    who: ProfilesPage,
    q: Annotated[str, Query(description="Name, e-mail, phone or id.")] = "",
) -> Response:
    results = None
    error = None
    if q.strip():
        try:
            results = search_profiles(AppState.of(request).database, q, 50)
        except SearchError as problem:
            error = problem.reason
        else:
            _audit(request, "profile.search", identifier_subject(q), True)
    return _render(
        request,
        "profiles.html",
        {"q": q, "results": results, "error": error},
        400 if error else 200,
    )


@router.get("/profiles/{identifier}", response_class=HTMLResponse, name="profile")
def profile_page(
    request: Request,
    who: ProfilesPage,
    identifier: str,
    before: Annotated[str | None, Query(description="Timeline cursor.")] = None,
) -> Response:
    database = AppState.of(request).database
    profile = get_profile(database, identifier, timeline_limit=0)
    if profile is None:
        _audit(request, "profile.view", identifier_subject(identifier), False)
        return _render(request, "profile_missing.html", {"identifier": identifier}, 404)
    try:
        timeline = load_timeline(database, profile.profile_id, before=before, limit=TIMELINE_PAGE)
    except TimelineError as problem:
        return _render(
            request, "profile_missing.html", {"identifier": identifier, "error": problem}, 400
        )
    _audit(request, "profile.view", profile.profile_id, True)
    panels = profile_panels(request, database, profile.profile_id)
    return _render(
        request,
        "profile.html",
        {"profile": profile, "timeline": timeline, "before": before, "panels": panels},
    )
