"""Test people written straight into the tables identity fills (profiles, identifiers,
and rows carrying profile_id), so profile tests do not depend on how stitching works."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from cxm.identity.rows import record_identify_traits
from cxm.store import Database

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _json_type(database: Database) -> str:
    return "JSONB" if database.dialect == "postgresql" else "JSON"


def add_profile(
    database: Database,
    profile_id: str,
    identifiers: list[tuple[str, str]],
    *,
    merged_into: str | None = None,
    seen: datetime = NOW - timedelta(days=400),
) -> str:
    database.execute(
        "INSERT INTO profiles (profile_id, created_at, updated_at, merged_into) "
        "VALUES (?, ?, ?, ?)",
        [profile_id, seen, seen, merged_into],
    )
    for id_type, value in identifiers:
        database.execute(
            "INSERT INTO identifiers (id_type, id_value, profile_id, first_seen_at, last_seen_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [id_type, value, profile_id, seen, seen],
        )
    return profile_id


def add_record(
    database: Database,
    profile_id: str,
    source: str,
    record_id: str,
    *,
    imported_at: datetime = NOW,
    traits: dict[str, Any] | None = None,
    **fields: str | None,
) -> None:
    names = list(fields)
    columns = ", ".join(["source", "record_id", "profile_id", "imported_at", *names, "traits"])
    marks = ", ".join(["?"] * (4 + len(names)) + [f"CAST(? AS {_json_type(database)})"])
    database.execute(
        f"INSERT INTO customer_records ({columns}) VALUES ({marks})",
        [
            source,
            record_id,
            profile_id,
            imported_at,
            *fields.values(),
            orjson.dumps(traits).decode() if traits else None,
        ],
    )


def add_event(
    database: Database,
    profile_id: str | None,
    at: datetime,
    *,
    type: str = "track",
    event: str | None = "Product Viewed",
    traits: dict[str, Any] | None = None,
    message_id: str | None = None,
    channel: str = "web",
    source_id: str = "src-test",
    page_url: str | None = None,
    anonymous_id: str | None = None,
    user_id: str | None = None,
) -> str:
    message_id = message_id or uuid.uuid4().hex
    key = str(uuid.UUID(hashlib.md5(f"{source_id}\x1f{message_id}".encode()).hexdigest()))
    json_type = _json_type(database)
    database.execute(
        "INSERT INTO events (event_key, source_id, message_id, type, event, timestamp, "
        "received_at, channel, page_url, anonymous_id, user_id, traits, raw, profile_id) VALUES "
        f"(CAST(? AS UUID), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS {json_type}), "
        f"CAST(? AS {json_type}), ?)",
        [
            key,
            source_id,
            message_id,
            type,
            event,
            at,
            at,
            channel,
            page_url,
            anonymous_id,
            user_id,
            orjson.dumps(traits).decode() if traits else None,
            "{}",
            profile_id,
        ],
    )
    if type == "identify" and profile_id is not None:
        # What stitching does when it attributes an identify call (identity/rows.py).
        with database.transaction() as tx:
            record_identify_traits(tx, [key])
    return key


def add_order(
    database: Database,
    profile_id: str,
    order_id: str,
    at: datetime,
    amount: float,
    currency: str = "EUR",
    source: str = "shop-web",
) -> None:
    database.execute(
        "INSERT INTO orders (source, order_id, customer_id, timestamp, amount, currency, items, "
        f"channel, imported_at, profile_id) VALUES (?, ?, ?, ?, ?, ?, CAST(? AS "
        f"{_json_type(database)}), ?, ?, ?)",
        [source, order_id, "c1", at, amount, currency, '[{"sku": "A"}]', "web", NOW, profile_id],
    )


def add_ticket(
    database: Database, profile_id: str, ticket_id: str, at: datetime, subject: str
) -> None:
    database.execute(
        "INSERT INTO tickets (source, ticket_id, customer_id, created_at, channel, subject, "
        "imported_at, profile_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ["helpdesk", ticket_id, "c1", at, "email", subject, NOW, profile_id],
    )


def add_review(
    database: Database, profile_id: str, review_id: str, at: datetime, text: str
) -> None:
    database.execute(
        "INSERT INTO reviews (source, review_id, rating, text, language, posted_at, imported_at, "
        "profile_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ["trustpilot", review_id, 4.0, text, "en", at, NOW, profile_id],
    )
