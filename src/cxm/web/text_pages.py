"""Dashboard pages of the text stage: ``/reviews`` and ``/topics``.

Aggregates need ``analytics:read``; the verbatims (customers' own words, which may
hold personal data) are shown only to a user who also has ``profiles:read``, and
that view is audited. Review texts are autoescaped by Jinja (never ``|safe``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from cxm.api.state import AppState
from cxm.auth import scopes as s
from cxm.auth.audit import OK
from cxm.auth.deps import RequirePage, audit
from cxm.auth.principal import Principal
from cxm.web.responses import render_page as _render

router = APIRouter(include_in_schema=False)
AnalyticsPage = Annotated[Principal, Depends(RequirePage(s.ANALYTICS_READ))]
LABELS = ("negative", "neutral", "positive")
PERIODS = ("day", "week", "month")


def _day(value: str, field: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{field}: expected a date YYYY-MM-DD")
        return None


def _filters(
    start: str, end: str, period: str, label: str, problems: list[str]
) -> tuple[date | None, date | None, str, str | None]:
    first, last = _day(start, "from", problems), _day(end, "to", problems)
    if first and last and first > last:
        problems.append("from: must not be after to")
        first = last = None
    if period not in PERIODS:
        problems.append("period: must be day, week or month")
        period = "week"
    if label and label not in LABELS:
        problems.append("sentiment: must be negative, neutral or positive")
        label = ""
    return first, last, period, label or None


def _rating_chart(trend: list[dict[str, Any]]) -> dict[str, Any]:
    periods = sorted({row["period"] for row in trend})
    sources = sorted({row["source"] for row in trend})
    cells = {(row["period"], row["source"]): row for row in trend}
    return {
        "periods": periods,
        "series": [
            {
                "name": source,
                "values": [
                    cells[(p, source)]["avg_rating"] if (p, source) in cells else None
                    for p in periods
                ],
                "counts": [cells[(p, source)]["n"] if (p, source) in cells else 0 for p in periods],
            }
            for source in sources
        ],
    }


@router.get("/reviews", response_class=HTMLResponse, name="reviews")
def reviews_page(
    request: Request,
    who: AnalyticsPage,
    start: Annotated[str, Query(alias="from")] = "",
    end: Annotated[str, Query(alias="to")] = "",
    period: str = "week",
    sentiment: str = "",
    source: str = "",
    lang: str = "",
) -> Response:
    from cxm.voc.text.listening import list_alerts, rating_trend, sentiment_trend, summary
    from cxm.voc.text.topic_stats import search

    problems: list[str] = []
    first, last, period, label = _filters(start, end, period, sentiment, problems)
    database = AppState.of(request).database
    overview = summary(database, start=first, end=last)
    trend = rating_trend(database, period=period, start=first, end=last)
    may_read = who.may(s.PROFILES_READ)
    verbatims = (
        search(
            database,
            label=label,
            source=source or None,
            lang=lang or None,
            start=first,
            end=last,
            limit=30,
            kind="reviews",
        )
        if may_read
        else []
    )
    if may_read:
        audit(request, "text.reviews.view", None, OK)
    context = {
        "overview": overview,
        "chart": _rating_chart(trend),
        "sentiment_chart": sentiment_trend(database, period=period, start=first, end=last),
        "trend": trend,
        "alerts": list_alerts(database, limit=20),
        "verbatims": verbatims,
        "may_read": may_read,
        "problems": problems,
        "f": {
            "from": start,
            "to": end,
            "period": period,
            "sentiment": label or "",
            "source": source,
            "lang": lang,
        },
        "labels": LABELS,
        "periods": PERIODS,
    }
    return _render(request, "text_reviews.html", context, 400 if problems else 200)


@router.get("/topics", response_class=HTMLResponse, name="topics")
def topics_page(
    request: Request,
    who: AnalyticsPage,
    start: Annotated[str, Query(alias="from")] = "",
    end: Annotated[str, Query(alias="to")] = "",
    period: str = "week",
    q: str = "",
    topic: str = "",
    sentiment: str = "",
    lang: str = "",
) -> Response:
    from cxm.voc.text.topic_stats import search, topic_counts, topic_trend
    from cxm.voc.text.topics import topic_names

    problems: list[str] = []
    first, last, period, label = _filters(start, end, period, sentiment, problems)
    if len(q) > 200:
        problems.append("q: at most 200 characters")
        q = q[:200]
    database = AppState.of(request).database
    counts = topic_counts(database, start=first, end=last)
    trend = topic_trend(database, period=period, start=first, end=last)
    periods = sorted({row["period"] for row in trend})
    names = [row["topic"] for row in counts]
    cells = {(row["period"], row["topic"]): row["n"] for row in trend}
    chart = {
        "days": periods,
        "series": [
            {"name": name, "values": [cells.get((p, name), 0) for p in periods]} for name in names
        ],
    }
    may_read = who.may(s.PROFILES_READ)
    searched = bool(q or topic or label or lang)
    verbatims = (
        search(
            database,
            q=q,
            topic=topic or None,
            label=label,
            lang=lang or None,
            start=first,
            end=last,
            limit=50,
        )
        if may_read
        else []
    )
    if may_read:
        audit(request, "text.search", None, OK)
    context = {
        "counts": counts,
        "chart": chart,
        "verbatims": verbatims,
        "searched": searched,
        "may_read": may_read,
        "problems": problems,
        "topic_names": sorted(set(topic_names()) | set(names)),
        "f": {
            "from": start,
            "to": end,
            "period": period,
            "sentiment": label or "",
            "q": q,
            "topic": topic,
            "lang": lang,
        },
        "labels": LABELS,
        "periods": PERIODS,
    }
    return _render(request, "text_topics.html", context, 400 if problems else 200)
