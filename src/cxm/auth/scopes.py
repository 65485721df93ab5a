"""Scopes and the roles that grant them: the one declared table of who may do what.

Scopes (``resource:verb``):

==================  =====================================================================
``events:write``    send events (``/v1/track`` ... ``/v1/batch``). Granted only to a
                    source's write key, which grants nothing else.
``analytics:read``  aggregate metrics, dashboards and pseudonymised data
                    (``analytics_events``): no raw personal data.
``profiles:read``   read unified profiles, identifiers, timelines and consent.
``profiles:write``  change traits and record consent/preferences on a person's behalf.
``identity:write``  merge/unmerge profiles, accept or reject probable links (review queue).
``segments:write``  manage segments, journeys and campaigns.
``voc:write``       manage surveys and triggers; work closed-loop cases.
``models:write``    train and run predictive and recommendation models.
``privacy:export``  export everything held about a person.
``privacy:erase``   erase a person.
``audit:read``      read the audit log.
``auth:admin``      manage users and API keys.
==================  =====================================================================

Roles (the departments of the "organisational silos"):

- **admin**: every scope.
- **analyst** (data team): ``analytics:read``, ``models:write``; never raw personal data,
  never erase.
- **marketing**: ``analytics:read``, ``profiles:read``, ``segments:write``, ``voc:write``.
- **service** (contact centre): ``profiles:read``, ``profiles:write`` (consent and
  preferences a customer gives on the phone), ``voc:write`` (closed-loop cases).
"""

from __future__ import annotations

EVENTS_WRITE = "events:write"
ANALYTICS_READ = "analytics:read"
PROFILES_READ = "profiles:read"
PROFILES_WRITE = "profiles:write"
IDENTITY_WRITE = "identity:write"
SEGMENTS_WRITE = "segments:write"
VOC_WRITE = "voc:write"
MODELS_WRITE = "models:write"
PRIVACY_EXPORT = "privacy:export"
PRIVACY_ERASE = "privacy:erase"
AUDIT_READ = "audit:read"
AUTH_ADMIN = "auth:admin"

# Scopes an API key or user may hold; events:write belongs to write keys alone.
SCOPES: tuple[str, ...] = (
    ANALYTICS_READ,
    PROFILES_READ,
    PROFILES_WRITE,
    IDENTITY_WRITE,
    SEGMENTS_WRITE,
    VOC_WRITE,
    MODELS_WRITE,
    PRIVACY_EXPORT,
    PRIVACY_ERASE,
    AUDIT_READ,
    AUTH_ADMIN,
)

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset(SCOPES),
    "analyst": frozenset({ANALYTICS_READ, MODELS_WRITE}),
    "marketing": frozenset({ANALYTICS_READ, PROFILES_READ, SEGMENTS_WRITE, VOC_WRITE}),
    "service": frozenset({PROFILES_READ, PROFILES_WRITE, VOC_WRITE}),
}
ROLES: tuple[str, ...] = tuple(ROLE_SCOPES)


class UnknownScopeError(ValueError):
    def __init__(self, field: str, value: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"{field}: {value!r} is not one of {', '.join(allowed)}")
        self.field = field
        self.reason = f"{value!r} is not one of {', '.join(allowed)}"


def check_scopes(scopes: list[str]) -> frozenset[str]:
    for scope in scopes:
        if scope not in SCOPES:
            raise UnknownScopeError("scope", scope, SCOPES)
    if not scopes:
        raise UnknownScopeError("scope", "", SCOPES)
    return frozenset(scopes)


def check_role(role: str) -> str:
    if role not in ROLE_SCOPES:
        raise UnknownScopeError("role", role, ROLES)
    return role
