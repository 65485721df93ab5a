"""``may_contact``: the one "may I?" call the tracker and every later action make.

How a decision is reached, in order:

1. The latest ledger entry for (purpose, channel) or (purpose, ``*``), whichever is
   newer: ``granted`` allows, ``denied``/``withdrawn`` refuse. A later withdrawal
   "for every channel" therefore overrides an earlier e-mail opt-in, and a later
   e-mail opt-in overrides an earlier blanket refusal.
2. Nothing recorded: the purpose's default. GDPR-safe defaults (Art. 6/7 GDPR,
   ePrivacy Art. 5(3)): marketing, personalisation and surveys need a prior opt-in
   (``denied``); analytics follows the tracker's consent mode
   (``CXM_TRACKER_CONSENT_REQUIRED``): allowed when the site does not require
   consent for measurement, refused when it does. ``CXM_CONSENT_DEFAULTS`` (JSON,
   e.g. ``{"surveys": "granted"}`` for transactional surveys under legitimate
   interest) overrides per purpose; values: ``granted``, ``denied``, ``tracker``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxm.privacy.consent import (
    ANY_CHANNEL,
    ConsentEntry,
    ConsentError,
    check_channel,
    check_purpose,
    consent_history,
)
from cxm.settings import Settings, get_settings
from cxm.store import Database

BUILT_IN_DEFAULTS: dict[str, str] = {
    "analytics": "tracker",
    "personalisation": "denied",
    "marketing": "denied",
    "surveys": "denied",
}
DEFAULT_POLICIES = ("granted", "denied", "tracker")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    purpose: str
    channel: str
    status: str | None
    basis: str  # "recorded" (a ledger entry decided) or "default"


def consent_defaults(settings: Settings | None = None) -> dict[str, bool]:
    """Whether each purpose is allowed when a person has recorded nothing."""
    settings = settings or get_settings()
    policies = {**BUILT_IN_DEFAULTS, **settings.consent_defaults}
    allowed: dict[str, bool] = {}
    for purpose, policy in policies.items():
        check_purpose(purpose, "CXM_CONSENT_DEFAULTS")
        if policy not in DEFAULT_POLICIES:
            raise ConsentError(
                "CXM_CONSENT_DEFAULTS",
                f"{purpose}: {policy!r} is not one of {', '.join(DEFAULT_POLICIES)}",
            )
        if policy == "tracker":
            allowed[purpose] = not settings.tracker_consent_required
        else:
            allowed[purpose] = policy == "granted"
    return allowed


def _deciding_entry(entries: list[ConsentEntry], purpose: str, channel: str) -> ConsentEntry | None:
    wanted = {channel, ANY_CHANNEL}
    latest = None
    for entry in entries:  # oldest first, so the last match is the newest
        if entry.purpose == purpose and entry.channel in wanted:
            latest = entry
    return latest


def decide(
    entries: list[ConsentEntry],
    purpose: str,
    channel: str = ANY_CHANNEL,
    defaults: Mapping[str, bool] | None = None,
) -> Decision:
    """The decision for already-loaded ledger entries (oldest first)."""
    check_purpose(purpose)
    check_channel(channel)
    entry = _deciding_entry(entries, purpose, channel)
    where = "any channel" if channel == ANY_CHANNEL else channel
    if entry is not None:
        scope = "every channel" if entry.channel == ANY_CHANNEL else entry.channel
        reason = (
            f"{purpose} via {scope} {entry.status} on {entry.recorded_at:%Y-%m-%d} "
            f"(source {entry.source}"
            + (f", wording {entry.wording_version}" if entry.wording_version else "")
            + ")"
        )
        return Decision(
            entry.status == "granted", reason, purpose, channel, entry.status, "recorded"
        )
    allowed = (defaults if defaults is not None else consent_defaults())[purpose]
    verdict = "allowed" if allowed else "not allowed"
    reason = f"nothing recorded for {purpose} via {where}; default: {verdict}"
    return Decision(allowed, reason, purpose, channel, None, "default")


def may_contact(
    database: Database,
    profile_id: str,
    purpose: str,
    channel: str = ANY_CHANNEL,
    *,
    settings: Settings | None = None,
) -> Decision:
    """May we act on ``profile_id`` for ``purpose`` through ``channel``? One call, one answer.

    ``profile_id`` may be any identifier identity knows (merged ids are followed);
    an unknown person gets the defaults, since nobody has recorded anything for them.
    """
    from cxm.identity import find_profile_id

    check_purpose(purpose)
    check_channel(channel)
    resolved = find_profile_id(database, profile_id) or profile_id
    entries = consent_history(database, resolved)
    return decide(entries, purpose, channel, consent_defaults(settings))
