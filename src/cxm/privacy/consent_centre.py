"""What the hosted preference centre shows and how a submitted form becomes ledger entries.

Each box shows the person's *effective* decision (recorded, or the default). On
save only changes are recorded: a newly ticked box is ``granted``; an unticked box
that was granted is ``withdrawn``, one that was allowed only by default is
``denied``. Submitting an unchanged form therefore writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cxm.privacy.consent import ANY_CHANNEL, CHANNELS, consent_history, record_consent
from cxm.privacy.consent_check import consent_defaults, decide
from cxm.privacy.consent_subject import Subject
from cxm.privacy.preferences import Preferences, get_preferences, save_preferences
from cxm.settings import Settings
from cxm.store import Database

SOURCE = "preference-centre"
# Marketing is asked per channel; the other purposes once, for every channel.
CENTRE_ITEMS: tuple[tuple[str, str], ...] = (
    *(("marketing", channel) for channel in CHANNELS),
    ("personalisation", ANY_CHANNEL),
    ("surveys", ANY_CHANNEL),
    ("analytics", ANY_CHANNEL),
)


@dataclass(frozen=True)
class CentreState:
    allowed: dict[tuple[str, str], bool]
    recorded: dict[tuple[str, str], str | None]
    preferences: Preferences


@dataclass(frozen=True)
class Evidence:
    ip: str | None
    user_agent: str | None
    wording_version: str


def item_key(purpose: str, channel: str) -> str:
    """The form field name of one box (``consent.marketing.email``)."""
    return f"consent.{purpose}.{'any' if channel == ANY_CHANNEL else channel}"


def centre_state(database: Database, profile_id: str, settings: Settings) -> CentreState:
    entries = consent_history(database, profile_id)
    defaults = consent_defaults(settings)
    allowed: dict[tuple[str, str], bool] = {}
    recorded: dict[tuple[str, str], str | None] = {}
    for purpose, channel in CENTRE_ITEMS:
        decision = decide(entries, purpose, channel, defaults)
        allowed[(purpose, channel)] = decision.allowed
        recorded[(purpose, channel)] = decision.status
    return CentreState(allowed, recorded, get_preferences(database, profile_id))


def apply_choices(
    database: Database,
    subject: Subject,
    ticked: Iterable[tuple[str, str]],
    preferences: Preferences,
    evidence: Evidence,
    settings: Settings,
) -> int:
    """Record what changed; returns how many ledger/preference entries were written."""
    state = centre_state(database, subject.profile_id, settings)
    chosen = set(ticked)
    written = 0
    for item in CENTRE_ITEMS:
        now_allowed = item in chosen
        if now_allowed == state.allowed[item]:
            continue
        if now_allowed:
            status = "granted"
        else:
            status = "withdrawn" if state.recorded[item] == "granted" else "denied"
        record_consent(
            database,
            subject.identifier,
            item[0],
            item[1],
            status,
            source=SOURCE,
            wording_version=evidence.wording_version,
            ip=evidence.ip,
            user_agent=evidence.user_agent,
            subject=subject,
        )
        written += 1
    before = state.preferences
    if (
        preferences.topics,
        preferences.preferred_channel,
        preferences.frequency,
        preferences.language,
    ) != (before.topics, before.preferred_channel, before.frequency, before.language):
        save_preferences(database, subject.identifier, preferences, source=SOURCE, subject=subject)
        written += 1
    return written
