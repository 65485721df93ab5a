"""Pages of the voc stage.

Customer-facing (no login; the signed token is the credential):
``/s/{token}`` — the hosted survey (plain HTML form, works without JavaScript), and
``/s/widget`` — the on-site widget's JSON endpoint (write key, like collection).

Dashboard: ``/surveys`` (list), ``/surveys/new`` (builder), ``/surveys/{id}``
(results), ``/cases`` (inbox), ``/kano``; and the profile page's survey panel.
Customer free text (verbatims, notes) is autoescaped by Jinja, never ``|safe``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxm.api.auth import authenticate_source
from cxm.api.body import read_json_body
from cxm.api.errors import ApiError
from cxm.api.responses import FastJSONResponse
from cxm.api.state import AppState
from cxm.auth import scopes as s
from cxm.auth.audit import OK
from cxm.auth.deps import RequirePage, audit
from cxm.auth.principal import Principal
from cxm.store import Database
from cxm.voc.cases import CASE_STATUSES, case_notes, get_case, list_cases, sla_report, update_case
from cxm.voc.hosted import form_answers, form_token_valid, hosted_state, page_form_token
from cxm.voc.invitations import LinkError, make_token, read_token
from cxm.voc.labels import labels_for
from cxm.voc.model import SurveyError
from cxm.voc.reports import (
    ces_by,
    compare_periods,
    csat_by,
    distribution,
    kano_report,
    latest_scores,
    nps_by,
    question_kinds,
    response_counts,
    topic_counts,
    verbatims,
)
from cxm.voc.responses import Submission, submit_response
from cxm.voc.surveys import create_survey, get_survey, list_surveys
from cxm.web.pages import CONTENT_SECURITY_POLICY
from cxm.web.profile_panels import ProfilePanel
from cxm.web.responses import csrf_ok as _csrf_ok
from cxm.web.templating import templates

router = APIRouter(include_in_schema=False)
AnalyticsPage = Annotated[Principal, Depends(RequirePage(s.ANALYTICS_READ))]
VocPage = Annotated[Principal, Depends(RequirePage(s.VOC_WRITE))]
PUBLIC_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_FORM_LIMIT = 400


def _db(request: Request) -> Database:
    return AppState.of(request).database


def _render(
    request: Request, name: str, context: dict[str, Any], status: int = 200, public: bool = False
) -> Response:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Content-Security-Policy"] = (
        PUBLIC_POLICY if public else CONTENT_SECURITY_POLICY
    )
    if public:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- hosted survey -------------------------------------------------------------------


def _browser_language(request: Request) -> str | None:
    first = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
    return first or None


def _message(request: Request, language: str, key: str, status: int) -> Response:
    labels = labels_for(language)
    return _render(
        request,
        "voc_message.html",
        {"lang": language, "labels": labels, "message": labels[key], "title": ""},
        status,
        public=True,
    )


def _hosted_page(
    request: Request,
    token: str,
    lang: str | None,
    page: int | None,
    error: str | None = None,
    status: int = 200,
    posted: dict[str, Any] | None = None,
) -> Response:
    database = _db(request)
    try:
        link = read_token(database, token)
    except LinkError as problem:
        return _message(
            request,
            lang or "en",
            "expired" if problem.expired else "invalid",
            410 if problem.expired else 400,
        )
    state = hosted_state(database, link, lang, page, _browser_language(request))
    labels = labels_for(state.language)
    definition = state.definition
    if state.complete or state.page >= len(state.pages):
        return _render(
            request,
            "voc_message.html",
            {
                "lang": state.language,
                "labels": labels,
                "title": definition.text(definition.title, state.language),
                "message": definition.text(definition.thanks, state.language)
                if definition.thanks
                else labels["thanks" if not state.complete or page is not None else "answered"],
            },
            status,
            public=True,
        )
    questions = state.pages[state.page]
    return _render(
        request,
        "voc_survey.html",
        {
            "lang": state.language,
            "labels": labels,
            "token": token,
            "csrf": page_form_token(database, token),
            "title": definition.text(definition.title, state.language),
            "intro": definition.text(definition.intro, state.language)
            if definition.intro and state.page == 0
            else "",
            "questions": [_question_view(q, definition, state.language, labels) for q in questions],
            "saved": _saved_values(state.answers, posted),
            "page": state.page,
            "pages": len(state.pages),
            "last": state.last,
            "error": error,
        },
        status,
        public=True,
    )


def _question_view(
    question: Any, definition: Any, language: str, labels: dict[str, str]
) -> dict[str, Any]:
    low_high = question.labels.get(language)
    kind = question.type
    if low_high is None:
        key = kind if kind in ("nps", "csat", "ces") else "rating"
        low_high = (labels[f"{key}_low"], labels[f"{key}_high"])
    return {
        "id": question.id,
        "type": kind,
        "text": definition.text(question.text, language),
        "required": question.required,
        "points": list(range(question.scale[0], question.scale[1] + 1)) if question.scale else [],
        "low": low_high[0],
        "high": low_high[1],
        "options": [(o.id, definition.text(o.text, language)) for o in question.options],
    }


def _saved_values(answers: dict[str, Any], posted: dict[str, Any] | None) -> dict[str, Any]:
    """What each field shows: the posted value after an error, else the saved answer."""
    values: dict[str, Any] = {}
    for question_id, rows in answers.items():
        for row in rows:
            if row.question_type in ("matrix", "kano"):
                if row.kano_functional:
                    values[f"{question_id}.{row.item}.functional"] = row.kano_functional
                    values[f"{question_id}.{row.item}.dysfunctional"] = row.kano_dysfunctional
                else:
                    values[f"{question_id}.{row.item}"] = str(int(row.score or 0))
            elif row.score is not None:
                values[question_id] = str(int(row.score))
            elif row.text is not None:
                values[question_id] = row.text
            else:
                values[question_id] = row.choice
    for question_id, value in (posted or {}).items():
        if isinstance(value, dict):
            for item, inner in value.items():
                if isinstance(inner, dict):
                    for side, answer in inner.items():
                        values[f"{question_id}.{item}.{side}"] = answer
                else:
                    values[f"{question_id}.{item}"] = str(inner)
        else:
            values[question_id] = value if isinstance(value, list) else str(value)
    return values


@router.get("/s/widget")
def widget_invitation(
    request: Request,
    writeKey: Annotated[str, Query(description="The site's source write key.")] = "",
    anonymousId: Annotated[str | None, Query()] = None,
    userId: Annotated[str | None, Query()] = None,
) -> Response:
    """The widget asks: has this visitor a survey waiting (a due web/app invitation)?
    200 with the survey's link and first question, or 204 when none."""
    from cxm.identity import find_profile_id

    state = AppState.of(request)
    authenticate_source(request, {"writeKey": writeKey}, state.write_keys)
    database = state.database
    profile_id = None
    for value, kind in ((userId, "user_id"), (anonymousId, "anonymous_id")):
        if value and profile_id is None:
            profile_id = find_profile_id(database, f"{kind}:{value}")
    if profile_id is None:
        return Response(status_code=204)
    rows = database.query(
        "SELECT invitation_id, survey_id, touchpoint FROM survey_invitations "
        "WHERE profile_id = ? AND status = 'scheduled' AND channel IN ('web', 'app') "
        "AND send_at <= ? ORDER BY send_at DESC LIMIT 1",
        [profile_id, datetime.now(UTC)],
    )
    if not rows:
        return Response(status_code=204)
    invitation_id, survey_id, touchpoint = rows[0]
    survey = get_survey(database, survey_id)
    if survey is None or survey.status != "live":
        return Response(status_code=204)
    token = make_token(database, invitation_id, profile_id, touchpoint)
    definition = survey.definition
    language = definition.pick_language(request.headers.get("accept-language", "").split(",")[0])
    first = definition.questions[0]
    return FastJSONResponse(
        {
            "survey_id": survey_id,
            "token": token,
            "url": f"{str(request.base_url).rstrip('/')}/s/{token}",
            "language": language,
            "title": definition.text(definition.title, language),
            "question": {
                "id": first.id,
                "type": first.type,
                "text": definition.text(first.text, language),
                "scale": list(first.scale) if first.scale else None,
            },
        }
    )


