"""FastAPI dependencies that authenticate the caller and check one scope.

Use on every ``/v1`` route except collection (which keeps write-key auth)::

    from cxm.auth.deps import ProfilesRead

    @router.get("/v1/profiles/{identifier}")
    def show(identifier: str, principal: ProfilesRead) -> ...: ...

or, when the handler does not need the caller, ``dependencies=[Depends(RequireScope(...))]``.

Scope names (the role table is in ``cxm.auth.scopes``): ``analytics:read``,
``profiles:read``, ``profiles:write`` (traits, consent, preferences), ``identity:write``
(merge, unmerge, link review), ``segments:write``, ``privacy:export``,
``privacy:erase``, ``audit:read``, ``auth:admin``. A source write key holds only
``events:write`` and is refused here with 403.

Credentials, in order: ``Authorization: Bearer cxmk_...`` (or the key as the HTTP
Basic username), then the ``cxm_session`` cookie of a signed-in user. With
``CXM_AUTH_REQUIRED=false`` every caller is the all-scopes ``local`` principal.

Pages use ``RequirePage(scope)`` / ``SignedIn``: no session redirects to
``/login?next=...``; a missing scope answers a 403 page.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from cxm.api.errors import ApiError
from cxm.api.state import AppState
from cxm.auth import scopes as s
from cxm.auth.audit import DENIED, record_audit
from cxm.auth.keyring import signing_key
from cxm.auth.keys import resolve_api_key
from cxm.auth.principal import LOCAL, Principal
from cxm.auth.sessions import session_user
from cxm.auth.tokens import sign, unsign
from cxm.store import Database

SESSION_COOKIE = "cxm_session"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class LoginRequired(Exception):
    """A page was asked for without a session; the web layer redirects to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageForbidden(Exception):
    """A signed-in user lacks the page's scope; the web layer answers a 403 page."""

    def __init__(self, principal: Principal, scope: str) -> None:
        super().__init__(scope)
        self.principal = principal
        self.scope = scope


def _presented_key(request: Request) -> str | None:
    from cxm.api.auth import _basic_username

    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    return _basic_username(header)


def session_principal(request: Request) -> Principal | None:
    """The signed-in user of this request's session cookie, if any."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    state = AppState.of(request)
    token = unsign(cookie, signing_key(state.database, state.settings.secret_key), "session")
    found = session_user(state.database, token) if token else None
    if found is None:
        return None
    session_hash, user = found
    return user.principal(session_hash)


def csrf_token(database: Database, secret_key: str, session_hash: str) -> str:
    """The token a signed-in user's forms carry (bound to the session, so logout needs it)."""
    return sign(session_hash, signing_key(database, secret_key), "csrf").rpartition(".")[2]


def _same_origin(request: Request) -> bool:
    # Cookies ride along on cross-site requests; only same-origin callers may change data.
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


def authenticate(request: Request) -> Principal:
    """The caller of an API request, or a 401/403 ApiError."""
    state = AppState.of(request)
    if not state.settings.auth_required:
        return LOCAL
    presented = _presented_key(request)
    if presented is not None:
        key = resolve_api_key(state.database, presented)
        if key is not None:
            return key.principal()
        if state.write_keys.resolve(presented) is not None:
            raise ApiError(
                403,
                "forbidden",
                "Authorization",
                "a source write key can only send events (/v1/track ... /v1/batch)",
            )
        raise ApiError(401, "unauthorized", "Authorization", "unknown or revoked API key")
    principal = session_principal(request)
    if principal is None:
        raise ApiError(
            401,
            "unauthorized",
            "Authorization",
            "send an API key as 'Authorization: Bearer cxmk_...' or sign in",
        )
    if request.method in _UNSAFE and not _same_origin(request):
        raise ApiError(403, "forbidden", "Origin", "cross-site requests may not change data")
    return principal


class RequireScope:
    """Dependency: authenticate, then require ``scope``; returns the Principal."""

    def __init__(self, scope: str) -> None:
        if scope not in s.SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        self.scope = scope

    def __call__(self, request: Request) -> Principal:
        principal = authenticate(request)
        request.state.principal = principal
        if not principal.may(self.scope):
            audit(request, f"scope:{self.scope}", None, DENIED)
            who = f"role {principal.role!r}" if principal.role else "this API key"
            raise ApiError(
                403, "forbidden", "Authorization", f"{who} lacks the scope {self.scope!r}"
            )
        return principal


class RequirePage:
    """Page dependency: a signed-in user, holding ``scope`` when one is given."""

    def __init__(self, scope: str | None = None) -> None:
        if scope is not None and scope not in s.SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        self.scope = scope

    def __call__(self, request: Request) -> Principal:
        state = AppState.of(request)
        principal = session_principal(request) if state.settings.auth_required else LOCAL
        if principal is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(quote(target, safe="/?=&"))
        request.state.principal = principal
        if principal.session_hash is not None:
            request.state.csrf_token = csrf_token(
                state.database, state.settings.secret_key, principal.session_hash
            )
        if self.scope is not None and not principal.may(self.scope):
            audit(request, f"scope:{self.scope}", None, DENIED)
            raise PageForbidden(principal, self.scope)
        return principal


AnalyticsRead = Annotated[Principal, Depends(RequireScope(s.ANALYTICS_READ))]
ProfilesRead = Annotated[Principal, Depends(RequireScope(s.PROFILES_READ))]
ProfilesWrite = Annotated[Principal, Depends(RequireScope(s.PROFILES_WRITE))]
IdentityWrite = Annotated[Principal, Depends(RequireScope(s.IDENTITY_WRITE))]
SegmentsWrite = Annotated[Principal, Depends(RequireScope(s.SEGMENTS_WRITE))]
PrivacyExport = Annotated[Principal, Depends(RequireScope(s.PRIVACY_EXPORT))]
PrivacyErase = Annotated[Principal, Depends(RequireScope(s.PRIVACY_ERASE))]
AuditRead = Annotated[Principal, Depends(RequireScope(s.AUDIT_READ))]
AuthAdmin = Annotated[Principal, Depends(RequireScope(s.AUTH_ADMIN))]
SignedIn = Annotated[Principal, Depends(RequirePage())]
ProfilesPage = Annotated[Principal, Depends(RequirePage(s.PROFILES_READ))]
IdentityPage = Annotated[Principal, Depends(RequirePage(s.IDENTITY_WRITE))]
PrivacyPage = Annotated[Principal, Depends(RequirePage(s.PRIVACY_EXPORT))]
AdminPage = Annotated[Principal, Depends(RequirePage(s.AUTH_ADMIN))]


def audit(request: Request, action: str, subject: str | None, outcome: str = "ok") -> None:
    """Log a read or change of personal data made by this request's principal.

    ``subject`` is a profile id, or pass the identifier through
    ``cxm.auth.audit.identifier_subject`` first: never a raw identifier. The
    resource is the route's template (``/v1/profiles/{identifier}``), not the URL,
    so no identifier reaches the log through the path either.
    """
    principal: Principal = getattr(request.state, "principal", LOCAL)
    route = request.scope.get("route")
    resource = getattr(route, "path", request.url.path)
    via = "api" if resource.startswith("/v1") else "web"
    record_audit(
        AppState.of(request).database,
        actor=principal.actor,
        via=via,
        action=action,
        resource=f"{request.method} {resource}",
        subject=subject,
        outcome=outcome,
    )
