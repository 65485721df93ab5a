"""Zero-party preferences: what a person tells us they want (topics, channel, frequency,
language).

Kept as append-only snapshots (``preference_entries``): each save stores the whole
set, the current preferences are the latest snapshot. After a merge the newest
snapshot of either person wins, and nothing collides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from cxm.privacy.consent import CHANNELS, ConsentError, new_entry_id
from cxm.privacy.consent_subject import Subject, resolve_subject
from cxm.store import Database

TOPICS = ("new_arrivals", "offers", "home", "apparel", "events", "sustainability", "tips")
FREQUENCIES = ("daily", "weekly", "monthly", "occasionally")
LANGUAGES = ("en", "de", "zh")
_MAX_TOPICS = 20


@dataclass(frozen=True)
class Preferences:
    topics: tuple[str, ...] = ()
    preferred_channel: str | None = None
    frequency: str | None = None
    language: str | None = None
    recorded_at: datetime | None = None
    source: str | None = None


def _one_of(value: str | None, choices: Iterable[str], field: str) -> str | None:
    if value is None or value == "":
        return None
    options = tuple(choices)
    if value not in options:
        raise ConsentError(field, f"unknown value {value!r}; use one of {', '.join(options)}")
    return value


def check_preferences(
    topics: Iterable[str] = (),
    preferred_channel: str | None = None,
    frequency: str | None = None,
    language: str | None = None,
) -> Preferences:
    """Validated preferences (unsaved); raises ``ConsentError`` naming the bad field."""
    chosen: list[str] = []
    for index, topic in enumerate(topics):
        if topic not in TOPICS:
            raise ConsentError(
                f"topics.{index}", f"unknown topic {topic!r}; use any of {', '.join(TOPICS)}"
            )
        if topic not in chosen:
            chosen.append(topic)
    if len(chosen) > _MAX_TOPICS:
        raise ConsentError("topics", f"at most {_MAX_TOPICS} topics")
    return Preferences(
        topics=tuple(chosen),
        preferred_channel=_one_of(preferred_channel, CHANNELS, "preferred_channel"),
        frequency=_one_of(frequency, FREQUENCIES, "frequency"),
        language=_one_of(language, LANGUAGES, "language"),
    )


def save_preferences(
    database: Database,
    identifier: str,
    preferences: Preferences,
    *,
    source: str,
    subject: Subject | None = None,
    at: datetime | None = None,
) -> Preferences:
    subject = subject or resolve_subject(database, identifier)
    if subject is None:
        raise ConsentError("identifier", f"no profile is known by {identifier!r}", unknown=True)
    if not source.strip():
        raise ConsentError("source", "must not be empty")
    saved = Preferences(
        topics=preferences.topics,
        preferred_channel=preferences.preferred_channel,
        frequency=preferences.frequency,
        language=preferences.language,
        recorded_at=at or datetime.now(UTC),
        source=source.strip(),
    )
    json_type = "JSONB" if database.dialect == "postgresql" else "JSON"
    database.execute(
        "INSERT INTO preference_entries (entry_id, profile_id, identifier, topics, "
        "preferred_channel, frequency, language, recorded_at, source) "
        f"VALUES (?, ?, ?, CAST(? AS {json_type}), ?, ?, ?, ?, ?)",
        [
            new_entry_id(),
            subject.profile_id,
            subject.identifier,
            orjson.dumps(list(saved.topics)).decode(),
            saved.preferred_channel,
            saved.frequency,
            saved.language,
            saved.recorded_at,
            saved.source,
        ],
    )
    return saved


def get_preferences(database: Database, profile_id: str) -> Preferences:
    """The latest snapshot, or empty preferences when the person never said anything."""
    rows = database.query(
        "SELECT CAST(topics AS TEXT), preferred_channel, frequency, language, recorded_at, "
        "source FROM preference_entries WHERE profile_id = ? "
        "ORDER BY recorded_at DESC, entry_id DESC LIMIT 1",
        [profile_id],
    )
    if not rows:
        return Preferences()
    topics, channel, frequency, language, recorded_at, source = rows[0]
    return Preferences(
        tuple(orjson.loads(topics)) if topics else (),
        channel,
        frequency,
        language,
        recorded_at,
        source,
    )
