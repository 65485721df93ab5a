"""HTTP API of the predict stage (thin: parse, call the package, shape the reply).

Aggregates (CLV summary) need ``analytics:read``; per-person scores and the at-risk
list need ``profiles:read`` and are audited; training and scoring need
``models:write``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request

from cxm.api.errors import ApiError
from cxm.api.responses import FastJSONResponse
from cxm.api.state import AppState
from cxm.auth import scopes as s
from cxm.auth.audit import NOT_FOUND, OK, identifier_subject
from cxm.auth.deps import AnalyticsRead, ProfilesRead, RequireScope, audit
from cxm.auth.principal import Principal
from cxm.predict import read

router = APIRouter(tags=["predict"])
ModelsWrite = Annotated[Principal, Depends(RequireScope(s.MODELS_WRITE))]

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad input; `field` names it."},
    401: {"description": "No API key or session."},
    403: {"description": "The caller lacks the scope."},
}


@router.get("/v1/predict/clv/summary", responses=_ERRORS, summary="CLV distribution and tiers.")
def clv_summary(
    request: Request,
    who: AnalyticsRead,
    top: Annotated[int, Query(description="Top customers to list (0–100).")] = 0,
) -> FastJSONResponse:
    if not 0 <= top <= 100:
        raise ApiError(400, "invalid_query", "top", "must be between 0 and 100")
    summary = read.clv_summary(AppState.of(request).database, top)
    if top:
        audit(request, "predict.top_customers", None, OK)
    else:
        summary.pop("top_customers", None)
    return FastJSONResponse(summary)


@router.get(
    "/v1/predict/at-risk",
    responses=_ERRORS,
    summary="Customers at risk, ranked by value × risk, with reasons and cause.",
)
def at_risk(
    request: Request,
    who: ProfilesRead,
    limit: Annotated[int, Query(description="Most rows (1–1000).")] = 50,
    cause: Annotated[str | None, Query(description="Only this cause.")] = None,
) -> FastJSONResponse:
    if not 1 <= limit <= 1000:
        raise ApiError(400, "invalid_query", "limit", "must be between 1 and 1000")
    rows = read.at_risk(AppState.of(request).database, limit, cause)
    audit(request, "predict.at_risk", None, OK)
    return FastJSONResponse(
        {"customers": rows, "segments": read.winback_segments(AppState.of(request).database)}
    )


@router.get(
    "/v1/profiles/{identifier}/scores",
    responses={**_ERRORS, 404: {"description": "Unknown person or not scored yet."}},
    summary="CLV, P(alive), churn risk with reasons, segments of one person.",
)
def profile_scores(request: Request, who: ProfilesRead, identifier: str) -> FastJSONResponse:
    from cxm.identity import find_profile_id

    database = AppState.of(request).database
    profile_id = find_profile_id(database, identifier)
    if profile_id is None:
        audit(request, "predict.scores", identifier_subject(identifier), NOT_FOUND)
        raise ApiError(404, "not_found", "identifier", f"no profile is known by {identifier!r}")
    scores = read.profile_scores(database, profile_id)
    audit(request, "predict.scores", profile_id, OK if scores else NOT_FOUND)
    if scores is None:
        raise ApiError(404, "not_scored", "identifier", "this profile has not been scored yet")
    return FastJSONResponse(scores)


@router.post(
    "/v1/predict/score", responses=_ERRORS, summary="Rescore every profile now (synchronous)."
)
def score(
    request: Request,
    who: ModelsWrite,
    horizon_days: Annotated[int, Body(embed=True, description="CLV horizon (days).")] = 365,
    discount_rate: Annotated[float, Body(embed=True, description="Annual discount.")] = 0.1,
) -> FastJSONResponse:
    from cxm.predict.scoring import score_profiles

    if not 1 <= horizon_days <= 3650:
        raise ApiError(400, "invalid_body", "horizon_days", "must be between 1 and 3650")
    if not 0 <= discount_rate < 1:
        raise ApiError(400, "invalid_body", "discount_rate", "must be in [0, 1)")
    run = score_profiles(AppState.of(request).database, horizon_days, discount_rate)
    return FastJSONResponse(run.as_dict())


@router.post(
    "/v1/predict/churn/train",
    responses=_ERRORS,
    summary="Train the churn model (label: no-purchase, inactive, an event or a trait).",
)
def train(
    request: Request,
    who: ModelsWrite,
    label: Annotated[str, Body(embed=True, description="Label (see docs/predict.md).")],
    horizon_days: Annotated[int, Body(embed=True, description="Label window (days).")] = 90,
) -> FastJSONResponse:
    from cxm.predict.churn import ChurnError, train_churn

    if not 1 <= horizon_days <= 3650:
        raise ApiError(400, "invalid_body", "horizon_days", "must be between 1 and 3650")
    try:
        result = train_churn(AppState.of(request).database, label, horizon_days)
    except ChurnError as error:
        raise ApiError(400, "invalid_body", error.field, error.reason) from None
    return FastJSONResponse(result.report)
