from __future__ import annotations

import pytest

from cxm.privacy import PersonNotFound, SubjectError, erase_person, export_person, list_receipts
from cxm.store import Database
from tests.privacy.people import (
    ANA_VALUES,
    BOB_EMAIL,
    SHARED_DEVICE,
    load_people,
    occurrences,
    scan,
)


def _bob_rows(database: Database) -> dict[str, int]:
    return {
        "events": database.scalar("SELECT count(*) FROM events WHERE profile_id = 'p-bob'"),
        "records": database.scalar(
            "SELECT count(*) FROM customer_records WHERE email = ?", [BOB_EMAIL]
        ),
        "orders": database.scalar("SELECT count(*) FROM orders WHERE customer_id = 'bob-77'"),
        "tickets": database.scalar(
            "SELECT count(*) FROM tickets WHERE customer_id = ?", [BOB_EMAIL]
        ),
        "quarantine": database.scalar("SELECT count(*) FROM quarantine WHERE quarantine_id='q-2'"),
        "identifiers": database.scalar("SELECT count(*) FROM identifiers WHERE profile_id='p-bob'"),
    }


def test_erase_leaves_no_identifier_value_in_any_column(database: Database) -> None:
    load_people(database)
    assert all(scan(database, list(ANA_VALUES)).values())
    bob_before = _bob_rows(database)

    receipt = erase_person(database, "ana.lopez@example.de", actor="user:dpo")

    assert scan(database, list(ANA_VALUES)) == {value: [] for value in ANA_VALUES}
    assert _bob_rows(database) == bob_before
    assert (
        database.scalar(
            "SELECT count(*) FROM events WHERE anonymous_id = ? AND user_id IS NULL",
            [SHARED_DEVICE],
        )
        == 1
    )
    assert (
        database.scalar("SELECT count(*) FROM identifiers WHERE id_value = ?", [SHARED_DEVICE]) == 1
    )
    assert receipt.counts["events"] == 4
    assert receipt.counts["customer_records"] == 3
    assert receipt.counts["profiles"] == 2
    assert receipt.counts["link_reviews"] == 1
    assert receipt.rows_deleted == sum(receipt.counts.values())
    assert [r.receipt_id for r in list_receipts(database)] == [receipt.receipt_id]


def test_erase_by_unresolved_record_id_stops_at_another_profiles_identifier(
    database: Database,
) -> None:
    # Identity has not linked the loyalty record yet: its phone belongs to p-ana, and
    # following it would act on identity's behalf, so only the record's own rows go.
    load_people(database)
    receipt = erase_person(database, "record:loyalty:LOY-7391-ANA", actor="cli:test")
    assert receipt.counts == {"customer_records": 1, "orders": 1}
    assert occurrences(database, "LOY-7391-ANA") == []
    assert occurrences(database, "ana.lopez@example.de") != []


def test_erase_of_merged_away_profile_id_erases_the_survivor(database: Database) -> None:
    load_people(database)
    erase_person(database, "p-ana-old", actor="cli:test")
    assert scan(database, list(ANA_VALUES)) == {value: [] for value in ANA_VALUES}


def test_erase_twice_answers_not_found(database: Database) -> None:
    load_people(database)
    erase_person(database, "ana.lopez@example.de", actor="cli:test")
    with pytest.raises(PersonNotFound):
        erase_person(database, "ana.lopez@example.de", actor="cli:test")
    with pytest.raises(PersonNotFound):
        export_person(database, "ana.lopez@example.de")


def test_erase_receipt_holds_no_personal_data(database: Database) -> None:
    load_people(database)
    erase_person(database, "+4917012345678", actor="cli:test")
    (row,) = database.query("SELECT * FROM erase_receipts")
    text = " ".join(str(v) for v in row).lower()
    assert all(value.lower() not in text for value in ANA_VALUES)


def test_erase_of_blank_identifier_is_refused(database: Database) -> None:
    with pytest.raises(SubjectError) as error:
        erase_person(database, "   ", actor="cli:test")
    assert error.value.field == "identifier"


def test_export_holds_every_table_with_the_persons_rows(database: Database) -> None:
    load_people(database)
    document = export_person(database, "anon-ana-laptop")
    assert document["profile_ids"] == ["p-ana", "p-ana-old"]
    assert set(document["tables"]) >= {
        "events",
        "customer_records",
        "orders",
        "tickets",
        "reviews",
        "sessions",
        "person_touch",
        "quarantine",
        "identifiers",
        "merges",
        "consent_ledger",
        "preference_entries",
    }
    assert document["counts"]["events"] == 4
    identify = next(
        e
        for e in document["tables"]["events"]
        if e["user_id"] == "1000001" and e["anonymous_id"] == "anon-ana-phone"
    )
    assert identify["traits"] == {"email": "Ana.Lopez@example.de"}  # JSON, not a string
    assert all(r["customer_id"] != "bob-77" for r in document["tables"]["orders"])


def test_export_of_unknown_identifier_is_not_found(database: Database) -> None:
    load_people(database)
    with pytest.raises(PersonNotFound) as error:
        export_person(database, "nobody@example.org")
    assert error.value.field == "identifier"


def test_erase_finds_the_persons_traits_on_another_profiles_identify_call(
    database: Database,
) -> None:
    load_people(database)
    for key, traits in (
        ("00000000-0000-0000-0000-00000000a001", '{"email": "ana.lopez@example.de"}'),
        ("00000000-0000-0000-0000-00000000b001", '{"plan": "gold"}'),
    ):
        database.execute(
            "INSERT INTO identify_traits (event_key, profile_id, source_id, timestamp, traits) "
            "VALUES (CAST(? AS UUID), 'p-bob', 'web', CAST('2026-01-01' AS TIMESTAMP), ?)",
            [key, traits],
        )
    receipt = erase_person(database, "ana.lopez@example.de", actor="user:dpo")
    assert receipt.counts["identify_traits"] == 1
    assert database.query("SELECT CAST(event_key AS TEXT) FROM identify_traits") == [
        ("00000000-0000-0000-0000-00000000b001",)
    ]  # Bob's own call stays
    assert scan(database, list(ANA_VALUES)) == {value: [] for value in ANA_VALUES}
