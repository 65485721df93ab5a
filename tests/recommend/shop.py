"""A tiny shop with two tastes, written straight into the tables identity fills.

Items A1..A4 (one taste) and B1..B4 (the other). People a1..a4 browse and buy A items,
b1..b4 B items; a5 has one view only. Interactions are spread over 20 days before
``NOW`` so a split at ``SPLIT`` leaves a test period.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from cxm.store import Database

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SPLIT = NOW - timedelta(days=5)


def _json(database: Database) -> str:
    return "JSONB" if database.dialect == "postgresql" else "JSON"


def add_profile(database: Database, profile_id: str, email: str) -> None:
    database.execute(
        "INSERT INTO profiles (profile_id, created_at, updated_at) VALUES (?, ?, ?)",
        [profile_id, NOW, NOW],
    )
    database.execute(
        "INSERT INTO identifiers (id_type, id_value, profile_id, first_seen_at, last_seen_at) "
        "VALUES ('email', ?, ?, ?, ?)",
        [email, profile_id, NOW, NOW],
    )


def add_event(
    database: Database,
    profile_id: str | None,
    event: str,
    properties: dict[str, Any],
    at: datetime,
    anonymous_id: str | None = None,
) -> None:
    message_id = uuid.uuid4().hex
    key = str(uuid.UUID(hashlib.md5(f"src\x1f{message_id}".encode()).hexdigest()))
    json_type = _json(database)
    database.execute(
        "INSERT INTO events (event_key, source_id, message_id, type, event, timestamp, "
        "received_at, channel, anonymous_id, properties, raw, profile_id) VALUES "
        f"(CAST(? AS UUID), 'src', ?, 'track', ?, ?, ?, 'web', ?, CAST(? AS {json_type}), "
        f"CAST('{{}}' AS {json_type}), ?)",
        [
            key,
            message_id,
            event,
            at,
            at,
            anonymous_id,
            orjson.dumps(properties).decode(),
            profile_id,
        ],
    )


def view(database: Database, who: str, item: str, days_ago: float, name: str = "") -> None:
    properties = {"product_id": item, "name": name or f"Item {item}"}
    add_event(database, who, "Product Viewed", properties, NOW - timedelta(days=days_ago))


def buy(database: Database, who: str, items: list[str], days_ago: float) -> None:
    properties = {"order_id": f"o-{who}-{days_ago}", "products": [{"product_id": i} for i in items]}
    add_event(database, who, "Order Completed", properties, NOW - timedelta(days=days_ago))


def build_shop(database: Database) -> None:
    for group in ("a", "b"):
        upper = group.upper()
        for n in range(1, 5):
            who = f"p-{group}{n}"
            add_profile(database, who, f"{group}{n}@example.com")
            # Before the split: each views three of the four items of their taste ...
            for offset, item in enumerate(range(n, n + 3)):
                view(database, who, f"{upper}{(item - 1) % 4 + 1}", 15 - offset)
            # ... and buys one.
            buy(database, who, [f"{upper}{n}"], 10)
            # After the split: the fourth item of their taste.
            view(database, who, f"{upper}{(n + 2) % 4 + 1}", 2)
    add_profile(database, "p-a5", "a5@example.com")
    view(database, "p-a5", "A1", 12)
    add_profile(database, "p-new", "new@example.com")  # no history at all
