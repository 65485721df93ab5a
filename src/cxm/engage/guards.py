"""Before every send: consent, preferred channel, frequency caps, quiet hours.

Order and outcome:

1. channel ``preferred`` becomes the person's preferred channel (preference centre),
   else e-mail;
2. consent for (journey purpose, channel) via ``may_contact`` — refused → **blocked**
   (reason ``consent: …``);
3. frequency caps over the outbox (decided sends: pending, claimed, sent, dead) in the
   last 24 h / 7 days, per channel and over all channels, tightened by the person's
   stated frequency (weekly → 1 a week, monthly → 1 in 30 days) — over → **blocked**
   (reason ``cap: …``);
4. quiet hours in the person's time zone (trait ``timezone``, else their country's
   zone, else the default setting) — inside → **deferred**: the message is queued
   with ``not_before`` = the end of the quiet period, not dropped (a reminder sent at
   8:00 still helps; a dropped one never does). Caps count it when it is queued.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cxm.engage.config import EngageSettings
from cxm.privacy.consent_check import Decision, may_contact
from cxm.privacy.preferences import get_preferences
from cxm.store import Database, Transaction

# Countries of the demo and common markets; a person with a timezone trait overrides.
COUNTRY_ZONES = {
    "DE": "Europe/Berlin",
    "AT": "Europe/Vienna",
    "CH": "Europe/Zurich",
    "GB": "Europe/London",
    "UK": "Europe/London",
    "IE": "Europe/Dublin",
    "FR": "Europe/Paris",
    "NL": "Europe/Amsterdam",
    "CN": "Asia/Shanghai",
    "HK": "Asia/Hong_Kong",
    "TW": "Asia/Taipei",
    "JP": "Asia/Tokyo",
    "US": "America/New_York",
    "CA": "America/Toronto",
    "AU": "Australia/Sydney",
}
_COUNTRY_NAMES = {
    "germany": "DE",
    "deutschland": "DE",
    "china": "CN",
    "中国": "CN",
    "united kingdom": "GB",
    "united states": "US",
    "usa": "US",
}
_LIVE = ("pending", "claimed", "sent", "dead")


@dataclass(frozen=True)
class Person:
    profile_id: str
    timezone: ZoneInfo
    language: str
    email: str | None
    phone: str | None
    preferred_channel: str | None
    frequency: str | None


@dataclass(frozen=True)
class Verdict:
    outcome: str  # send | blocked | deferred
    channel: str | None
    reason: str
    not_before: datetime


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _country_code(value: str | None) -> str | None:
    if not value:
        return None
    text = value.strip()
    return _COUNTRY_NAMES.get(text.lower(), text.upper())


def load_person(database: Database, profile_id: str, settings: EngageSettings) -> Person:
    from cxm.engage.conditions import _json_text

    tz_sql = _json_text(database.dialect, "traits", "timezone")
    rows = database.query(
        f"SELECT {tz_sql}, country, email, phone FROM customer_records WHERE profile_id = ? "
        "ORDER BY imported_at DESC",
        [profile_id],
    )
    identify = database.query(
        f"SELECT {tz_sql}, {_json_text(database.dialect, 'traits', 'email')} FROM events "
        "WHERE profile_id = ? AND type = 'identify' ORDER BY timestamp DESC LIMIT 20",
        [profile_id],
    )
    zone = None
    for tz_name, *_ in [*identify, *rows]:
        zone = zone or _zone(tz_name)
    for row in rows:
        code = _country_code(row[1])
        if zone is None and code in COUNTRY_ZONES:
            zone = _zone(COUNTRY_ZONES[code])
    email = next((r[2] for r in rows if r[2]), None) or next((r[1] for r in identify if r[1]), None)
    phone = next((r[3] for r in rows if r[3]), None)
    if email is None or phone is None:
        ids = database.query(
            "SELECT id_type, id_value FROM identifiers WHERE profile_id = ? "
            "AND id_type IN ('email', 'phone') ORDER BY last_seen_at DESC",
            [profile_id],
        )
        email = email or next((v for t, v in ids if t == "email"), None)
        phone = phone or next((v for t, v in ids if t == "phone"), None)
    prefs = get_preferences(database, profile_id)
    language = prefs.language
    if language is None:
        code = next((_country_code(r[1]) for r in rows if r[1]), None)
        language = {"DE": "de", "AT": "de", "CH": "de", "CN": "zh", "TW": "zh"}.get(
            code or "", "en"
        )
    return Person(
        profile_id,
        zone or _zone(settings.default_timezone) or ZoneInfo("UTC"),
        language,
        email,
        phone,
        prefs.preferred_channel,
        prefs.frequency,
    )


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, zone: ZoneInfo, start: str, end: str) -> datetime | None:
    """The end of the quiet period ``now`` falls in (UTC-aware), or None when not quiet."""
    local = now.astimezone(zone)
    begin, finish = _clock(start), _clock(end)
    current = local.time()
    if begin == finish:
        return None
    if begin < finish:
        inside = begin <= current < finish
        end_day = local.date()
    else:  # spans midnight, e.g. 21:00–08:00
        inside = current >= begin or current < finish
        end_day = local.date() + timedelta(days=1) if current >= begin else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, finish, tzinfo=zone).astimezone(now.tzinfo)


def next_local_time(now: datetime, zone: ZoneInfo, at: str) -> datetime:
    """The next moment (after ``now``) the person's clock shows ``at`` (HH:MM)."""
    local = now.astimezone(zone)
    target = datetime.combine(local.date(), _clock(at), tzinfo=zone)
    if target <= local:
        target = datetime.combine(local.date() + timedelta(days=1), _clock(at), tzinfo=zone)
    return target.astimezone(now.tzinfo)


