"""``get_profile``: the unified profile of whoever an identifier names, derived on read."""

from __future__ import annotations

from datetime import UTC, date, datetime

from cxm.privacy.consent import consent_history, latest_states
from cxm.privacy.preferences import get_preferences
from cxm.profiles import timeline_adapters as _timeline_adapters  # noqa: F401  (registers)
from cxm.profiles.model import Profile, ProfileIdentifier, SpendByCurrency
from cxm.profiles.observations import earliest, observations_of
from cxm.profiles.survivorship import TRAIT_RULES, TraitRule, resolve_traits
from cxm.profiles.timeline import load_timeline
from cxm.profiles.value import LifecycleRules, assess_value, lifecycle_stage
from cxm.settings import get_settings
from cxm.store import Database

# Source-system traits that say when the person signed up (tenure starts there).
SIGNUP_TRAITS = ("created_at", "registered_at", "joined_on", "signup_date", "member_since")


def _signup_dates(values: list[object]) -> list[datetime | None]:
    found: list[datetime | None] = []
    for value in values:
        if isinstance(value, datetime):
            found.append(value if value.tzinfo else value.replace(tzinfo=UTC))
            continue
        try:
            day = date.fromisoformat(str(value)[:10])
        except ValueError:
            continue
        found.append(datetime(day.year, day.month, day.day, tzinfo=UTC))
    return found


def _spend(database: Database, profile_id: str) -> tuple[list[SpendByCurrency], list[datetime]]:
    rows = database.query(
        "SELECT currency, count(*), sum(amount), min(timestamp), max(timestamp) "
        "FROM orders WHERE profile_id = ? GROUP BY currency",
        [profile_id],
    )
    spend = [SpendByCurrency(str(r[0]), float(r[2] or 0.0), int(r[1])) for r in rows]
    return spend, [r[3] for r in rows] + [r[4] for r in rows]


def profile_sources(identifier_types: list[str], observed: list[str]) -> tuple[str, ...]:
    """Source systems that know the person: per-source identifier types and trait sources."""
    found = set(observed)
    for id_type in identifier_types:
        _, sep, source = id_type.partition(":")
        if sep and source:
            found.add(source)
    return tuple(sorted(found))


def get_profile(
    database: Database,
    identifier: str,
    *,
    timeline_limit: int = 20,
    now: datetime | None = None,
    trait_rules: dict[str, TraitRule] | None = None,
    lifecycle_rules: LifecycleRules | None = None,
) -> Profile | None:
    """The profile ``identifier`` names (any identifier, merged ids followed), or None.

    ``timeline_limit=0`` leaves the timeline out (``load_timeline`` pages it).
    """
    from cxm.identity import current_profile_id, identifiers_of_current, profile_of_identifier

    # The card's usual case is a current profile id: its row answers both "is it
    # current?" and the stamps, one query where find_profile_id + stamps took two.
    text = identifier.strip()
    row = database.query(
        "SELECT merged_into, created_at, updated_at FROM profiles WHERE profile_id = ?", [text]
    )
    if row and row[0][0] is None:
        profile_id = text
        created_at, updated_at = row[0][1], row[0][2]
    else:
        found = (
            current_profile_id(database, row[0][0])
            if row
            else profile_of_identifier(database, text)
        )
        if found is None:
            return None
        profile_id = found
        stamps = database.query(
            "SELECT created_at, updated_at FROM profiles WHERE profile_id = ?", [profile_id]
        )
        created_at, updated_at = stamps[0] if stamps else (None, None)
    now = now or datetime.now(UTC)
    identifiers = tuple(
        ProfileIdentifier(i.id_type, i.id_value, i.first_seen_at, i.last_seen_at, i.shared)
        # merged_into was already followed above: no second hop.
        for i in identifiers_of_current(database, profile_id)
    )
    observations = observations_of(database, profile_id)
    traits = resolve_traits(observations, get_settings().source_trust, trait_rules or TRAIT_RULES)
    spend, order_times = _spend(database, profile_id)
    signups = _signup_dates(
        [o.values[k] for o in observations for k in SIGNUP_TRAITS if k in o.values]
    )
    first_seen = earliest([*(i.first_seen_at for i in identifiers), *order_times, *signups])
    value = assess_value(
        spend,
        earliest(order_times[: len(spend)]),
        max(order_times[len(spend) :], default=None),
        first_seen,
        now,
    )
    return Profile(
        profile_id=profile_id,
        created_at=created_at,
        updated_at=updated_at,
        identifiers=identifiers,
        sources=profile_sources([i.id_type for i in identifiers], [o.source for o in observations]),
        traits=traits,
        value=value,
        lifecycle=lifecycle_stage(value, now, lifecycle_rules),
        consent=tuple(latest_states(consent_history(database, profile_id))),
        preferences=get_preferences(database, profile_id),
        timeline=load_timeline(database, profile_id, limit=timeline_limit)
        if timeline_limit
        else None,
    )