@router.post("/s/widget")
async def widget_answer(request: Request) -> Response:
    """The widget posts ``{writeKey, token, answers, complete}``; answered like the API."""
    state = AppState.of(request)
    body = await read_json_body(request, 64 * 1024)
    authenticate_source(request, body, state.write_keys)
    if not isinstance(body, dict) or not isinstance(body.get("token"), str):
        raise ApiError(400, "invalid_input", "token", "the widget token from GET /s/widget")
    try:
        link = read_token(state.database, body["token"])
        result = submit_response(
            state.database,
            link.survey_id,
            Submission(
                answers=answers if isinstance(answers := body.get("answers"), dict) else {},
                complete=bool(body.get("complete", False)),
                token=body["token"],
            ),
        )
    except LinkError as problem:
        raise ApiError(400, "invalid_input", "token", problem.reason) from problem
    except SurveyError as error:
        raise ApiError(error.status, "invalid_input", error.field, error.reason) from error
    return FastJSONResponse(
        {"response_id": result.response_id, "status": result.status}, status_code=201
    )


@router.get("/s/{token}", response_class=HTMLResponse, name="hosted_survey")
def hosted_survey(
    request: Request,
    token: str,
    lang: Annotated[str | None, Query()] = None,
    page: Annotated[int | None, Query(ge=0, le=200)] = None,
) -> Response:
    return _hosted_page(request, token, lang, page)


