"""Survey invitations and their personal links (signed, single-use, bound to a person).

A link's token is the invitation id, the profile id and the touchpoint, signed with
HMAC-SHA256 (``itsdangerous``) under the app's signing key — the same key handling
as the preference-centre links (``cxm.auth.keyring.signing_key``) but a salt of its
own, so neither token can stand in for the other. "Single use" is enforced by the
store: a token's response is keyed by its invitation id and is closed once complete.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cxm.privacy.consent_check import consent_defaults
from cxm.settings import get_settings
from cxm.store import Database
from cxm.store.database import batched
from cxm.voc.config import VocSettings, voc_settings
from cxm.voc.contact import ContactHistory, after_quiet_hours, blocked_reason
from cxm.voc.model import SurveyError
from cxm.voc.surveys import require_survey

_SALT = "cxm.survey-link"
INVITATION_COLUMNS = (
    "invitation_id",
    "survey_id",
    "profile_id",
    "touchpoint",
    "channel",
    "status",
    "reason",
    "trigger_id",
    "event_key",
    "created_at",
    "send_at",
    "used_at",
)


@dataclass(frozen=True)
class Invitation:
    invitation_id: str
    survey_id: str
    profile_id: str | None
    touchpoint: str | None
    channel: str
    status: str  # scheduled | blocked | responded
    reason: str | None
    send_at: datetime
    token: str | None = None
    url: str | None = None

    @property
    def blocked(self) -> bool:
        return self.status == "blocked"

    def as_json(self) -> dict[str, Any]:
        return {
            "invitation_id": self.invitation_id,
            "survey_id": self.survey_id,
            "profile_id": self.profile_id,
            "touchpoint": self.touchpoint,
            "channel": self.channel,
            "status": self.status,
            "reason": self.reason,
            "send_at": self.send_at.isoformat(),
            "token": self.token,
            "url": self.url,
        }


class LinkError(Exception):
    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expired = expired


def _serializer(database: Database) -> URLSafeTimedSerializer:
    from cxm.auth.keyring import signing_key

    return URLSafeTimedSerializer(signing_key(database, get_settings().secret_key), salt=_SALT)


def make_token(
    database: Database, invitation_id: str, profile_id: str | None, touchpoint: str | None
) -> str:
    return str(_serializer(database).dumps({"i": invitation_id, "p": profile_id, "t": touchpoint}))


def survey_url(token: str, settings: VocSettings | None = None) -> str:
    settings = settings or voc_settings()
    return f"{settings.public_url.rstrip('/')}/s/{token}"


@dataclass(frozen=True)
class LinkSubject:
    invitation_id: str
    survey_id: str
    profile_id: str | None
    touchpoint: str | None
    channel: str
    status: str


def read_token(database: Database, token: str, settings: VocSettings | None = None) -> LinkSubject:
    """Who and what a personal link is for; ``LinkError`` when forged, expired or unknown."""
    settings = settings or voc_settings()
    try:
        payload = _serializer(database).loads(token, max_age=settings.link_days * 86400)
    except SignatureExpired as error:
        raise LinkError("this link has expired", expired=True) from error
    except BadSignature as error:
        raise LinkError("this link is not valid") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), str):
        raise LinkError("this link is not valid")
    rows = database.query(
        "SELECT survey_id, profile_id, touchpoint, channel, status FROM survey_invitations "
        "WHERE invitation_id = ?",
        [payload["i"]],
    )
    if not rows or rows[0][4] == "blocked":
        raise LinkError("this link is not valid")
    survey_id, profile_id, touchpoint, channel, status = rows[0]
    return LinkSubject(payload["i"], survey_id, profile_id, touchpoint, channel, status)


def new_invitation_id() -> str:
    return f"inv-{uuid.uuid4().hex[:16]}"


def load_history(database: Database, profile_ids: Sequence[str]) -> ContactHistory:
    """Invitations (not blocked) and consent entries of these people, in a few queries."""
    from cxm.privacy.consent import ConsentEntry

    history = ContactHistory()
    for survey_id, profile_id, send_at in _rows_for(
        database,
        "SELECT survey_id, profile_id, send_at FROM survey_invitations "
        "WHERE {filter} AND status <> 'blocked'",
        profile_ids,
    ):
        history.add_invitation(profile_id, survey_id, send_at)
    rows = _rows_for(
        database,
        "SELECT entry_id, profile_id, identifier, purpose, channel, status, recorded_at, source, "
        "wording_version, ip, user_agent FROM consent_ledger WHERE {filter} "
        "AND purpose = 'surveys'",
        profile_ids,
    )
    rows.sort(key=lambda row: (row[6], row[0]))  # oldest first, as decide() expects
    history.add_consent(ConsentEntry(*row) for row in rows)
    return history


def _rows_for(database: Database, sql: str, profile_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """Run ``sql`` with ``{filter}`` = "profile_id IN (…)", 500 ids at a time."""
    unique = list(dict.fromkeys(profile_ids))
    rows: list[tuple[Any, ...]] = []
    for chunk in batched(unique, 500):
        marks = ", ".join(["?"] * len(chunk))
        rows.extend(
            database.query(sql.replace("{filter}", f"profile_id IN ({marks})"), list(chunk))
        )
    return rows


def write_invitations(database: Database, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    columns = {name: [row.get(name) for row in rows] for name in INVITATION_COLUMNS}
    schema = pa.schema(
        [
            (name, pa.timestamp("us", tz="UTC") if name.endswith("_at") else pa.string())
            for name in INVITATION_COLUMNS
        ]
    )
    return database.append("survey_invitations", pa.table(columns, schema=schema))


def invite(
    database: Database,
    *,
    survey_id: str,
    profile_id: str,
    touchpoint: str | None,
    channel: str,
    at: datetime | None = None,
    trigger_id: str | None = None,
    event_key: str | None = None,
    settings: VocSettings | None = None,
) -> Invitation:
    """Invite a person (any identifier) to a survey, or record why not.

    Consent (purpose ``surveys``) and recontact rules are checked here; a blocked
    invitation is recorded and returned with ``status == "blocked"`` and its
    ``reason`` (no token). ``SurveyError`` for an unknown survey or person.
    """
    from cxm.identity import find_profile_id

    settings = settings or voc_settings()
    survey = require_survey(database, survey_id)
    if survey.status != "live":
        raise SurveyError("survey_id", f"survey {survey_id!r} is {survey.status}, not live", 409)
    resolved = find_profile_id(database, profile_id)
    if resolved is None:
        raise SurveyError("profile_id", f"no profile is known by {profile_id!r}", 404)
    if not channel or not isinstance(channel, str):
        raise SurveyError("channel", "a channel (email, sms, messaging, push, web, app)")
    now = at or datetime.now(UTC)
    history = load_history(database, [resolved])
    reason = blocked_reason(
        history,
        resolved,
        survey_id,
        survey.definition.rules,
        channel,
        now,
        settings,
        consent_defaults(),
    )
    send_at = now if reason else after_quiet_hours(now, settings)
    note = reason or ("deferred: quiet hours" if send_at != now else None)
    invitation_id = new_invitation_id()
    touch = touchpoint or survey.definition.touchpoint
    write_invitations(
        database,
        [
            {
                "invitation_id": invitation_id,
                "survey_id": survey_id,
                "profile_id": resolved,
                "touchpoint": touch,
                "channel": channel,
                "status": "blocked" if reason else "scheduled",
                "reason": note,
                "trigger_id": trigger_id,
                "event_key": event_key,
                "created_at": datetime.now(UTC),
                "send_at": send_at,
                "used_at": None,
            }
        ],
    )
    token = url = None
    if reason is None:
        token = make_token(database, invitation_id, resolved, touch)
        url = survey_url(token, settings)
    return Invitation(
        invitation_id,
        survey_id,
        resolved,
        touch,
        channel,
        "blocked" if reason else "scheduled",
        note,
        send_at,
        token,
        url,
    )


def list_invitations(
    database: Database, survey_id: str, *, status: str | None = None, limit: int = 200
) -> list[Invitation]:
    where, params = "WHERE survey_id = ?", [survey_id]
    if status:
        where += " AND status = ?"
        params.append(status)
    rows = database.query(
        "SELECT invitation_id, survey_id, profile_id, touchpoint, channel, status, reason, send_at "
        f"FROM survey_invitations {where} ORDER BY send_at DESC LIMIT ?",
        [*params, limit],
    )
    return [Invitation(*row) for row in rows]


def link_for(database: Database, invitation: Invitation) -> Invitation:
    """The invitation with its personal link (tokens are not stored, only re-signed)."""
    if invitation.blocked:
        return invitation
    token = make_token(
        database, invitation.invitation_id, invitation.profile_id, invitation.touchpoint
    )
    return Invitation(**{**invitation.__dict__, "token": token, "url": survey_url(token)})


def due_window(settings: VocSettings) -> timedelta:
    return timedelta(days=settings.link_days)
