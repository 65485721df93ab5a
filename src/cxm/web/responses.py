"""How every dashboard page answers: the template, the page CSP, and the form CSRF check."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from cxm.web.pages import CONTENT_SECURITY_POLICY
from cxm.web.templating import templates


def render_page(
    request: Request, name: str, context: Mapping[str, Any], status: int = 200
) -> Response:
    """Render a dashboard template with the pages' Content-Security-Policy (scripts and
    styles only from this origin, so an injected script in customer text cannot run)."""
    response = templates.TemplateResponse(request, name, dict(context), status_code=status)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def csrf_ok(request: Request, submitted: str) -> bool:
    """A signed-in form post carries the session's CSRF token; with sign-in turned off
    (``CXM_AUTH_REQUIRED=false``) there is no session and no token to check."""
    expected = getattr(request.state, "csrf_token", None)
    return expected is None or hmac.compare_digest(expected, submitted)