@router.post("/s/{token}", response_class=HTMLResponse)
async def hosted_survey_post(request: Request, token: str) -> Response:
    database = _db(request)
    form = await request.form(max_fields=_FORM_LIMIT)
    lang = form.get("lang")
    lang = lang if isinstance(lang, str) and lang else None
    try:
        link = read_token(database, token)
    except LinkError as problem:
        return _message(
            request,
            lang or "en",
            "expired" if problem.expired else "invalid",
            410 if problem.expired else 400,
        )
    csrf = form.get("csrf")
    if not isinstance(csrf, str) or not form_token_valid(database, token, csrf):
        return _message(request, lang or "en", "invalid", 403)
    page_value = form.get("page")
    page = int(page_value) if isinstance(page_value, str) and page_value.isdigit() else 0
    state = hosted_state(database, link, lang, page, _browser_language(request))
    if state.complete:
        return _hosted_page(request, token, lang, None, status=409)
    if state.page >= len(state.pages):
        return _hosted_page(request, token, lang, None)
    fields = {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}
    questions = state.pages[state.page]
    answers, missing = form_answers(questions, fields)
    labels = labels_for(state.language)
    if missing:
        return _hosted_page(
            request,
            token,
            lang,
            state.page,
            f"{labels['required']} ({', '.join(missing)})",
            400,
            answers,
        )
    try:
        submit_response(
            database,
            link.survey_id,
            Submission(answers=answers, complete=state.last, token=token, language=state.language),
        )
    except SurveyError as error:
        return _hosted_page(
            request,
            token,
            lang,
            state.page,
            f"{labels['error']} {error.field}: {error.reason}",
            400,
            answers,
        )
    target = f"/s/{token}?page={state.page + 1}" + (f"&lang={lang}" if lang else "")
    return RedirectResponse(target, status_code=303)


# --- dashboard -----------------------------------------------------------------------


@router.get("/surveys", response_class=HTMLResponse, name="surveys")
def surveys_page(request: Request, who: AnalyticsPage) -> Response:
    database = _db(request)
    rows = []
    for survey in list_surveys(database):
        nps = nps_by(database, survey.survey_id).get("all")
        counts = response_counts(database, survey.survey_id)
        rows.append({"survey": survey, "nps": nps, "counts": counts})
    return _render(request, "voc_surveys.html", {"rows": rows, "sla": sla_report(database)})


_EXAMPLE = {
    "name": "Post-purchase CSAT",
    "default_language": "en",
    "languages": ["en", "de", "zh"],
    "touchpoint": "purchase",
    "questions": [
        {
            "id": "csat",
            "type": "csat",
            "required": True,
            "text": {
                "en": "How satisfied are you with your order?",
                "de": "Wie zufrieden sind Sie mit Ihrer Bestellung?",
                "zh": "您对这次订单满意吗？",
            },
        },
        {
            "id": "why",
            "type": "text",
            "text": {
                "en": "What could we do better?",
                "de": "Was können wir besser machen?",
                "zh": "我们哪里可以做得更好？",
            },
        },
    ],
    "routing": {"owner": "service-team", "sla_hours": 48},
}


