"""Signed, expiring links to the hosted preference centre, and their form's CSRF field.

A link carries the profile id and a keyed hash of the identifier it was made for
(so the URL holds no e-mail address or phone number), signed with
HMAC-SHA256 (``itsdangerous``) under the app's signing key (``CXM_SECRET_KEY``, or
one generated on first use and kept in the database, see ``cxm.auth.keyring``) and
a salt of its own, so a preference link can never serve as a login cookie or the
other way round. The form's hidden field is an HMAC of the link token: a page on
another site cannot compute it, and it cannot be replayed against another person.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cxm.privacy.consent import ConsentError
from cxm.privacy.consent_subject import resolve_subject
from cxm.settings import Settings, get_settings
from cxm.store import Database

_SALT = "cxm.preference-centre"
_FORM_PURPOSE = b"cxm.preference-form:"
DEFAULT_LINK_DAYS = 30


class LinkError(Exception):
    """A preference link that cannot be used; ``expired`` tells the page what to say."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expired = expired


@dataclass(frozen=True)
class LinkSubject:
    profile_id: str
    identifier: str


def _key(database: Database, settings: Settings) -> str:
    from cxm.auth.keyring import signing_key

    return signing_key(database, settings.secret_key)


def _serializer(database: Database, settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_key(database, settings), salt=_SALT)


def make_link_token(database: Database, identifier: str, settings: Settings | None = None) -> str:
    """A token for the person ``identifier`` names; ``ConsentError`` when unknown."""
    settings = settings or get_settings()
    subject = resolve_subject(database, identifier)
    if subject is None:
        raise ConsentError("identifier", f"no profile is known by {identifier!r}", unknown=True)
    payload = {
        "p": subject.profile_id,
        "h": _identifier_hash(database, subject.identifier, settings),
    }
    return str(_serializer(database, settings).dumps(payload))


def _identifier_hash(database: Database, identifier: str, settings: Settings) -> str:
    key = _key(database, settings).encode()
    return hmac.new(key, b"cxm.link-identifier:" + identifier.encode(), "sha256").hexdigest()[:20]


def _identifier_for(database: Database, profile_id: str, hashed: str, settings: Settings) -> str:
    """Which of the person's identifiers the link was made for (``profile:<id>`` when it
    is no longer theirs, e.g. after an unmerge)."""
    from cxm.identity import identifiers_of

    for known in identifiers_of(database, profile_id):
        label = f"{known.id_type}:{known.id_value}"
        if hmac.compare_digest(_identifier_hash(database, label, settings), hashed):
            return label
    return f"profile:{profile_id}"


def preference_link(
    database: Database, identifier: str, base_url: str, settings: Settings | None = None
) -> str:
    return f"{base_url.rstrip('/')}/preferences/{make_link_token(database, identifier, settings)}"


def link_lifetime(settings: Settings | None = None) -> timedelta:
    settings = settings or get_settings()
    return timedelta(days=settings.preference_link_days)


def read_link_token(
    database: Database, token: str, settings: Settings | None = None
) -> LinkSubject:
    """Who a token is for; ``LinkError`` when forged, damaged or older than its lifetime."""
    settings = settings or get_settings()
    max_age = int(link_lifetime(settings).total_seconds())
    try:
        payload = _serializer(database, settings).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise LinkError("this link has expired", expired=True) from error
    except BadSignature as error:
        raise LinkError("this link is not valid") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), str):
        raise LinkError("this link is not valid")
    identifier = _identifier_for(database, payload["p"], str(payload.get("h", "")), settings)
    return LinkSubject(payload["p"], identifier)


def form_token(database: Database, token: str, settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    key = _key(database, settings).encode()
    return hmac.new(key, _FORM_PURPOSE + token.encode(), hashlib.sha256).hexdigest()


def form_token_valid(
    database: Database, token: str, submitted: str, settings: Settings | None = None
) -> bool:
    return hmac.compare_digest(form_token(database, token, settings), submitted)
