"""Event triggers: "when EVENT [properties match] → invite to survey S after DELAY".

``run_triggers`` reads the events that arrived since its cursor (``voc_cursors``),
samples them per trigger (a deterministic hash of trigger and event, so a re-run
picks the same events), then decides each candidate in send-time order with the
same consent/recontact rules as ``invite`` (``cxm.voc.contact``), updating the
in-memory contact history as it goes, and writes every decision — scheduled or
blocked with its reason — in one append. ``(trigger_id, event_key)`` is never
invited twice, so overlapping runs and the cursor's look-back window are safe.

The cursor is the events' ``received_at``; each run looks back ``LOOK_BACK`` before
it, because an event is only eligible once identity has stitched it to a profile
(the server stitches every 0.5 s).
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from cxm.privacy.consent_check import consent_defaults
from cxm.store import Database
from cxm.store.database import batched
from cxm.voc.config import VocSettings, voc_settings
from cxm.voc.contact import after_quiet_hours, blocked_reason
from cxm.voc.invitations import load_history, new_invitation_id, write_invitations
from cxm.voc.model import SurveyError
from cxm.voc.surveys import get_survey, require_survey

CURSOR = "triggers"
LOOK_BACK = timedelta(minutes=10)
INVITE_CHANNELS = ("email", "sms", "messaging", "push", "web", "app")
_MAX_FILTER = 20


@dataclass(frozen=True)
class Trigger:
    trigger_id: str
    survey_id: str
    event: str
    filter: dict[str, Any]
    delay_minutes: int
    sample_percent: float
    channel: str
    touchpoint: str | None
    enabled: bool

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def matches(self, properties: dict[str, Any]) -> bool:
        for key, wanted in self.filter.items():
            value = properties.get(key)
            if isinstance(wanted, list):
                if value not in wanted:
                    return False
            elif value != wanted:
                return False
        return True

    def sampled(self, event_key: str) -> bool:
        digest = hashlib.blake2b(f"{self.trigger_id}|{event_key}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % 10_000 < self.sample_percent * 100


def parse_trigger(data: Any) -> dict[str, Any]:
    """Validated trigger fields; ``SurveyError`` naming the bad field."""
    if not isinstance(data, dict):
        raise SurveyError("(body)", "an object {survey_id, event, delay_minutes, ...}")
    event = data.get("event")
    if not isinstance(event, str) or not event.strip() or len(event) > 200:
        raise SurveyError("event", "the event name, e.g. 'Ticket Resolved'")
    flt = data.get("filter") or {}
    if not isinstance(flt, dict) or len(flt) > _MAX_FILTER:
        raise SurveyError("filter", "an object {property: value or [values]}")
    delay = data.get("delay_minutes", 0)
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= 60 * 24 * 90:
        raise SurveyError("delay_minutes", "whole minutes from 0 to 129600 (90 days)")
    sample = data.get("sample_percent", 100)
    if isinstance(sample, bool) or not isinstance(sample, int | float) or not 0 < sample <= 100:
        raise SurveyError("sample_percent", "a percentage above 0 and at most 100")
    channel = data.get("channel", "email")
    if channel not in INVITE_CHANNELS:
        raise SurveyError("channel", f"one of {', '.join(INVITE_CHANNELS)}")
    touchpoint = data.get("touchpoint")
    if touchpoint is not None and not isinstance(touchpoint, str):
        raise SurveyError("touchpoint", "a text")
    return {
        "event": event.strip(),
        "filter": flt,
        "delay_minutes": delay,
        "sample_percent": float(sample),
        "channel": channel,
        "touchpoint": touchpoint,
    }


def create_trigger(
    database: Database, survey_id: str, data: Any, *, trigger_id: str | None = None
) -> Trigger:
    """Store a trigger. Sampling hashes the trigger id with each event, so a fixed
    ``trigger_id`` (the demo's) samples the same events on every run."""
    require_survey(database, survey_id)
    fields = parse_trigger(data)
    new_id = trigger_id or f"trg-{uuid.uuid4().hex[:10]}"
    trigger = Trigger(new_id, survey_id, enabled=True, **fields)
    cast = "CAST(? AS JSONB)" if database.dialect == "postgresql" else "CAST(? AS JSON)"
    database.execute(
        "INSERT INTO survey_triggers (trigger_id, survey_id, event, filter, delay_minutes, "
        f"sample_percent, channel, touchpoint, enabled, created_at) VALUES (?, ?, ?, {cast}, ?, "
        "?, ?, ?, ?, ?)",
        [
            trigger.trigger_id,
            survey_id,
            trigger.event,
            orjson.dumps(trigger.filter).decode(),
            trigger.delay_minutes,
            trigger.sample_percent,
            trigger.channel,
            trigger.touchpoint,
            True,
            datetime.now(UTC),
        ],
    )
    return trigger


def list_triggers(database: Database, survey_id: str | None = None) -> list[Trigger]:
    where, params = ("WHERE survey_id = ?", [survey_id]) if survey_id else ("", [])
    rows = database.query(
        "SELECT trigger_id, survey_id, event, CAST(filter AS TEXT), delay_minutes, sample_percent, "
        f"channel, touchpoint, enabled FROM survey_triggers {where} ORDER BY created_at",
        params,
    )
    return [
        Trigger(
            r[0],
            r[1],
            r[2],
            orjson.loads(r[3]) if r[3] else {},
            int(r[4]),
            float(r[5]),
            r[6],
            r[7],
            bool(r[8]),
        )
        for r in rows
    ]


@dataclass
class TriggerRun:
    events_matched: int = 0
    sampled_out: int = 0
    scheduled: int = 0
    blocked: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    cursor: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "events_matched": self.events_matched,
            "sampled_out": self.sampled_out,
            "scheduled": self.scheduled,
            "blocked": self.blocked,
            "blocked_by": dict(self.reasons),
            "cursor": self.cursor.isoformat() if self.cursor else None,
        }


