"""``/identity/review``: probable links in the grey band, side by side, to accept or reject.

Thin: ``identity:write`` page guard, call ``cxm.identity``, audit, render. The
decision is a same-origin form POST carrying the session's CSRF token.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxm.api.state import AppState
from cxm.auth.deps import IdentityPage, audit
from cxm.identity import IdentityError, accept_review, list_reviews, reject_review, review_records
from cxm.web.pages import CONTENT_SECURITY_POLICY
from cxm.web.templating import templates

router = APIRouter(include_in_schema=False)
FIELDS = ("first_name", "last_name", "email", "phone", "birth_date", "address_line1", "postcode",
          "city", "country")  # fmt: skip


def _render(request: Request, context: dict[str, object], status: int = 200) -> Response:
    response = templates.TemplateResponse(
        request, "identity_review.html", context, status_code=status
    )
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def _page(request: Request, error: str | None = None, status: int = 200) -> Response:
    database = AppState.of(request).database
    reviews = list_reviews(database, "pending", 50)
    audit(request, "identity.reviews.view", None)
    context: dict[str, object] = {
        "reviews": reviews,
        "records": review_records(database, reviews),
        "fields": FIELDS,
        "error": error,
    }
    return _render(request, context, status)


@router.get("/identity", response_class=HTMLResponse, name="identity")
@router.get("/identity/review", response_class=HTMLResponse, name="identity_review")
def review_page(request: Request, who: IdentityPage) -> Response:
    return _page(request)


@router.post("/identity/review/{review_id}", response_class=HTMLResponse)
def decide(
    request: Request,
    who: IdentityPage,
    review_id: str,
    decision: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    expected = getattr(request.state, "csrf_token", None)
    if expected is not None and not hmac.compare_digest(expected, csrf):
        return _page(request, "csrf: the form expired; reload the page and try again", 403)
    database = AppState.of(request).database
    try:
        if decision == "accept":
            accept_review(database, review_id, who.actor)
        elif decision == "reject":
            reject_review(database, review_id, who.actor)
        else:
            return _page(request, "decision: must be accept or reject", 400)
    except IdentityError as error:
        return _page(request, f"{error.field}: {error.reason}", error.status)
    audit(request, f"identity.review.{decision}", review_id)
    return RedirectResponse("/identity/review", status_code=303)
