"""HTTP API of the text stage (thin: parse, call the package, shape the reply).

Aggregates (reviews summary, topics) need ``analytics:read``; verbatims may hold
personal data, so search needs ``profiles:read`` and is audited. ``POST
/v1/text/analyse`` analyses texts the caller sends (nothing stored): analytics:read.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from cxm.api.errors import ApiError
from cxm.api.responses import FastJSONResponse
from cxm.api.state import AppState
from cxm.auth.audit import OK
from cxm.auth.deps import AnalyticsRead, ProfilesRead, audit

router = APIRouter(prefix="/v1", tags=["text"])
MAX_TEXTS = 1_000
MAX_TEXT_CHARS = 10_000

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad input; `field` names it."},
    401: {"description": "No API key or session."},
    403: {"description": "The caller lacks the scope."},
}


def _day(value: str | None, field: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "invalid_query", field, "expected a date YYYY-MM-DD") from None


def _period(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    first, last = _day(start, "from"), _day(end, "to")
    if first and last and first > last:
        raise ApiError(400, "invalid_query", "from", "must not be after 'to'")
    return first, last


def _bucket(period: str) -> str:
    if period not in ("day", "week", "month"):
        raise ApiError(400, "invalid_query", "period", "must be day, week or month")
    return period


class AnalyseIn(BaseModel):
    texts: list[str] = Field(description=f"Texts to analyse (at most {MAX_TEXTS}).")
    lang: str = Field(default="auto", description="auto, or a language code for all: zh, de, en.")


@router.post(
    "/text/analyse",
    responses=_ERRORS,
    summary="Language, sentiment (label, score −1…1) and topics of the given texts.",
)
def analyse_texts(request: Request, who: AnalyticsRead, body: AnalyseIn) -> FastJSONResponse:
    from cxm.voc.text import analyse

    if len(body.texts) > MAX_TEXTS:
        raise ApiError(400, "invalid_body", "texts", f"at most {MAX_TEXTS} texts per request")
    for index, text in enumerate(body.texts):
        if len(text) > MAX_TEXT_CHARS:
            raise ApiError(
                400, "invalid_body", f"texts[{index}]", f"longer than {MAX_TEXT_CHARS} characters"
            )
    try:
        results = analyse(body.texts, lang=body.lang)
    except ValueError as error:
        raise ApiError(400, "invalid_body", "lang", str(error)) from None
    return FastJSONResponse(
        {
            "results": [
                {"lang": r.lang, "label": r.label, "score": r.score, "topics": list(r.topics)}
                for r in results
            ]
        }
    )


@router.get("/reviews/summary", responses=_ERRORS, summary="Reviews: ratings, sentiment, trend.")
def reviews_summary(
    request: Request,
    who: AnalyticsRead,
    start: Annotated[str | None, Query(alias="from", description="First day YYYY-MM-DD.")] = None,
    end: Annotated[str | None, Query(alias="to", description="Last day YYYY-MM-DD.")] = None,
    period: Annotated[str, Query(description="Trend bucket: day, week or month.")] = "week",
) -> FastJSONResponse:
    from cxm.voc.text.listening import list_alerts, rating_trend, summary

    first, last = _period(start, end)
    database = AppState.of(request).database
    result = summary(database, start=first, end=last)
    result["rating_trend"] = rating_trend(database, period=_bucket(period), start=first, end=last)
    result["alerts"] = list_alerts(database, limit=20)
    return FastJSONResponse(result)


@router.get("/text/topics", responses=_ERRORS, summary="Topic counts and trend.")
def topics(
    request: Request,
    who: AnalyticsRead,
    start: Annotated[str | None, Query(alias="from", description="First day YYYY-MM-DD.")] = None,
    end: Annotated[str | None, Query(alias="to", description="Last day YYYY-MM-DD.")] = None,
    period: Annotated[str, Query(description="Trend bucket: day, week or month.")] = "week",
) -> FastJSONResponse:
    from cxm.voc.text.topic_stats import topic_counts, topic_trend

    first, last = _period(start, end)
    database = AppState.of(request).database
    return FastJSONResponse(
        {
            "topics": topic_counts(database, start=first, end=last),
            "trend": topic_trend(database, period=_bucket(period), start=first, end=last),
        }
    )


@router.get("/text/search", responses=_ERRORS, summary="Verbatims (review texts) matching filters.")
def search_verbatims(
    request: Request,
    who: ProfilesRead,
    q: Annotated[str, Query(description="Text contains (case-insensitive).")] = "",
    topic: Annotated[str | None, Query(description="Topic id, e.g. delivery.")] = None,
    label: Annotated[str | None, Query(description="negative, neutral or positive.")] = None,
    lang: Annotated[str | None, Query(description="Language code: zh, de, en…")] = None,
    source: Annotated[
        str | None, Query(description="Review source (trustpilot…) or survey:<survey_id>.")
    ] = None,
    start: Annotated[str | None, Query(alias="from", description="First day YYYY-MM-DD.")] = None,
    end: Annotated[str | None, Query(alias="to", description="Last day YYYY-MM-DD.")] = None,
    limit: Annotated[int, Query(description="Most results (1–200).")] = 50,
    offset: Annotated[int, Query(description="Skip this many (paging).")] = 0,
    kind: Annotated[
        str, Query(description="all, reviews (reviews and mentions) or surveys (open answers).")
    ] = "all",
) -> FastJSONResponse:
    from cxm.voc.text.topic_stats import search

    if not 1 <= limit <= 200:
        raise ApiError(400, "invalid_query", "limit", "must be between 1 and 200")
    if offset < 0:
        raise ApiError(400, "invalid_query", "offset", "must not be negative")
    if label is not None and label not in ("negative", "neutral", "positive"):
        raise ApiError(400, "invalid_query", "label", "must be negative, neutral or positive")
    if len(q) > 200:
        raise ApiError(400, "invalid_query", "q", "at most 200 characters")
    if kind not in ("all", "reviews", "surveys"):
        raise ApiError(400, "invalid_query", "kind", "must be all, reviews or surveys")
    first, last = _period(start, end)
    rows = search(
        AppState.of(request).database,
        q=q,
        topic=topic or None,
        label=label,
        lang=lang or None,
        source=source or None,
        start=first,
        end=last,
        limit=limit,
        offset=offset,
        kind=kind,
    )
    audit(request, "text.search", None, OK)
    return FastJSONResponse({"verbatims": rows, "limit": limit, "offset": offset})
