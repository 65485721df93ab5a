"""Deterministic stitching on both backends: anonymous visitors who identify,
customer records, orders, sessions, and stable profile ids."""

from __future__ import annotations

from pathlib import Path

from cxm.collect.sessions import build_sessions
from cxm.identity import find_profile_id, identifiers_of, stitch_new
from cxm.store import Database
from tests.identity.data import event, import_customers, import_events, profile_of_event


def test_stitch_anonymous_visitor_identifies_earlier_events_reassigned(
    database: Database, tmp_path: Path
) -> None:
    import_events(database, tmp_path, [event("e1", 1, anonymous_id="a1", kind="page")])
    import_events(database, tmp_path, [event("e2", 2, anonymous_id="a1")])
    stitch_new(database)
    anonymous_profile = profile_of_event(database, "e1")
    assert anonymous_profile is not None
    assert profile_of_event(database, "e2") == anonymous_profile

    import_events(
        database,
        tmp_path,
        [event("e3", 3, anonymous_id="a1", user_id="u1", kind="identify", email=" Ana@X.de ")],
    )
    import_events(database, tmp_path, [event("e4", 4, user_id="u1")])
    stitch_new(database)

    profile = find_profile_id(database, "email:ana@x.de")
    assert profile is not None
    assert {profile_of_event(database, m) for m in ("e1", "e2", "e3", "e4")} == {profile}
    assert profile == anonymous_profile  # the visitor's id stays: a stable profile id
    labels = {i.label for i in identifiers_of(database, profile)}
    assert labels == {"anonymous_id:a1", "user_id:u1", "email:ana@x.de"}
    assert find_profile_id(database, "ana@x.de") == profile
    assert find_profile_id(database, "u1") == profile
    assert find_profile_id(database, "nobody@x.de") is None


def test_stitch_user_id_of_known_record_links_record_and_sessions(
    database: Database, tmp_path: Path
) -> None:
    import_customers(
        database,
        tmp_path,
        [{"id": "1001", "first_name": "Ana", "email": "ana@x.de", "phone": "030 1234567",
          "country": "DE"}],
        source="shop",
    )  # fmt: skip
    import_customers(
        database, tmp_path, [{"id": "C-9", "email": "ANA@x.de", "phone": "+49 30 1234567"}], "crm"
    )
    visits = [event("e1", 1, anonymous_id="b1"), event("e2", 5, anonymous_id="b1", user_id="1001")]
    import_events(database, tmp_path, visits)
    build_sessions(database)
    stitch_new(database)

    profile = find_profile_id(database, "record:shop:1001")
    assert profile is not None
    assert find_profile_id(database, "record:crm:C-9") == profile
    assert find_profile_id(database, "phone:+49 30 1234567") == profile
    assert profile_of_event(database, "e1") == profile
    records = database.query("SELECT DISTINCT profile_id FROM customer_records")
    assert records == [(profile,)]
    sessions = database.query("SELECT DISTINCT profile_id FROM sessions")
    assert sessions == [(profile,)]
    assert database.scalar("SELECT count(*) FROM merges") == 0


def test_stitch_new_twice_is_idempotent(database: Database, tmp_path: Path) -> None:
    import_events(database, tmp_path, [event("e1", 1, anonymous_id="a1", user_id="u1")])
    first = stitch_new(database)
    second = stitch_new(database)
    assert first.rows == {"events": 1}
    assert second.rows == {}
    assert database.scalar("SELECT count(*) FROM profiles") == 1
