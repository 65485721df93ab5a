"""Dashboard pages of the predict stage: value, churn risk, model report, profile panel.

Thin: page guard, call ``cxm.predict.read``, audit views of personal data, render.
``/predict`` and ``/predict/churn`` list profile ids and reasons (``profiles:read``);
``/predict/model`` shows aggregate figures only (``analytics:read``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from cxm.api.state import AppState
from cxm.auth import scopes as s
from cxm.auth.audit import OK
from cxm.auth.deps import ProfilesPage, RequirePage, audit
from cxm.auth.principal import Principal
from cxm.predict import read
from cxm.store import Database
from cxm.web.pages import CONTENT_SECURITY_POLICY
from cxm.web.profile_panels import ProfilePanel
from cxm.web.templating import templates

router = APIRouter(include_in_schema=False)
AnalyticsPage = Annotated[Principal, Depends(RequirePage(s.ANALYTICS_READ))]


def _render(request: Request, name: str, context: dict[str, Any]) -> Response:
    response = templates.TemplateResponse(request, name, context)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def _bar_chart(labels: list[str], name: str, values: list[float]) -> dict[str, Any]:
    # The shape static/charts.js draws (category axis + series).
    return {"days": labels, "series": [{"name": name, "values": values}]}


@router.get("/predict", response_class=HTMLResponse, name="predict")
def value_page(request: Request, who: ProfilesPage) -> Response:
    summary = read.clv_summary(AppState.of(request).database, top=25)
    charts: dict[str, Any] = {}
    if summary.get("scored"):
        audit(request, "predict.top_customers", None, OK)
        charts["histogram"] = _bar_chart(
            [h["bucket"] for h in summary["histogram"]],
            "customers",
            [h["customers"] for h in summary["histogram"]],
        )
        charts["deciles"] = _bar_chart(
            [str(d["decile"]) for d in summary["deciles"]],
            "total CLV",
            [round(d["total_clv"] or 0.0, 2) for d in summary["deciles"]],
        )
    return _render(request, "predict_value.html", {"summary": summary, "charts": charts})


@router.get("/predict/churn", response_class=HTMLResponse, name="predict_churn")
def churn_page(request: Request, who: ProfilesPage, cause: str | None = None) -> Response:
    database = AppState.of(request).database
    customers = read.at_risk(database, 100, cause or None)
    audit(request, "predict.at_risk", None, OK)
    report = read.model_report(database)
    run = report.get("score_run") or {}
    return _render(
        request,
        "predict_churn.html",
        {
            "customers": customers,
            "segments": read.winback_segments(database),
            "causes_by_segment": run.get("causes_by_segment", {}),
            "drivers_by_segment": run.get("drivers_by_segment", {}),
            "cause": cause or "",
            "scored": read.has_scores(database),
        },
    )


@router.get("/predict/model", response_class=HTMLResponse, name="predict_model")
def model_page(request: Request, who: AnalyticsPage) -> Response:
    report = read.model_report(AppState.of(request).database)
    churn = report.get("churn") or {}
    chart = None
    if churn.get("reliability"):
        bins = churn["reliability"]
        chart = {
            "days": [b["bin"] for b in bins],
            "series": [
                {"name": "predicted", "values": [round(b["predicted"], 3) for b in bins]},
                {"name": "observed", "values": [round(b["observed"], 3) for b in bins]},
            ],
        }
    return _render(request, "predict_model.html", {"report": report, "reliability": chart})


def profile_panel(request: Request, database: Database, profile_id: str) -> ProfilePanel | None:
    """CLV, P(alive), churn risk and reasons on the profile page (viewing is audited there)."""
    scores = read.profile_scores(database, profile_id)
    if scores is None:
        return None
    return ProfilePanel("Value and churn risk", "predict_panel.html", {"scores": scores})