def _cursor(database: Database) -> datetime | None:
    value = database.scalar("SELECT position_at FROM voc_cursors WHERE name = ?", [CURSOR])
    return value if isinstance(value, datetime) else None


def _save_cursor(database: Database, position: datetime) -> None:
    now = datetime.now(UTC)
    with database.transaction() as tx:
        tx.execute("DELETE FROM voc_cursors WHERE name = ?", [CURSOR])
        tx.execute(
            "INSERT INTO voc_cursors (name, position_at, updated_at) VALUES (?, ?, ?)",
            [CURSOR, position, now],
        )


def _reason_kind(reason: str) -> str:
    return reason.split(":", 1)[0]


@dataclass(frozen=True)
class Candidate:
    """A person who may be invited to a survey at ``send_at`` (before the rules)."""

    send_at: datetime
    survey_id: str
    profile_id: str
    channel: str
    touchpoint: str | None = None
    trigger_id: str | None = None
    event_key: str | None = None


def schedule(
    database: Database,
    candidates: list[Candidate],
    run: TriggerRun,
    settings: VocSettings,
) -> None:
    """Decide every candidate in send-time order (consent, global cooldown, survey
    rules; quiet hours move the time) and write all decisions in one append."""
    candidates = sorted(candidates, key=lambda c: (c.send_at, c.profile_id, c.event_key or ""))
    history = load_history(database, [c.profile_id for c in candidates])
    defaults = consent_defaults()
    surveys = {sid: require_survey(database, sid) for sid in {c.survey_id for c in candidates}}
    decided: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for c in candidates:
        survey = surveys[c.survey_id]
        reason = blocked_reason(
            history,
            c.profile_id,
            c.survey_id,
            survey.definition.rules,
            c.channel,
            c.send_at,
            settings,
            defaults,
        )
        when = c.send_at if reason else after_quiet_hours(c.send_at, settings)
        if reason:
            run.blocked += 1
            run.reasons[_reason_kind(reason)] += 1
        else:
            run.scheduled += 1
            history.add_invitation(c.profile_id, c.survey_id, when)
        decided.append(
            {
                "invitation_id": new_invitation_id(),
                "survey_id": c.survey_id,
                "profile_id": c.profile_id,
                "touchpoint": c.touchpoint or survey.definition.touchpoint,
                "channel": c.channel,
                "status": "blocked" if reason else "scheduled",
                "reason": reason or ("deferred: quiet hours" if when != c.send_at else None),
                "trigger_id": c.trigger_id,
                "event_key": c.event_key,
                "created_at": now,
                "send_at": when,
                "used_at": None,
            }
        )
    write_invitations(database, decided)


