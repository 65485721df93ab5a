"""Small hand-made people for engage tests: profiles, records, events, consent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cxm.collect.sources import Source, create_source
from cxm.engage.system_events import event_row, write_events
from cxm.privacy.consent import record_consent
from cxm.store import Database

NOW = datetime.now(UTC)


def add_profile(
    database: Database,
    profile_id: str,
    *,
    country: str | None = None,
    email: str | None = None,
    traits: dict[str, Any] | None = None,
) -> None:
    database.execute(
        "INSERT INTO profiles (profile_id, created_at, updated_at) VALUES (?, ?, ?)",
        [profile_id, NOW, NOW],
    )
    database.execute(
        "INSERT INTO identifiers (id_type, id_value, profile_id, first_seen_at, last_seen_at) "
        "VALUES ('user_id', ?, ?, ?, ?)",
        [f"u-{profile_id}", profile_id, NOW, NOW],
    )
    if country or email or traits:
        import orjson

        database.execute(
            "INSERT INTO customer_records (source, record_id, email, country, traits, "
            "imported_at, profile_id) VALUES ('crm', ?, ?, ?, ?, ?, ?)",
            [
                f"R-{profile_id}",
                email,
                country,
                orjson.dumps(traits or {}).decode(),
                NOW,
                profile_id,
            ],
        )


_source: dict[int, Source] = {}


def shop_source(database: Database) -> Source:
    if id(database) not in _source:
        _source[id(database)] = create_source(database, f"shop-{uuid.uuid4().hex[:6]}")
    return _source[id(database)]


def add_event(
    database: Database,
    profile_id: str,
    event: str,
    *,
    ago: timedelta = timedelta(minutes=5),
    properties: dict[str, Any] | None = None,
) -> None:
    row = event_row(
        shop_source(database),
        profile_id=f"u-{profile_id}",
        event=event,
        message_id=uuid.uuid4().hex,
        properties=properties or {},
        when=NOW - ago,
    )
    row["profile_id"] = profile_id
    write_events(database, [row])


def grant(database: Database, profile_id: str, purpose: str, channel: str = "*") -> None:
    record_consent(database, profile_id, purpose, channel, "granted", source="test")
