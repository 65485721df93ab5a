from __future__ import annotations

from datetime import timedelta

from cxm.privacy.consent import consent_history, record_consent
from cxm.privacy.consent_check import may_contact
from cxm.privacy.consent_import import adopt_record_opt_ins
from cxm.store import Database
from tests.profiles.people import NOW, add_profile, add_record


def _records(database: Database) -> None:
    for n, flag in enumerate(["true", "false", "JA", "maybe", None]):
        pid = add_profile(database, f"p-{n}", [("record:crm", f"C{n}")])
        traits = {"marketing_opt_in": flag} if flag is not None else {"tier": "gold"}
        add_record(
            database, pid, "crm", f"C{n}", imported_at=NOW - timedelta(days=10), traits=traits
        )
    add_record(database, None, "crm", "C9", traits={"marketing_opt_in": "true"})  # type: ignore[arg-type]


def test_adopt_opt_ins_records_yes_and_no_with_their_origin(database: Database) -> None:
    _records(database)
    summary = adopt_record_opt_ins(database, "crm", "marketing_opt_in", "marketing", "email")
    assert (summary.records, summary.granted, summary.denied) == (6, 2, 1)
    assert summary.unreadable == {"maybe": 1}
    assert (summary.without_flag, summary.not_stitched) == (1, 1)
    [entry] = consent_history(database, "p-0")
    assert (entry.identifier, entry.source, entry.status) == (
        "record:crm:C0",
        "import:crm.marketing_opt_in",
        "granted",
    )
    assert may_contact(database, "p-0", "marketing", "email").allowed
    assert not may_contact(database, "p-1", "marketing", "email").allowed
    assert may_contact(database, "p-2", "marketing", "email").allowed  # "JA"


def test_adopt_opt_ins_again_adds_only_changes_and_later_choice_wins(database: Database) -> None:
    _records(database)
    adopt_record_opt_ins(database, "crm", "marketing_opt_in", "marketing", "email")
    again = adopt_record_opt_ins(database, "crm", "marketing_opt_in", "marketing", "email")
    assert (again.granted, again.denied, again.unchanged) == (0, 0, 3)
    record_consent(database, "p-0", "marketing", "*", "withdrawn", source="preference-centre")
    assert not may_contact(database, "p-0", "marketing", "email").allowed
