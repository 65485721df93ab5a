"""HTTP API of the recommend stage (thin: parse, call the package, shape the reply).

``GET /v1/profiles/{identifier}/recommendations?kind=...&k=10[&item=...]``
(``profiles:read``, audited as ``recommend.view``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from cxm.api.errors import ApiError
from cxm.api.responses import FastJSONResponse
from cxm.api.state import AppState
from cxm.auth.audit import NOT_FOUND, OK, identifier_subject
from cxm.auth.deps import ProfilesRead, audit
from cxm.recommend.service import RecommendError, check_k, check_kind, recommend

router = APIRouter(prefix="/v1/profiles", tags=["recommendations"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Unknown `kind`, `k` outside 1–100, or unknown `item`; `field` names it."},
    401: {"description": "No API key or session."},
    403: {"description": "The caller lacks `profiles:read`."},
    404: {"description": "Nobody is known by this identifier (`field`: identifier)."},
    503: {"description": "No model trained yet (`field`: model): run `cxm recommend train`."},
}


@router.get(
    "/{identifier}/recommendations",
    responses=_ERRORS,
    summary="Recommended items for a person: personalised, related, trending or combined.",
)
def recommendations(
    request: Request,
    who: ProfilesRead,
    identifier: str,
    kind: Annotated[
        str, Query(description="personalised | related | trending | combined")
    ] = "combined",
    k: Annotated[int, Query(description="How many items (1–100).")] = 10,
    item: Annotated[
        str | None,
        Query(description="related: the item to find neighbours of (default: the last one)."),
    ] = None,
) -> FastJSONResponse:
    from cxm.identity import find_profile_id

    try:
        check_kind(kind)
        check_k(k)
    except RecommendError as error:
        raise ApiError(400, "invalid_query", error.field, error.reason) from None
    database = AppState.of(request).database
    profile_id = find_profile_id(database, identifier)
    if profile_id is None:
        audit(request, "recommend.view", identifier_subject(identifier), NOT_FOUND)
        raise ApiError(404, "not_found", "identifier", f"no profile is known by {identifier!r}")
    try:
        result = recommend(database, profile_id, kind, k, item=item)
    except RecommendError as error:
        status = 503 if error.field == "model" else 400
        code = "not_ready" if status == 503 else "invalid_query"
        raise ApiError(status, code, error.field, error.reason) from None
    audit(request, "recommend.view", profile_id, OK)
    return FastJSONResponse(asdict(result))
