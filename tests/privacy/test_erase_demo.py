"""Erase on the small demo after identity resolution: a real person with web and
app events, CRM/shop/loyalty records, orders, tickets and consent leaves no trace."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cxm.demo.config import DemoConfig
from cxm.demo.generate import generate
from cxm.demo.load import load
from cxm.identity import find_profile_id, resolve_identities
from cxm.privacy import erase_person
from cxm.privacy.consent import record_consent
from cxm.store import Database, open_database
from tests.privacy.people import scan

pytestmark = pytest.mark.slow


def _person_values(
    database: Database, truth: Path, person: dict[str, str], profile: str
) -> list[str]:
    """The person's ids from the ground truth; devices only where an event links them
    to the person (a browser that never identified is nobody's known identifier)."""
    values = [person["crm_id"], person["loyalty_card"], person["email"], person["wechat_openid"]]
    values += person["shop_ids"].split(";")
    with (truth / "devices.csv").open(newline="") as handle:
        values += [
            d["anonymous_id"]
            for d in csv.DictReader(handle)
            if d["person_id"] == person["person_id"]
            and find_profile_id(database, f"anonymous_id:{d['anonymous_id']}") == profile
        ]
    return [v for v in values if v]


def _fully_resolved_people(database: Database, truth: Path) -> list[tuple[dict[str, str], str]]:
    """Persons identity put in one profile across all three sources, with orders and tickets."""
    found = []
    with (truth / "persons.csv").open(newline="") as handle:
        for person in csv.DictReader(handle):
            if not (person["crm_id"] and person["shop_ids"] and person["loyalty_card"]):
                continue
            ids = {
                find_profile_id(database, f"record:crm:{person['crm_id']}"),
                find_profile_id(database, f"record:loyalty:{person['loyalty_card']}"),
                *(
                    find_profile_id(database, f"record:shop:{s}")
                    for s in person["shop_ids"].split(";")
                ),
            }
            if len(ids) != 1 or None in ids:
                continue
            (profile,) = ids
            orders = database.scalar("SELECT count(*) FROM orders WHERE profile_id = ?", [profile])
            tickets = database.scalar(
                "SELECT count(*) FROM tickets WHERE profile_id = ?", [profile]
            )
            if orders and tickets:
                found.append((person, str(profile)))
    return found


def test_erase_demo_person_leaves_no_identifier_anywhere(tmp_path: Path) -> None:
    files = generate(DemoConfig.of_size("small", seed=7), tmp_path / "demo")
    database = open_database(f"duckdb:///{tmp_path / 'cxm.duckdb'}")
    try:
        load(database, files)
        resolve_identities(database)
        truth = files.directory / "truth"
        people = _fully_resolved_people(database, truth)
        assert people, "identity resolved nobody across all three sources"
        person, profile = people[0]
        record_consent(
            database, f"email:{person['email']}", "marketing", "email", "granted", source="test"
        )
        values = [*_person_values(database, truth, person, profile), profile]
        before = scan(database, values)
        assert before[person["email"]] and before[person["loyalty_card"]]
        tables_before = {loc.split(".")[0] for locs in before.values() for loc in locs}
        assert {
            "events",
            "orders",
            "tickets",
            "customer_records",
            "consent_ledger",
        } <= tables_before

        receipt = erase_person(database, person["email"], actor="test")

        assert scan(database, values) == {value: [] for value in values}
        assert receipt.counts["orders"] >= 1 and receipt.counts["tickets"] >= 1
        # Another resolved person is untouched.
        if len(people) > 1:
            other = people[1][0]
            assert scan(database, [other["email"]])[other["email"]]
    finally:
        database.close()
