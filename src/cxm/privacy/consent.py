"""The consent ledger: append-only statements of what a person allows, per purpose × channel.

Nothing is ever updated or deleted here (except by erase): a change of mind is a
new entry, and the current state of a (purpose, channel) is its latest entry.
Entries carry the identifier the person was known by when recording, the source
(web form, preference centre, call centre...), the wording version they saw and
evidence (IP, user agent), which is what a regulator asks for.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from cxm.errors import FieldError
from cxm.privacy.consent_subject import Subject, resolve_subject
from cxm.store import Database

PURPOSES = ("analytics", "personalisation", "marketing", "surveys")
CHANNELS = ("email", "sms", "push", "messaging", "phone")
ANY_CHANNEL = "*"
STATUSES = ("granted", "denied", "withdrawn")
_TEXT_LIMIT = 500


class ConsentError(FieldError):
    """Bad consent input; ``field`` names what is wrong (API answers 400, or 404 for
    an unknown person)."""

    def __init__(self, field: str, reason: str, *, unknown: bool = False) -> None:
        super().__init__(field, reason, 404 if unknown else 400)
        self.unknown = unknown


@dataclass(frozen=True)
class ConsentEntry:
    entry_id: str
    profile_id: str | None
    identifier: str
    purpose: str
    channel: str
    status: str
    recorded_at: datetime
    source: str
    wording_version: str | None
    ip: str | None
    user_agent: str | None


@dataclass(frozen=True)
class ConsentState:
    """The latest entry of one (purpose, channel)."""

    purpose: str
    channel: str
    status: str
    recorded_at: datetime
    source: str
    wording_version: str | None


def check_purpose(purpose: str, field: str = "purpose") -> str:
    if purpose not in PURPOSES:
        raise ConsentError(field, f"unknown purpose {purpose!r}; use one of {', '.join(PURPOSES)}")
    return purpose


def check_channel(channel: str, field: str = "channel") -> str:
    if channel != ANY_CHANNEL and channel not in CHANNELS:
        choices = ", ".join((*CHANNELS, ANY_CHANNEL))
        raise ConsentError(field, f"unknown channel {channel!r}; use one of {choices}")
    return channel


def _check_status(status: str) -> str:
    if status not in STATUSES:
        raise ConsentError("status", f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    return status


def _short(value: str | None, field: str) -> str | None:
    if value is not None and len(value) > _TEXT_LIMIT:
        raise ConsentError(field, f"longer than {_TEXT_LIMIT} characters")
    return value


def new_entry_id() -> str:
    """Time-ordered ids, so entries recorded in the same microsecond still sort."""
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}"


def record_consent(
    database: Database,
    identifier: str,
    purpose: str,
    channel: str,
    status: str,
    *,
    source: str,
    wording_version: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    evidence: Mapping[str, Any] | None = None,
    at: datetime | None = None,
    subject: Subject | None = None,
) -> ConsentEntry:
    """Append one statement; raises ``ConsentError`` naming the bad field."""
    check_purpose(purpose)
    check_channel(channel)
    _check_status(status)
    if not source.strip():
        raise ConsentError("source", "must not be empty (e.g. 'web-form', 'preference-centre')")
    subject = subject or resolve_subject(database, identifier)
    if subject is None:
        raise ConsentError("identifier", f"no profile is known by {identifier!r}", unknown=True)
    entry = ConsentEntry(
        entry_id=new_entry_id(),
        profile_id=subject.profile_id,
        identifier=subject.identifier,
        purpose=purpose,
        channel=channel,
        status=status,
        recorded_at=at or datetime.now(UTC),
        source=_short(source.strip(), "source") or "",
        wording_version=_short(wording_version, "wording_version"),
        ip=_short(ip, "ip"),
        user_agent=_short(user_agent, "user_agent"),
    )
    json_type = "JSONB" if database.dialect == "postgresql" else "JSON"
    database.execute(
        "INSERT INTO consent_ledger (entry_id, profile_id, identifier, purpose, channel, status, "
        "recorded_at, source, wording_version, ip, user_agent, evidence) "
        f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS {json_type}))",
        [
            entry.entry_id,
            entry.profile_id,
            entry.identifier,
            entry.purpose,
            entry.channel,
            entry.status,
            entry.recorded_at,
            entry.source,
            entry.wording_version,
            entry.ip,
            entry.user_agent,
            None if evidence is None else orjson.dumps(dict(evidence)).decode(),
        ],
    )
    return entry


def consent_history(database: Database, profile_id: str) -> list[ConsentEntry]:
    """Every entry of a person, oldest first."""
    rows = database.query(
        "SELECT entry_id, profile_id, identifier, purpose, channel, status, recorded_at, "
        "source, wording_version, ip, user_agent FROM consent_ledger "
        "WHERE profile_id = ? ORDER BY recorded_at, entry_id",
        [profile_id],
    )
    return [ConsentEntry(*row) for row in rows]


def latest_states(entries: Iterable[ConsentEntry]) -> list[ConsentState]:
    """Current state per (purpose, channel): the last entry wins (input oldest first)."""
    latest: dict[tuple[str, str], ConsentEntry] = {}
    for entry in entries:
        latest[(entry.purpose, entry.channel)] = entry
    return [
        ConsentState(e.purpose, e.channel, e.status, e.recorded_at, e.source, e.wording_version)
        for _, e in sorted(latest.items(), key=lambda item: _state_order(item[0]))
    ]


def _state_order(key: tuple[str, str]) -> tuple[int, int]:
    purpose, channel = key
    channel_rank = -1 if channel == ANY_CHANNEL else CHANNELS.index(channel)
    return PURPOSES.index(purpose), channel_rank


def current_consent(database: Database, profile_id: str) -> list[ConsentState]:
    return latest_states(consent_history(database, profile_id))
