"""Sign in and out of the dashboard: a login form, one-time login links, logout.

The session cookie carries a random token signed with the secret key; the
server keeps its hash, so logout ends it everywhere. Forms are CSRF-safe: the
login form double-submits a random cookie, logout carries a token bound to the
session, and the cookie is SameSite=Lax and HttpOnly.
"""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxm.api.state import AppState
from cxm.auth import check_password, end_session, redeem_login_link, start_session
from cxm.auth.audit import DENIED, OK, record_audit
from cxm.auth.deps import (
    SESSION_COOKIE,
    LoginRequired,
    PageForbidden,
    csrf_token,
    session_principal,
)
from cxm.auth.keyring import signing_key
from cxm.auth.tokens import new_token, sign
from cxm.auth.users import User
from cxm.web.pages import CONTENT_SECURITY_POLICY
from cxm.web.templating import templates

LOGIN_CSRF_COOKIE = "cxm_login_csrf"


def _safe_next(target: str | None) -> str:
    # Only paths on this site: '//evil.example' or 'https://...' would be an open redirect.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _page(request: Request, name: str, context: dict[str, object], status: int) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


def _login_form(request: Request, next_path: str, error: str | None, status: int) -> HTMLResponse:
    token = new_token(16)
    response = _page(
        request, "login.html", {"next": next_path, "csrf": token, "error": error}, status
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _signed_in(request: Request, user: User, next_path: str) -> RedirectResponse:
    state = AppState.of(request)
    token = start_session(state.database, user, state.settings.session_hours)
    cookie = sign(token, signing_key(state.database, state.settings.secret_key), "session")
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=state.settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    record_audit(
        state.database,
        actor=f"user:{user.name}",
        via="web",
        action="auth.login",
        resource="/login",
        subject=None,
        outcome=OK,
    )
    return response


def login_page(request: Request, next: str = "/") -> Response:
    if session_principal(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_form(request, _safe_next(next), None, 200)


def login_submit(
    request: Request,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf):
        return _login_form(request, _safe_next(next), "The form expired; please try again.", 400)
    state = AppState.of(request)
    user = check_password(state.database, name.strip(), password)
    if user is None:
        record_audit(
            state.database,
            actor=f"user:{name.strip()[:64]}",
            via="web",
            action="auth.login",
            resource="/login",
            subject=None,
            outcome=DENIED,
        )
        return _login_form(request, _safe_next(next), "Unknown name or wrong password.", 401)
    return _signed_in(request, user, next)


def login_link(request: Request, token: str, next: str = "/") -> Response:
    user = redeem_login_link(AppState.of(request).database, token)
    if user is None:
        return _login_form(
            request, _safe_next(next), "This login link was used or has expired.", 401
        )
    return _signed_in(request, user, next)


def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    state = AppState.of(request)
    principal = session_principal(request)
    if principal is not None and principal.session_hash is not None:
        expected = csrf_token(state.database, state.settings.secret_key, principal.session_hash)
        if not hmac.compare_digest(expected, csrf):
            return HTMLResponse("Logout needs the form's token.", status_code=400)
        end_session(state.database, principal.session_hash)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def install(app: FastAPI) -> None:
    app.add_api_route("/login", login_page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/login", login_submit, methods=["POST"], include_in_schema=False)
    app.add_api_route("/login/link/{token}", login_link, methods=["GET"], include_in_schema=False)
    app.add_api_route("/logout", logout, methods=["POST"], include_in_schema=False)

    @app.exception_handler(LoginRequired)
    async def _login_required(_: Request, error: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(error.next_path)}", status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, error: PageForbidden) -> Response:
        context: dict[str, object] = {"role": error.principal.role, "scope": error.scope}
        return _page(request, "forbidden.html", context, 403)