@router.get("/surveys/new", response_class=HTMLResponse, name="survey_builder")
def builder_page(request: Request, who: VocPage) -> Response:
    return _render(
        request,
        "voc_builder.html",
        {"definition": orjson.dumps(_EXAMPLE, option=orjson.OPT_INDENT_2).decode(), "error": None},
    )


@router.post("/surveys/new", response_class=HTMLResponse)
def builder_post(
    request: Request,
    who: VocPage,
    definition: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    q_type: Annotated[str, Form()] = "",
    q_text: Annotated[str, Form()] = "",
) -> Response:
    if not _csrf_ok(request, csrf):
        return _render(
            request,
            "voc_builder.html",
            {"definition": definition, "error": "csrf: reload the page"},
            403,
        )
    try:
        data = orjson.loads(definition)
    except orjson.JSONDecodeError as error:
        return _render(
            request,
            "voc_builder.html",
            {"definition": definition, "error": f"definition: not JSON ({error})"},
            400,
        )
    if q_type and q_text.strip() and isinstance(data, dict):
        questions = data.setdefault("questions", [])
        if isinstance(questions, list):
            questions.append(
                {"id": f"q{len(questions) + 1}", "type": q_type, "text": q_text.strip()}
            )
        return _render(
            request,
            "voc_builder.html",
            {"definition": orjson.dumps(data, option=orjson.OPT_INDENT_2).decode(), "error": None},
        )
    try:
        survey = create_survey(_db(request), data)
    except SurveyError as error:
        return _render(
            request,
            "voc_builder.html",
            {"definition": definition, "error": f"{error.field}: {error.reason}"},
            400,
        )
    return RedirectResponse(f"/surveys/{survey.survey_id}", status_code=303)


def _histogram(pairs: list[tuple[int, int]], low: int, high: int) -> dict[str, Any]:
    counts = dict(pairs)
    return {
        "labels": [str(i) for i in range(low, high + 1)],
        "values": [counts.get(i, 0) for i in range(low, high + 1)],
    }


def _trend(database: Database, survey_id: str, kind: str) -> dict[str, Any]:
    """Monthly trend of the survey's headline metric with its 95% band: NPS ± margin,
    CSAT % with the Wilson interval, CES mean (no band; % agree is in the table)."""
    if kind == "nps":
        nps = nps_by(database, survey_id, "month")
        points = [(m, r.score, r.low, r.high) for m, r in nps.items()]
        axis = (-100.0, 100.0)
    elif kind == "csat":
        rates = csat_by(database, survey_id, "month")
        points = [(m, r.percent, r.low, r.high) for m, r in rates.items()]
        axis = (0.0, 100.0)
    else:
        means = ces_by(database, survey_id, "month")
        points = [(m, r.mean, r.mean, r.mean) for m, r in means.items()]
        axis = (1.0, 7.0)
    return {
        "metric": kind.upper(),
        "min": axis[0],
        "max": axis[1],
        "labels": [p[0] for p in points],
        "score": [round(p[1], 2) for p in points],
        "low": [round(p[2], 2) for p in points],
        "high": [round(p[3], 2) for p in points],
    }


