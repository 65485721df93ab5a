"""Dashboard pages of the recommend stage.

``/recommendations``: find a person (any identifier), see the four lists side by side
with item names when the events carried them. ``profile_panel``: the combined list
on the customer-360 page. Thin: ``profiles:read`` page guard, call
``cxm.recommend.service``, audit, render (item names are autoescaped).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from cxm.api.state import AppState
from cxm.auth.audit import NOT_FOUND, OK, identifier_subject
from cxm.auth.deps import ProfilesPage, audit
from cxm.recommend.rank import KINDS
from cxm.recommend.service import Recommendation, RecommendError, recommend
from cxm.store import Database
from cxm.web.profile_panels import ProfilePanel
from cxm.web.responses import render_page as _render

router = APIRouter(include_in_schema=False)
TITLES = {
    "personalised": "Guess you like (personalised)",
    "related": "Related to the last item",
    "trending": "Trending",
    "combined": "Combined",
}


def _lists(database: Database, profile_id: str, k: int) -> list[tuple[str, Recommendation]]:
    return [(TITLES[kind], recommend(database, profile_id, kind, k)) for kind in KINDS]


@router.get("/recommendations", response_class=HTMLResponse, name="recommendations")
def recommendations_page(
    request: Request,
    who: ProfilesPage,
    q: Annotated[str, Query(description="Profile id, e-mail, phone or any identifier.")] = "",
    k: Annotated[int, Query(ge=1, le=50, description="Items per list.")] = 10,
) -> Response:
    from cxm.identity import find_profile_id

    database = AppState.of(request).database
    context: dict[str, object] = {"q": q, "k": k, "lists": None, "error": None}
    status = 200
    if q.strip():
        profile_id = find_profile_id(database, q)
        if profile_id is None:
            audit(request, "recommend.view", identifier_subject(q), NOT_FOUND)
            context["error"] = f"Nobody is known by “{q}”."
            status = 404
        else:
            try:
                context["lists"] = _lists(database, profile_id, k)
            except RecommendError as problem:
                context["error"] = problem.reason
                status = 503 if problem.field == "model" else 400
            else:
                audit(request, "recommend.view", profile_id, OK)
                context["profile_id"] = profile_id
    return _render(request, "recommend_preview.html", context, status)


def profile_panel(request: Request, database: Database, profile_id: str) -> ProfilePanel | None:
    """The combined list on the profile page; nothing when no model is trained yet."""
    try:
        result = recommend(database, profile_id, "combined", 8)
    except RecommendError:
        return None
    return ProfilePanel(
        "Recommendations", "recommend_panel.html", {"result": result, "profile_id": profile_id}
    )
