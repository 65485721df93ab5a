"""The hosted preference centre: ``/preferences/{token}``, reached by a signed, expiring link.

Customer-facing, so it needs no login (the signed token is the credential), works
without JavaScript (a plain form, post-redirect-get), and speaks the person's
language (their saved preference, ``?lang=``, then the browser's). The form carries
an HMAC of its token (CSRF), and answers a bad link with a 4xx page, never a 500.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxm.api.state import AppState
from cxm.privacy.consent import ConsentError
from cxm.privacy.consent_centre import (
    CENTRE_ITEMS,
    Evidence,
    apply_choices,
    centre_state,
    item_key,
)
from cxm.privacy.consent_links import LinkError, form_token, form_token_valid, read_link_token
from cxm.privacy.consent_subject import Subject
from cxm.privacy.preferences import FREQUENCIES, TOPICS, check_preferences
from cxm.web.preference_labels import (
    LABELS,
    LANGUAGE_NAMES,
    LANGUAGES,
    WORDING_VERSION,
    pick_language,
)
from cxm.web.templating import templates

router = APIRouter(include_in_schema=False)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_FORM_LIMIT = 64


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    # Links carry a credential: never cache the page, never leak the URL as a referrer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _message(request: Request, language: str, key: str, status: int) -> Response:
    labels = LABELS[language]
    return _render(
        request,
        "preference_message.html",
        {"lang": language, "labels": labels, "message": labels[key]},
        status,
    )


def _subject(request: Request, token: str, language: str) -> Subject | Response:
    from cxm.identity import find_profile_id

    state = AppState.of(request)
    try:
        linked = read_link_token(state.database, token, state.settings)
    except LinkError as error:
        return _message(
            request,
            language,
            "expired" if error.expired else "invalid",
            410 if error.expired else 400,
        )
    profile_id = find_profile_id(state.database, linked.profile_id)
    if profile_id is None:
        return _message(request, language, "gone", 410)
    return Subject(profile_id, linked.identifier)


def _language(request: Request, saved: str | None = None) -> str:
    return pick_language(
        request.query_params.get("lang"),
        saved,
        accept_language=request.headers.get("accept-language"),
    )


def _page(
    request: Request,
    token: str,
    subject: Subject,
    language: str,
    status: int = 200,
    error: str | None = None,
) -> Response:
    state = AppState.of(request)
    current = centre_state(state.database, subject.profile_id, state.settings)
    return _render(
        request,
        "preference_centre.html",
        {
            "lang": language,
            "labels": LABELS[language],
            "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
            "items": [
                {
                    "purpose": p,
                    "channel": c,
                    "field": item_key(p, c),
                    "checked": current.allowed[(p, c)],
                }
                for p, c in CENTRE_ITEMS
            ],
            "preferences": current.preferences,
            "topics": TOPICS,
            "frequencies": FREQUENCIES,
            "channels": [c for p, c in CENTRE_ITEMS if p == "marketing"],
            "csrf": form_token(state.database, token, state.settings),
            "saved": request.query_params.get("saved") == "1",
            "error": error,
        },
        status,
    )


@router.get("/preferences/{token}", response_class=HTMLResponse, name="preference_centre")
def preference_centre(request: Request, token: str) -> Response:
    subject = _subject(request, token, _language(request))
    if isinstance(subject, Response):
        return subject
    saved = centre_state(
        AppState.of(request).database, subject.profile_id, AppState.of(request).settings
    ).preferences.language
    return _page(request, token, subject, _language(request, saved))


@router.post("/preferences/{token}", response_class=HTMLResponse)
async def save_preference_centre(request: Request, token: str) -> Response:
    state = AppState.of(request)
    language = _language(request)
    subject = _subject(request, token, language)
    if isinstance(subject, Response):
        return subject
    form = await request.form(max_fields=_FORM_LIMIT)
    submitted = form.get("csrf")
    if not isinstance(submitted, str) or not form_token_valid(
        state.database, token, submitted, state.settings
    ):
        return _message(request, language, "forbidden", 403)
    ticked = [(p, c) for p, c in CENTRE_ITEMS if form.get(item_key(p, c)) == "on"]
    try:
        preferences = check_preferences(
            [str(t) for t in form.getlist("topics")],
            str(form.get("preferred_channel") or "") or None,
            str(form.get("frequency") or "") or None,
            str(form.get("language") or "") or None,
        )
    except ConsentError as error:
        message = f"{LABELS[language]['bad_input']}: {error.field}"
        return _page(request, token, subject, language, 400, message)
    evidence = Evidence(
        request.client.host if request.client else None,
        request.headers.get("user-agent"),
        WORDING_VERSION,
    )
    apply_choices(state.database, subject, ticked, preferences, evidence, state.settings)
    shown = preferences.language or language
    return RedirectResponse(f"/preferences/{token}?saved=1&lang={shown}", status_code=303)
