"""Small hand-made rows for the KPI tests (inserted with plain SQL on either backend)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cxm.metrics.query import KpiQuery
from cxm.store import Database

MARCH = KpiQuery(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC), "week")


def at(day: str, hour: float = 0.0) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=hour)


def add_answer(
    database: Database,
    question_type: str,
    score: float,
    when: datetime,
    *,
    item: str = "",
    channel: str = "web",
    touchpoint: str = "checkout",
    profile_id: str | None = None,
    response_id: str | None = None,
) -> None:
    database.execute(
        "INSERT INTO survey_answers (response_id, survey_id, question_id, question_type, item, "
        "score, profile_id, touchpoint, channel, language, answered_at) "
        "VALUES (?, 's1', ?, ?, ?, ?, ?, ?, ?, 'en', ?)",
        [
            response_id or uuid.uuid4().hex,
            question_type if not item else f"{question_type}-{item}",
            question_type,
            item,
            score,
            profile_id,
            touchpoint,
            channel,
            when,
        ],
    )


def add_order(
    database: Database,
    profile_id: str,
    when: datetime,
    amount: float,
    items: list[dict[str, Any]] | None = None,
    currency: str = "EUR",
    channel: str = "web",
) -> None:
    database.execute(
        "INSERT INTO orders (source, order_id, customer_id, timestamp, amount, currency, items, "
        "channel, imported_at, profile_id) VALUES ('shop', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            uuid.uuid4().hex,
            profile_id,
            when,
            amount,
            currency,
            json.dumps(items or []),
            channel,
            when,
            profile_id,
        ],
    )


def add_ticket(
    database: Database,
    profile_id: str,
    created: datetime,
    *,
    response_hours: float | None = None,
    resolution_hours: float | None = None,
    contacts: int = 1,
    reopened: bool = False,
    csat: int | None = None,
    channel: str = "email",
) -> None:
    database.execute(
        "INSERT INTO tickets (source, ticket_id, customer_id, created_at, first_response_at, "
        "resolved_at, channel, contacts_count, reopened, csat, imported_at, profile_id) "
        "VALUES ('desk', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            uuid.uuid4().hex,
            profile_id,
            created,
            None if response_hours is None else created + timedelta(hours=response_hours),
            None if resolution_hours is None else created + timedelta(hours=resolution_hours),
            channel,
            contacts,
            reopened,
            csat,
            created,
            profile_id,
        ],
    )


def add_event(
    database: Database, profile_id: str, event: str, when: datetime, channel: str = "web"
) -> None:
    message = uuid.uuid4().hex
    database.execute(
        "INSERT INTO events (event_key, source_id, message_id, type, event, timestamp, "
        "received_at, channel, raw, profile_id) "
        "VALUES (CAST(? AS UUID), 'site', ?, 'track', ?, ?, ?, ?, '{}', ?)",
        [str(uuid.uuid4()), message, event, when, when, channel, profile_id],
    )


def add_customer(database: Database, profile_id: str, country: str) -> None:
    database.execute(
        "INSERT INTO customer_records (source, record_id, country, imported_at, profile_id) "
        "VALUES ('crm', ?, ?, ?, ?)",
        [profile_id, country, at("2024-01-01"), profile_id],
    )