def invite_wave(
    database: Database,
    survey_id: str,
    profile_ids: list[str],
    at: datetime,
    *,
    channel: str = "email",
    settings: VocSettings | None = None,
) -> TriggerRun:
    """Invite a list of people at once (a relationship survey wave), same rules."""
    settings = settings or voc_settings()
    if channel not in INVITE_CHANNELS:
        raise SurveyError("channel", f"one of {', '.join(INVITE_CHANNELS)}")
    survey = require_survey(database, survey_id)
    run = TriggerRun(events_matched=len(profile_ids))
    touchpoint = survey.definition.touchpoint
    schedule(
        database,
        [Candidate(at, survey_id, pid, channel, touchpoint) for pid in profile_ids],
        run,
        settings,
    )
    return run


def _already_invited(database: Database, trigger_id: str, event_keys: list[str]) -> set[str]:
    """Which of these events this trigger has decided before (only they are read)."""
    done: set[str] = set()
    for chunk in batched(event_keys, 500):
        marks = ", ".join(["?"] * len(chunk))
        done.update(
            r[0]
            for r in database.query(
                "SELECT event_key FROM survey_invitations WHERE trigger_id = ? "
                f"AND event_key IN ({marks})",
                [trigger_id, *chunk],
            )
        )
    return done


def run_triggers(
    database: Database, *, settings: VocSettings | None = None, from_start: bool = False
) -> TriggerRun:
    """Invite (or record why not) for every matching event since the cursor."""
    settings = settings or voc_settings()
    run = TriggerRun()
    triggers = [t for t in list_triggers(database) if t.enabled]
    cursor = None if from_start else _cursor(database)
    since = (cursor - LOOK_BACK) if cursor else datetime(1970, 1, 1, tzinfo=UTC)
    high_water = cursor
    candidates: list[tuple[datetime, Trigger, str, str]] = []
    for trigger in triggers:
        survey = get_survey(database, trigger.survey_id)
        if survey is None or survey.status != "live":
            continue
        rows = database.query(
            "SELECT CAST(event_key AS TEXT), profile_id, timestamp, received_at, "
            "CAST(properties AS TEXT) FROM events WHERE type = 'track' AND event = ? "
            "AND received_at > ? AND profile_id IS NOT NULL",
            [trigger.event, since],
        )
        done = _already_invited(database, trigger.trigger_id, [r[0] for r in rows])
        for event_key, profile_id, at, received_at, properties in rows:
            if high_water is None or received_at > high_water:
                high_water = received_at
            if event_key in done:
                continue
            if trigger.filter and not trigger.matches(
                orjson.loads(properties) if properties else {}
            ):
                continue
            run.events_matched += 1
            if not trigger.sampled(event_key):
                run.sampled_out += 1
                continue
            send_at = at + timedelta(minutes=trigger.delay_minutes)
            candidates.append((send_at, trigger, event_key, profile_id))
    schedule(
        database,
        [
            Candidate(send_at, t.survey_id, profile_id, t.channel, t.touchpoint, t.trigger_id, key)
            for send_at, t, key, profile_id in candidates
        ],
        run,
        settings,
    )
    if high_water is not None and high_water != cursor:
        _save_cursor(database, high_water)
    run.cursor = high_water
    return run
