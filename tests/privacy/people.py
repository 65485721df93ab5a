"""A rich, hand-made pair of people spread over every personal-data table.

Ana (profile p-ana, which absorbed p-ana-old) has resolved rows and rows identity
has not reached yet; Bob must survive Ana's erasure untouched, and so must the
shared device both used.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from cxm.store import Database

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

# Every value that identifies Ana; after erase none may appear in any column.
ANA_VALUES = (
    "ana.lopez@example.de",
    "+4917012345678",
    "anon-ana-laptop",
    "anon-ana-phone",
    "1000001",
    "CRM-ANA-1",
    "LOY-7391-ANA",
    "ana_reviews_lopez",
    "p-ana-old",
    "p-ana",
)
BOB_EMAIL = "bob.smith@example.com"
SHARED_DEVICE = "anon-store-kiosk"


def insert(database: Database, table: str, **columns: Any) -> None:
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    database.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(columns.values()))


def event(
    database: Database,
    anonymous_id: str | None,
    user_id: str | None,
    profile_id: str | None,
    traits: str = "{}",
) -> None:
    raw = f'{{"anonymousId": "{anonymous_id}", "userId": "{user_id}", "traits": {traits}}}'
    insert(
        database,
        "events",
        event_key=str(uuid.uuid4()),
        source_id="src-web",
        message_id=uuid.uuid4().hex,
        type="identify" if user_id else "page",
        anonymous_id=anonymous_id,
        user_id=user_id,
        timestamp=NOW,
        received_at=NOW,
        channel="web",
        ip="203.0.113.7",
        traits=traits,
        raw=raw,
        profile_id=profile_id,
    )


def identifier(database: Database, id_type: str, value: str, profile: str | None) -> None:
    insert(
        database,
        "identifiers",
        id_type=id_type,
        id_value=value,
        profile_id=profile,
        first_seen_at=NOW,
        last_seen_at=NOW,
        shared=profile is None,
    )


def record(
    database: Database,
    source: str,
    record_id: str,
    email: str | None,
    phone: str | None,
    profile: str | None,
    first_name: str,
) -> None:
    insert(
        database,
        "customer_records",
        source=source,
        record_id=record_id,
        first_name=first_name,
        email=email,
        phone=phone,
        imported_at=NOW,
        profile_id=profile,
    )


def load_people(database: Database) -> None:
    for profile, merged_into in (("p-ana", None), ("p-ana-old", "p-ana"), ("p-bob", None)):
        insert(
            database,
            "profiles",
            profile_id=profile,
            created_at=NOW,
            updated_at=NOW,
            merged_into=merged_into,
        )
    for id_type, value in (
        ("email", "ana.lopez@example.de"),
        ("phone", "+4917012345678"),
        ("anonymous_id", "anon-ana-laptop"),
        ("user_id", "1000001"),
        ("record:shop", "1000001"),
        ("record:crm", "CRM-ANA-1"),
    ):
        identifier(database, id_type, value, "p-ana")
    identifier(database, "email", BOB_EMAIL, "p-bob")
    identifier(database, "record:crm", "CRM-BOB-9", "p-bob")
    identifier(database, "anonymous_id", SHARED_DEVICE, None)  # shared: never merges

    # Ana: resolved, not yet resolved (identify of a new device), and device-only events.
    event(database, "anon-ana-laptop", None, "p-ana")
    event(database, "anon-ana-phone", "1000001", None, '{"email": "Ana.Lopez@example.de"}')
    event(database, "anon-ana-phone", None, None)
    event(database, SHARED_DEVICE, "1000001", None)  # Ana logged in on the kiosk
    event(database, SHARED_DEVICE, None, None)  # someone on the kiosk: not Ana's
    event(database, "anon-bob", "bob-77", "p-bob", f'{{"email": "{BOB_EMAIL}"}}')

    record(database, "crm", "CRM-ANA-1", "ana.lopez@example.de", "+4917012345678", "p-ana", "Ana")
    record(database, "shop", "1000001", " ANA.LOPEZ@example.de", None, "p-ana", "Ana")
    record(database, "loyalty", "LOY-7391-ANA", None, "+4917012345678", None, "Ana")
    record(database, "crm", "CRM-BOB-9", BOB_EMAIL, "+15550100", "p-bob", "Bob")

    for order_id, customer, profile in (
        ("W-1", "1000001", None),
        ("S-1", "LOY-7391-ANA", "p-ana"),
        ("W-2", "bob-77", "p-bob"),
    ):
        insert(
            database,
            "orders",
            source="shop",
            order_id=order_id,
            customer_id=customer,
            timestamp=NOW,
            amount=10.0,
            currency="EUR",
            imported_at=NOW,
            profile_id=profile,
        )
    for ticket_id, customer, profile in (
        ("T-1", "Ana.Lopez@Example.de", None),
        ("T-2", BOB_EMAIL, "p-bob"),
    ):
        insert(
            database,
            "tickets",
            source="helpdesk",
            ticket_id=ticket_id,
            customer_id=customer,
            created_at=NOW,
            subject="Where is my parcel?",
            imported_at=NOW,
            profile_id=profile,
        )
    insert(
        database,
        "reviews",
        source="trustpilot",
        review_id="R-1",
        text="Lovely",
        author_handle="ana_reviews_lopez",
        posted_at=NOW,
        imported_at=NOW,
        profile_id="p-ana",
    )
    insert(
        database,
        "sessions",
        session_id="s-ana",
        person_key="anon-ana-phone",
        anonymous_id="anon-ana-phone",
        started_at=NOW,
        ended_at=NOW,
        event_count=2,
        traffic_channel="Direct",
    )
    insert(
        database,
        "person_touch",
        person_key="anon-ana-phone",
        first_session_id="s-ana",
        first_channel="Direct",
        first_seen_at=NOW,
        last_session_id="s-ana",
        last_channel="Direct",
        last_seen_at=NOW,
        sessions=1,
    )
    insert(
        database,
        "quarantine",
        quarantine_id="q-1",
        kind="customers",
        origin="crm.csv",
        line_number=7,
        reason="bad birth date",
        payload='{"email": "ana.lopez@example.de", "birth_date": "31.02.1990"}',
        received_at=NOW,
    )
    insert(
        database,
        "quarantine",
        quarantine_id="q-2",
        kind="customers",
        origin="crm.csv",
        line_number=8,
        reason="bad birth date",
        payload=f'{{"email": "{BOB_EMAIL}"}}',
        received_at=NOW,
    )
    insert(
        database,
        "merges",
        merge_id="m-1",
        kept="p-ana",
        merged="p-ana-old",
        cause="email:ana.lopez@example.de",
        rule="deterministic",
        merged_at=NOW,
        profile_id="p-ana",
    )
    insert(
        database,
        "merge_members",
        merge_id="m-1",
        id_type="record:crm",
        id_value="CRM-ANA-1",
        profile_id="p-ana",
    )
    insert(
        database,
        "identity_links",
        left_type="email",
        left_value="ana.lopez@example.de",
        right_type="record:crm",
        right_value="CRM-ANA-1",
        origin="record",
        first_seen_at=NOW,
        profile_id="p-ana",
    )
    insert(
        database,
        "link_reviews",
        review_id="lr-1",
        left_source="shop",
        left_record_id="1000001",
        right_source="crm",
        right_record_id="CRM-BOB-9",
        match_weight=3.2,
        match_probability=0.7,
        status="pending",
        created_at=NOW,
        profile_id="p-bob",
        other_profile_id="p-ana",
    )
    insert(
        database,
        "consent_ledger",
        entry_id="c-1",
        profile_id="p-ana",
        identifier="email:ana.lopez@example.de",
        purpose="marketing",
        channel="email",
        status="granted",
        recorded_at=NOW,
        source="web",
        ip="203.0.113.7",
    )
    insert(
        database,
        "preference_entries",
        entry_id="pr-1",
        profile_id=None,
        identifier="email:ana.lopez@example.de",
        topics='["kitchen"]',
        recorded_at=NOW,
        source="preference_centre",
    )


def occurrences(database: Database, value: str) -> list[str]:
    """Every table.column whose text contains ``value`` as a token (case-insensitive)."""
    return scan(database, [value])[value]


def scan(database: Database, values: list[str]) -> dict[str, list[str]]:
    """value -> every table.column whose text contains it, reading each table once."""
    rows = database.query(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_name = c.table_name "
        "AND t.table_schema = c.table_schema "
        "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
        "ORDER BY c.table_name, c.ordinal_position"
    )
    by_table: dict[str, list[str]] = {}
    for table, column in rows:
        by_table.setdefault(table, []).append(column)
    # Whole tokens only: shop id '1000037' must not match order id 'W1000037'.
    wanted = {
        value: re.compile(rf"(?<![0-9a-z]){re.escape(value.lower())}(?![0-9a-z])")
        for value in values
    }
    found: dict[str, list[str]] = {value: [] for value in values}
    for table, columns in by_table.items():
        select = ", ".join(f"lower(CAST({c} AS TEXT))" for c in columns)
        texts = database.query(f"SELECT {select} FROM {table}")
        for index, column in enumerate(columns):
            cells = [row[index] for row in texts if row[index] is not None]
            for value, pattern in wanted.items():
                if any(pattern.search(cell) for cell in cells):
                    found[value].append(f"{table}.{column}")
    return found
