"""May we invite this person to this survey now? Consent, recontact rules, quiet hours.

Pure decisions over already-loaded history, so the trigger run can decide thousands
of invitations from two queries, and ``invite`` decides one from the same code.

Order of checks (the first failing one is the recorded reason):
1. consent: ``may_contact(..., "surveys", channel)`` (``decide`` over loaded entries);
2. the global cooldown across every survey (``CXM_VOC_RECONTACT_DAYS``, default 7);
3. the survey's own rules (``cooldown_days`` for the same survey, ``max_per_person``).
Quiet hours never block: they move the send time to the end of the quiet window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cxm.privacy.consent import CHANNELS, ConsentEntry
from cxm.privacy.consent_check import decide
from cxm.voc.config import VocSettings
from cxm.voc.model import Rules


@dataclass(frozen=True)
class PastInvitation:
    survey_id: str
    send_at: datetime


def consent_channel(channel: str) -> str:
    """The consent ledger's channel for an invitation channel (web/app widget → any)."""
    return channel if channel in CHANNELS else "*"


class ContactHistory:
    """Invitations already made (not blocked) and consent entries, per profile."""

    def __init__(self) -> None:
        self.invitations: dict[str, list[PastInvitation]] = defaultdict(list)
        self.consent: dict[str, list[ConsentEntry]] = defaultdict(list)

    def add_invitation(self, profile_id: str, survey_id: str, send_at: datetime) -> None:
        self.invitations[profile_id].append(PastInvitation(survey_id, send_at))

    def add_consent(self, entries: Iterable[ConsentEntry]) -> None:
        for entry in entries:
            if entry.profile_id:
                self.consent[entry.profile_id].append(entry)


def blocked_reason(
    history: ContactHistory,
    profile_id: str,
    survey_id: str,
    rules: Rules,
    channel: str,
    at: datetime,
    settings: VocSettings,
    consent_defaults: dict[str, bool],
) -> str | None:
    decision = decide(
        history.consent.get(profile_id, []), "surveys", consent_channel(channel), consent_defaults
    )
    if not decision.allowed:
        return f"consent: {decision.reason}"
    past = history.invitations.get(profile_id, [])
    window = timedelta(days=settings.recontact_days)
    for earlier in past:
        if abs(at - earlier.send_at) < window:
            return (
                f"recontact: invited to {earlier.survey_id} on {earlier.send_at:%Y-%m-%d}, "
                f"within the {settings.recontact_days:g}-day cooldown"
            )
    same = [p for p in past if p.survey_id == survey_id]
    own = timedelta(days=rules.cooldown_days)
    for earlier in same:
        if abs(at - earlier.send_at) < own:
            return (
                f"survey rule: already invited on {earlier.send_at:%Y-%m-%d} "
                f"({rules.cooldown_days:g}-day rule)"
            )
    if rules.max_per_person is not None and len(same) >= rules.max_per_person:
        return f"survey rule: at most {rules.max_per_person} invitation(s) per person"
    return None


def after_quiet_hours(at: datetime, settings: VocSettings) -> datetime:
    """``at``, or the end of the quiet window (UTC hours) it falls in."""
    start, end = settings.quiet_start_hour, settings.quiet_end_hour
    if start == end:
        return at
    hour = at.hour
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return at
    moved = at.replace(hour=end, minute=0, second=0, microsecond=0)
    if moved <= at:
        moved += timedelta(days=1)
    return moved