def _sent_since(tx: Transaction, profile_id: str, since: datetime, channel: str | None) -> int:
    marks = ", ".join("?" for _ in _LIVE)
    sql = (
        "SELECT count(*) FROM engage_outbox WHERE profile_id = ? AND created_at >= ? "
        f"AND status IN ({marks}) AND channel IS NOT NULL"
    )
    params: list[object] = [profile_id, since, *_LIVE]
    if channel is not None:
        sql += " AND channel = ?"
        params.append(channel)
    return int(tx.query(sql, params)[0][0])


# Sends decided earlier in the same engine batch, not yet in the outbox table:
# (profile_id, channel, since) -> count.
Buffered = Callable[[str, str | None, datetime], int]


def _none_buffered(profile_id: str, channel: str | None, since: datetime) -> int:
    return 0


def check_caps(
    tx: Transaction,
    person: Person,
    channel: str,
    now: datetime,
    settings: EngageSettings,
    buffered: Buffered = _none_buffered,
) -> str | None:
    """The cap this send would break, or None."""
    day, week = now - timedelta(days=1), now - timedelta(days=7)
    limits: list[tuple[str, datetime, str | None, int]] = [
        ("channel per day", day, channel, settings.cap_channel_day),
        ("channel per week", week, channel, settings.cap_channel_week),
        ("total per day", day, None, settings.cap_total_day),
        ("total per week", week, None, settings.cap_total_week),
    ]
    if person.frequency == "weekly":
        limits.append(("preferred frequency weekly", week, None, 1))
    elif person.frequency == "monthly":
        limits.append(("preferred frequency monthly", now - timedelta(days=30), None, 1))
    for label, since, on, limit in limits:
        used = _sent_since(tx, person.profile_id, since, on) + buffered(
            person.profile_id, on, since
        )
        if used >= limit:
            where = f"{channel} " if on else ""
            return f"cap: {where}{label} ({used}/{limit})"
    return None


def decide_send(
    database: Database,
    tx: Transaction,
    person: Person | None,
    purpose: str,
    channel: str | None,
    now: datetime,
    settings: EngageSettings,
    buffered: Buffered = _none_buffered,
    consent: Callable[[str, str, str], Decision] | None = None,
) -> Verdict:
    """Apply the four rules for one contact; ``channel`` None = no contact (internal)."""
    if channel is None or person is None:
        return Verdict("send", None, "internal action", now)
    if channel == "preferred":
        wanted = person.preferred_channel
        channel = wanted if wanted in ("email", "sms", "messaging", "push") else "email"
    if consent is not None:
        decision = consent(person.profile_id, purpose, channel)
    else:
        decision = may_contact(database, person.profile_id, purpose, channel)
    if not decision.allowed:
        return Verdict("blocked", channel, f"consent: {decision.reason}", now)
    if channel == "email" and not person.email:
        return Verdict("blocked", channel, "no e-mail address known", now)
    if channel in ("sms", "messaging") and not person.phone:
        return Verdict("blocked", channel, "no phone number known", now)
    capped = check_caps(tx, person, channel, now, settings, buffered)
    if capped:
        return Verdict("blocked", channel, capped, now)
    until = quiet_until(now, person.timezone, settings.quiet_start, settings.quiet_end)
    if until is not None:
        return Verdict(
            "deferred",
            channel,
            f"quiet hours in {person.timezone.key} until {until:%H:%M} UTC",
            until,
        )
    return Verdict("send", channel, "allowed", now)
