"""With real identity stitching: when two profiles turn out to be one person, the
merged profile shows both sides' traits, timeline, consent and preferences."""

from __future__ import annotations

from datetime import timedelta

from cxm.identity import find_profile_id, stitch_new, unmerge
from cxm.privacy import erase_person
from cxm.privacy.consent import record_consent
from cxm.privacy.consent_check import may_contact
from cxm.privacy.preferences import check_preferences, get_preferences, save_preferences
from cxm.profiles import get_profile
from cxm.store import Database
from tests.profiles.people import NOW, add_event


def test_merge_brings_traits_timeline_consent_together(database: Database) -> None:
    add_event(
        database, None, NOW - timedelta(days=3), type="page", event="Home", anonymous_id="anon-1"
    )
    add_event(
        database,
        None,
        NOW - timedelta(days=2),
        type="identify",
        event=None,
        user_id="u-1",
        traits={"firstName": "Mei", "email": "mei@example.cn"},
    )
    stitch_new(database)
    browser = find_profile_id(database, "anonymous_id:anon-1")
    customer = find_profile_id(database, "user_id:u-1")
    assert browser and customer and browser != customer
    record_consent(
        database,
        "anonymous_id:anon-1",
        "analytics",
        "*",
        "granted",
        source="tracker",
        at=NOW - timedelta(days=3),
    )
    record_consent(
        database,
        "user_id:u-1",
        "marketing",
        "email",
        "granted",
        source="signup",
        at=NOW - timedelta(days=2),
    )
    save_preferences(database, "u-1", check_preferences(["offers"], language="zh"), source="t")

    # The browser signs in: one identify call links the two.
    add_event(
        database,
        None,
        NOW - timedelta(days=1),
        type="identify",
        event=None,
        anonymous_id="anon-1",
        user_id="u-1",
    )
    stitch_new(database)

    merged = get_profile(database, "anonymous_id:anon-1", now=NOW)
    assert merged is not None
    assert merged.profile_id == find_profile_id(database, "user_id:u-1")
    assert merged.trait("first_name") == "Mei"
    assert {(c.purpose, c.status) for c in merged.consent} == {
        ("analytics", "granted"),
        ("marketing", "granted"),
    }
    assert merged.preferences.language == "zh"
    assert merged.timeline is not None
    assert {e.title for e in merged.timeline.entries} >= {"Viewed Home", "Identified"}
    # Old ids keep answering, and "may I?" sees the merged ledger.
    assert may_contact(database, browser, "marketing", "email").allowed
    assert get_preferences(database, merged.profile_id).topics == ("offers",)


def _identify_traits_match_events(database: Database) -> None:
    """The card's identify-traits table holds exactly the attributed identify calls
    with traits, each on its event's current profile."""
    kept = database.query(
        "SELECT CAST(event_key AS TEXT), profile_id FROM identify_traits ORDER BY 1"
    )
    events = database.query(
        "SELECT CAST(event_key AS TEXT), profile_id FROM events WHERE type = 'identify' "
        "AND traits IS NOT NULL AND profile_id IS NOT NULL ORDER BY 1"
    )
    assert kept == events


def test_identify_traits_follow_merge_unmerge_and_erase(database: Database) -> None:
    add_event(
        database,
        None,
        NOW - timedelta(days=3),
        type="identify",
        event=None,
        anonymous_id="anon-7",
        traits={"birthday": "1990-04-01"},
    )
    add_event(
        database,
        None,
        NOW - timedelta(days=2),
        type="identify",
        event=None,
        user_id="u-7",
        traits={"lastName": "Weber"},
    )
    stitch_new(database)
    _identify_traits_match_events(database)
    browser = get_profile(database, "anonymous_id:anon-7", now=NOW)
    customer = get_profile(database, "user_id:u-7", now=NOW)
    assert browser and customer and browser.profile_id != customer.profile_id
    assert (browser.trait("birth_date"), browser.trait("last_name")) == ("1990-04-01", None)
    assert (customer.trait("birth_date"), customer.trait("last_name")) == (None, "Weber")

    add_event(
        database,
        None,
        NOW - timedelta(days=1),
        type="identify",
        event=None,
        anonymous_id="anon-7",
        user_id="u-7",
    )
    stitch_new(database)
    _identify_traits_match_events(database)
    merged = get_profile(database, "anonymous_id:anon-7", now=NOW)
    assert merged is not None
    assert (merged.trait("birth_date"), merged.trait("last_name")) == ("1990-04-01", "Weber")

    merge_id = database.scalar("SELECT merge_id FROM merges WHERE undone_at IS NULL")
    unmerge(database, str(merge_id))
    _identify_traits_match_events(database)
    browser = get_profile(database, "anonymous_id:anon-7", now=NOW)
    customer = get_profile(database, "user_id:u-7", now=NOW)
    assert browser and customer and browser.profile_id != customer.profile_id
    assert (browser.trait("birth_date"), browser.trait("last_name")) == ("1990-04-01", None)
    assert (customer.trait("birth_date"), customer.trait("last_name")) == (None, "Weber")

    erase_person(database, "user_id:u-7", actor="test")
    _identify_traits_match_events(database)
    assert (
        database.scalar(
            "SELECT count(*) FROM identify_traits WHERE profile_id = ?", [customer.profile_id]
        )
        == 0
    )
    assert database.scalar("SELECT count(*) FROM identify_traits") == 1