@router.get("/surveys/{survey_id}", response_class=HTMLResponse, name="survey_results")
def survey_results_page(
    request: Request,
    who: AnalyticsPage,
    survey_id: str,
    q: Annotated[str, Query(max_length=200)] = "",
    sentiment: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    database = _db(request)
    survey = get_survey(database, survey_id)
    if survey is None:
        return _render(
            request, "voc_message_admin.html", {"message": f"No survey {survey_id!r}."}, 404
        )
    kinds = question_kinds(database, survey_id)
    scales = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    charts = {
        kind: {
            "distribution": _histogram(distribution(database, survey_id, kind), *scales[kind]),
        }
        for kind in kinds
    }
    trend = _trend(database, survey_id, kinds[0] if kinds else "nps")
    latest = database.scalar(
        "SELECT max(answered_at) FROM survey_answers WHERE survey_id = ? AND question_type = 'nps'",
        [survey_id],
    )
    split = latest - timedelta(days=90) if latest else None
    periods = compare_periods(database, survey_id, split) if split else None
    shown = verbatims(database, survey_id, search=q or None, sentiment=sentiment or None)
    if shown:
        audit(request, "survey.verbatims", None, OK)
    return _render(
        request,
        "voc_survey_results.html",
        {
            "survey": survey,
            "counts": response_counts(database, survey_id),
            "nps": nps_by(database, survey_id).get("all"),
            "nps_by_touchpoint": nps_by(database, survey_id, "touchpoint"),
            "nps_by_language": nps_by(database, survey_id, "language"),
            "csat": csat_by(database, survey_id).get("all"),
            "ces": ces_by(database, survey_id).get("all"),
            "csat_by_language": csat_by(database, survey_id, "language"),
            "ces_by_language": ces_by(database, survey_id, "language"),
            "trend": trend,
            "periods": periods,
            "split": split,
            "charts": charts,
            "chart_json": {"trend": trend, "charts": charts},
            "verbatims": shown,
            "topics": topic_counts(database, survey_id),
            "kano": kano_report(database, survey_id),
            "q": q,
            "sentiment": sentiment,
            "sla": sla_report(database, survey_id=survey_id),
        },
    )


@router.get("/cases", response_class=HTMLResponse, name="cases")
def cases_page(
    request: Request,
    who: VocPage,
    status: Annotated[str, Query(max_length=20)] = "",
    owner: Annotated[str, Query(max_length=200)] = "",
    case: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    database = _db(request)
    chosen_status = status if status in CASE_STATUSES else None
    cases = list_cases(database, status=chosen_status, owner=owner or None, limit=200)
    selected = get_case(database, case) if case else None
    notes = case_notes(database, selected.case_id) if selected else []
    answers: list[dict[str, Any]] = []
    if selected and selected.response_id:
        answers = database.query_dicts(
            "SELECT question_id, question_type, item, score, text, sentiment_label "
            "FROM survey_answers WHERE response_id = ? ORDER BY question_id, item",
            [selected.response_id],
        )
    audit(request, "case.list", selected.profile_id if selected else None, OK)
    owners = sorted({c.owner for c in list_cases(database, limit=1000) if c.owner})
    return _render(
        request,
        "voc_cases.html",
        {
            "cases": cases,
            "status": status,
            "owner": owner,
            "owners": owners,
            "statuses": CASE_STATUSES,
            "selected": selected,
            "notes": notes,
            "answers": answers,
            "sla": sla_report(database),
            "error": None,
        },
    )


@router.post("/cases/{case_id}", response_class=HTMLResponse)
def case_update_page(
    request: Request,
    who: VocPage,
    case_id: str,
    csrf: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    owner: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    if not _csrf_ok(request, csrf):
        return _render(
            request,
            "voc_message_admin.html",
            {"message": "csrf: the form expired; reload the page."},
            403,
        )
    try:
        case = update_case(
            _db(request),
            case_id,
            author=who.actor,
            status=status or None,
            owner=owner or None,
            outcome=outcome or None,
            note=note or None,
        )
    except SurveyError as error:
        return _render(
            request,
            "voc_message_admin.html",
            {"message": f"{error.field}: {error.reason}"},
            error.status,
        )
    audit(request, "case.update", case.profile_id, OK)
    return RedirectResponse(f"/cases?case={case_id}", status_code=303)


@router.get("/kano", response_class=HTMLResponse, name="kano")
def kano_page(
    request: Request, who: AnalyticsPage, survey: Annotated[str, Query(max_length=64)] = ""
) -> Response:
    database = _db(request)
    surveys = list_surveys(database)
    with_kano = [x for x in surveys if any(q.type == "kano" for q in x.definition.questions)]
    chosen = survey or (with_kano[0].survey_id if with_kano else "")
    features = kano_report(database, chosen) if chosen else []
    points = [
        {
            "name": f.label,
            "value": [round(-f.worse, 4), round(f.better, 4)],
            "category": f.category_name,
        }
        for f in features
    ]
    return _render(
        request,
        "voc_kano.html",
        {
            "surveys": with_kano,
            "chosen": chosen,
            "features": features,
            "chart_json": {"points": points},
        },
    )


def profile_panel(request: Request, database: Database, profile_id: str) -> ProfilePanel | None:
    """The person's latest survey scores and open cases on the profile page."""
    if "survey_answers" not in database.table_names():
        return None
    scores = latest_scores(database, profile_id)
    cases = [
        c for c in list_cases(database, profile_id=profile_id, limit=20) if c.status != "closed"
    ]
    if not scores and not cases:
        return None
    return ProfilePanel(
        "Surveys and follow-up", "voc_panel.html", {"scores": scores, "cases": cases}
    )
