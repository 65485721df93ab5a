from __future__ import annotations

from datetime import timedelta

from cxm.privacy.consent import record_consent
from cxm.profiles import get_profile
from cxm.store import Database
from tests.profiles.people import NOW, add_event, add_order, add_profile, add_record


def _ana(database: Database) -> str:
    add_profile(
        database,
        "p-ana",
        [
            ("email", "ana@example.de"),
            ("phone", "+4915112345678"),
            ("record:crm", "CRM-1"),
            ("record:shop", "1001"),
            ("user_id", "1001"),
        ],
    )
    add_record(
        database,
        "p-ana",
        "crm",
        "CRM-1",
        imported_at=NOW - timedelta(days=30),
        first_name="Ana",
        last_name="Silva",
        birth_date="1985-04-01",
        city="Köln",
        country="DE",
        traits={"gender": "f", "created_at": "2023-01-15"},
    )
    add_record(
        database,
        "p-ana",
        "shop",
        "1001",
        imported_at=NOW - timedelta(days=2),
        first_name="Anna",
        last_name="Silva-Braun",
        email="ana@example.de",
        birth_date="1985-01-04",
        city="Berlin",
    )
    add_event(
        database,
        "p-ana",
        NOW - timedelta(days=1),
        type="identify",
        event=None,
        traits={"email": "ana.new@example.de", "firstName": "Ani"},
    )
    return "p-ana"


def test_profile_found_by_any_identifier(database: Database) -> None:
    _ana(database)
    for identifier in ("p-ana", "ana@example.de", "email:ANA@example.de", "record:crm:CRM-1"):
        profile = get_profile(database, identifier, now=NOW)
        assert profile is not None, identifier
        assert profile.profile_id == "p-ana"


def test_profile_unknown_identifier_is_none(database: Database) -> None:
    _ana(database)
    assert get_profile(database, "nobody@example.de") is None


def test_profile_traits_follow_survivorship_rules(database: Database) -> None:
    _ana(database)
    profile = get_profile(database, "p-ana", now=NOW)
    assert profile is not None
    traits = {t.name: t for t in profile.traits}
    # Names and birth date: most trusted source (crm before shop), taken together.
    assert (traits["first_name"].value, traits["last_name"].value) == ("Ana", "Silva")
    assert traits["first_name"].source == "crm"
    assert traits["birth_date"].value == "1985-04-01"
    # E-mail: most recent (the identify call yesterday).
    assert traits["email"].value == "ana.new@example.de"
    # Address group: the shop record is newer and has a city.
    assert traits["city"].value == "Berlin"
    assert "country" not in traits
    assert traits["gender"].value == "f"
    assert profile.display_name == "Ana Silva"
    assert {"crm", "shop"} <= set(profile.sources)


def test_profile_traits_move_with_merged_rows(database: Database) -> None:
    _ana(database)
    add_profile(database, "p-other", [("email", "other@example.de")], seen=NOW - timedelta(days=5))
    add_record(database, "p-other", "loyalty", "L-9", imported_at=NOW, phone="0151 1234")
    before = get_profile(database, "p-ana", now=NOW)
    assert before is not None and before.trait("phone") is None
    # What identity does on a merge: rows move, the merged id points at the survivor.
    database.execute(
        "UPDATE customer_records SET profile_id = 'p-ana' WHERE profile_id = 'p-other'"
    )
    database.execute("UPDATE profiles SET merged_into = 'p-ana' WHERE profile_id = 'p-other'")
    after = get_profile(database, "p-other", now=NOW)
    assert after is not None and after.profile_id == "p-ana"
    # The survivor's own row (not the merged one's) gives the card's stamps.
    assert (after.created_at, after.updated_at) == (before.created_at, before.updated_at)
    assert after.trait("phone") == "0151 1234"
    assert "loyalty" in after.sources


def test_profile_value_and_lifecycle_from_orders(database: Database) -> None:
    _ana(database)
    add_order(database, "p-ana", "O-1", NOW - timedelta(days=300), 120.0)
    add_order(database, "p-ana", "O-2", NOW - timedelta(days=40), 80.0)
    add_order(database, "p-ana", "O-3", NOW - timedelta(days=20), 25.5, currency="USD")
    profile = get_profile(database, "p-ana", now=NOW)
    assert profile is not None
    value = profile.value
    assert value.order_count == 3
    assert value.currency == "EUR" and value.total_spend == 200.0 and value.average_spend == 100.0
    assert value.first_order_at is not None and value.last_order_at is not None
    assert (NOW - value.first_order_at).days == 300
    assert (NOW - value.last_order_at).days == 20
    # Tenure starts at the CRM's created_at trait (2023-01-15), the earliest sign of the person.
    assert value.tenure_days == (NOW.date() - NOW.date().replace(2023, 1, 15)).days
    assert (value.recency_score, value.frequency_score, value.monetary_score) == (5, 3, 3)
    assert profile.lifecycle.stage == "active"


def test_profile_without_orders_is_prospect(database: Database) -> None:
    _ana(database)
    profile = get_profile(database, "p-ana", now=NOW)
    assert profile is not None
    assert profile.value.order_count == 0 and profile.value.rfm_tier == "no orders"
    assert profile.lifecycle.stage == "prospect"


def test_profile_consent_summary_shows_latest_state(database: Database) -> None:
    _ana(database)
    record_consent(
        database,
        "ana@example.de",
        "marketing",
        "email",
        "granted",
        source="form",
        at=NOW - timedelta(days=5),
    )
    record_consent(
        database,
        "ana@example.de",
        "marketing",
        "email",
        "withdrawn",
        source="link",
        at=NOW - timedelta(days=1),
    )
    profile = get_profile(database, "p-ana", now=NOW)
    assert profile is not None
    assert [(c.purpose, c.channel, c.status) for c in profile.consent] == [
        ("marketing", "email", "withdrawn")
    ]


def test_profile_includes_first_timeline_page(database: Database) -> None:
    _ana(database)
    add_order(database, "p-ana", "O-1", NOW - timedelta(days=3), 10.0)
    profile = get_profile(database, "p-ana", now=NOW, timeline_limit=1)
    assert profile is not None and profile.timeline is not None
    assert [e.kind for e in profile.timeline.entries] == ["event"]
    assert profile.timeline.next_before is not None
    assert get_profile(database, "p-ana", now=NOW, timeline_limit=0).timeline is None  # type: ignore[union-attr]
