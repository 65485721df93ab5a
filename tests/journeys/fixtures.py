"""Tiny hand-made event logs for the journey tests, written straight into ``events``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cxm.store import Database, apply_migrations

# Monday 6 January 2025, 10:00 UTC: "day 0" of every fixture.
DAY0 = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)


def at(days: float = 0, hours: float = 0) -> datetime:
    return DAY0 + timedelta(days=days, hours=hours)


@dataclass(frozen=True)
class Ev:
    person: str
    name: str
    ts: datetime
    channel: str = "web"
    type: str = "track"
    anonymous: bool = False
    properties: dict[str, Any] = field(default_factory=dict)
    locale: str | None = None


def add_events(database: Database, events: Iterable[Ev]) -> None:
    apply_migrations(database)
    for ev in events:
        database.execute(
            "INSERT INTO events (event_key, source_id, message_id, type, event, anonymous_id, "
            "user_id, timestamp, received_at, channel, locale, properties, raw, profile_id) "
            "VALUES (CAST(? AS UUID), 'src', ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, '{}', ?)",
            [
                str(uuid.uuid4()),
                uuid.uuid4().hex,
                ev.type,
                ev.name,
                ev.person if ev.anonymous else None,
                ev.ts,
                ev.ts,
                ev.channel,
                ev.locale,
                json.dumps(ev.properties),
                None if ev.anonymous else ev.person,
            ],
        )
