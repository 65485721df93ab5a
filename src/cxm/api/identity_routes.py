"""Identity review queue: probable links in the grey band, accepted or rejected by a person.

Thin: authenticate (``identity:write``), call ``cxm.identity``, audit, answer.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from cxm.api.errors import ApiError
from cxm.api.responses import FastJSONResponse
from cxm.api.state import AppState
from cxm.auth.deps import IdentityWrite, audit
from cxm.identity import IdentityError, accept_review, list_reviews, reject_review, unmerge

router = APIRouter(prefix="/v1/identity", tags=["identity"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad parameter; `field` names it."},
    401: {"description": "No API key or session."},
    403: {"description": "The caller lacks `identity:write`."},
    404: {"description": "No such review or merge."},
    409: {"description": "The review was already decided / the merge already undone."},
}


def _fail(error: IdentityError) -> ApiError:
    codes = {404: "not_found", 409: "conflict"}
    return ApiError(error.status, codes.get(error.status, "invalid"), error.field, error.reason)


@router.get("/reviews", responses=_ERRORS, summary="Probable links waiting for a decision.")
def reviews(
    request: Request,
    who: IdentityWrite,
    status: Annotated[str, Query(description="pending, accepted or rejected.")] = "pending",
    limit: Annotated[int, Query(description="Most reviews (1–1000).")] = 100,
) -> FastJSONResponse:
    try:
        found = list_reviews(AppState.of(request).database, status, limit)
    except IdentityError as error:
        raise _fail(error) from None
    audit(request, "identity.reviews.list", None)
    return FastJSONResponse({"status": status, "reviews": [asdict(r) for r in found]})


@router.post("/reviews/{review_id}/accept", responses=_ERRORS, summary="Merge the pair.")
def accept(request: Request, who: IdentityWrite, review_id: str) -> FastJSONResponse:
    try:
        merges = accept_review(AppState.of(request).database, review_id, who.actor)
    except IdentityError as error:
        raise _fail(error) from None
    audit(request, "identity.review.accept", review_id)
    return FastJSONResponse({"review_id": review_id, "status": "accepted", "merges": merges})


@router.post("/reviews/{review_id}/reject", responses=_ERRORS, summary="Never merge the pair.")
def reject(request: Request, who: IdentityWrite, review_id: str) -> FastJSONResponse:
    try:
        reject_review(AppState.of(request).database, review_id, who.actor)
    except IdentityError as error:
        raise _fail(error) from None
    audit(request, "identity.review.reject", review_id)
    return FastJSONResponse({"review_id": review_id, "status": "rejected"})


@router.post("/merges/{merge_id}/undo", responses=_ERRORS, summary="Split a wrong merge.")
def undo_merge(request: Request, who: IdentityWrite, merge_id: str) -> FastJSONResponse:
    try:
        result = unmerge(AppState.of(request).database, merge_id)
    except IdentityError as error:
        raise _fail(error) from None
    audit(request, "identity.unmerge", result.restored)
    return FastJSONResponse(asdict(result))
