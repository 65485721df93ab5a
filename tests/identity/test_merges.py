"""Merges are recorded with their cause, unmerge restores both people and their
rows, and guard rails keep a shared device from merging many people."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxm.identity import IdentityError, find_profile_id, stitch_new, unmerge
from cxm.privacy.consent import record_consent
from cxm.store import Database
from tests.identity.data import event, import_customers, import_events, profile_of_event


def _two_people_then_a_link(database: Database, folder: Path) -> tuple[str, str]:
    import_customers(database, folder, [{"id": "C-1", "email": "ana@x.de"}], "crm")
    stitch_new(database)
    import_customers(database, folder, [{"id": "S-1", "phone": "+49 30 1234567"}], "shop")
    import_events(database, folder, [event("e0", 0, anonymous_id="dev-s", user_id="S-1")])
    stitch_new(database)
    crm = find_profile_id(database, "record:crm:C-1")
    shop = find_profile_id(database, "record:shop:S-1")
    assert crm is not None and shop is not None and crm != shop
    import_events(
        database,
        folder,
        [event("e1", 1, user_id="S-1", anonymous_id="dev-s", kind="identify", email="ana@x.de")],
    )
    stitch_new(database)
    return crm, shop


def test_merge_recorded_with_cause_and_rows_moved(database: Database, tmp_path: Path) -> None:
    crm, shop = _two_people_then_a_link(database, tmp_path)
    merges = database.query_dicts("SELECT kept, merged, cause, rule, undone_at FROM merges")
    assert merges == [
        {
            "kept": crm,
            "merged": shop,
            "cause": "record:shop:S-1 ~ email:ana@x.de",
            "rule": "deterministic",
            "undone_at": None,
        }
    ]
    assert find_profile_id(database, "record:shop:S-1") == crm
    assert find_profile_id(database, shop) == crm  # the old id follows the merge
    assert profile_of_event(database, "e0") == crm
    assert database.query("SELECT DISTINCT profile_id FROM customer_records") == [(crm,)]


def test_unmerge_restores_both_profiles_and_rows(database: Database, tmp_path: Path) -> None:
    crm, shop = _two_people_then_a_link(database, tmp_path)
    merge_id = database.scalar("SELECT merge_id FROM merges")

    result = unmerge(database, merge_id)

    assert (result.kept, result.restored) == (crm, shop)
    assert find_profile_id(database, "record:shop:S-1") == shop
    assert find_profile_id(database, "anonymous_id:dev-s") == shop
    assert find_profile_id(database, "email:ana@x.de") == crm
    assert profile_of_event(database, "e0") == shop
    assert profile_of_event(database, "e1") == shop
    owners: dict[str, str] = dict(
        database.query("SELECT record_id, profile_id FROM customer_records")
    )
    assert owners == {"C-1": crm, "S-1": shop}
    assert database.scalar("SELECT undone_at FROM merges") is not None
    # The cut link does not merge them again when it is seen again.
    import_events(
        database,
        tmp_path,
        [event("e2", 2, user_id="S-1", kind="identify", email="ana@x.de")],
    )
    stitch_new(database)
    assert find_profile_id(database, "record:shop:S-1") == shop
    assert database.scalar("SELECT count(*) FROM merges WHERE undone_at IS NULL") == 0
    with pytest.raises(IdentityError, match="already undone"):
        unmerge(database, merge_id)


def test_unmerge_gives_consent_entries_back_to_the_identifier_they_were_given_for(
    database: Database, tmp_path: Path
) -> None:
    crm, shop = _two_people_then_a_link(database, tmp_path)
    # Recorded while the two were (wrongly) one person: each under its own identifier.
    record_consent(database, "record:shop:S-1", "marketing", "email", "granted", source="shop")
    record_consent(database, "email:ana@x.de", "surveys", "*", "denied", source="crm")
    owners = database.query("SELECT DISTINCT profile_id FROM consent_ledger")
    assert owners == [(crm,)]

    result = unmerge(database, database.scalar("SELECT merge_id FROM merges"))

    assert result.rows_moved.get("consent_ledger") == 1
    by_identifier = dict(database.query("SELECT identifier, profile_id FROM consent_ledger"))
    assert by_identifier == {"record:shop:S-1": shop, "email:ana@x.de": crm}


def test_merge_keeps_the_survivors_row_in_tables_keyed_by_profile_id(
    database: Database, tmp_path: Path
) -> None:
    # Later stages keep per-person state keyed by profile_id (scores, stages, memberships);
    # a merge must not fail on their unique keys.
    database.execute("CREATE TABLE person_scores (profile_id TEXT PRIMARY KEY, score INTEGER)")
    database.execute(
        "CREATE TABLE person_groups (group_id TEXT, profile_id TEXT, PRIMARY KEY (group_id, "
        "profile_id))"
    )
    import_customers(database, tmp_path, [{"id": "C-1", "email": "ana@x.de"}], "crm")
    import_customers(database, tmp_path, [{"id": "S-1", "phone": "+49 30 1234567"}], "shop")
    stitch_new(database)
    crm = find_profile_id(database, "record:crm:C-1")
    shop = find_profile_id(database, "record:shop:S-1")
    database.execute("INSERT INTO person_scores VALUES (?, 1), (?, 2)", [crm, shop])
    database.execute(
        "INSERT INTO person_groups VALUES ('g1', ?), ('g1', ?), ('g2', ?)", [crm, shop, shop]
    )
    import_events(
        database,
        tmp_path,
        [event("e1", 1, user_id="S-1", kind="identify", email="ana@x.de")],
    )
    stitch_new(database)

    survivor = find_profile_id(database, "record:shop:S-1")
    assert survivor == find_profile_id(database, "record:crm:C-1")
    assert database.query("SELECT profile_id FROM person_scores") == [(survivor,)]
    groups = database.query("SELECT group_id, profile_id FROM person_groups ORDER BY group_id")
    assert groups == [("g1", survivor), ("g2", survivor)]


def test_unmerge_unknown_merge_names_field(database: Database) -> None:
    with pytest.raises(IdentityError) as raised:
        unmerge(database, "nope")
    assert raised.value.field == "merge_id"
    assert raised.value.status == 404


def test_shared_device_does_not_merge_fifty_people(database: Database, tmp_path: Path) -> None:
    for chunk in range(10):  # seen over time: the device is shared before anyone knows
        users = range(chunk * 5, chunk * 5 + 5)
        messages = [event(f"k{u}", u % 60, anonymous_id="kiosk", user_id=f"u{u}") for u in users]
        import_events(database, tmp_path, messages)
        stitch_new(database)

    people = {find_profile_id(database, f"user_id:u{u}") for u in range(50)}
    assert len(people) == 50
    assert database.scalar(
        "SELECT shared FROM identifiers WHERE id_type = 'anonymous_id' AND id_value = 'kiosk'"
    )
    assert database.scalar("SELECT count(*) FROM merges") == 0
    assert database.scalar("SELECT count(*) FROM identity_links WHERE blocked LIKE 'limit:%'") > 0
