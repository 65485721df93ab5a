from __future__ import annotations

from datetime import timedelta

import pytest

from cxm.privacy.consent import ConsentError, consent_history, current_consent, record_consent
from cxm.privacy.consent_check import consent_defaults, may_contact
from cxm.settings import Settings
from cxm.store import Database
from tests.profiles.people import NOW, add_profile


def _person(database: Database) -> None:
    add_profile(database, "p-1", [("email", "ana@example.de"), ("phone", "+4915112345678")])


def test_record_consent_keeps_evidence_and_normalised_identifier(database: Database) -> None:
    _person(database)
    entry = record_consent(
        database,
        "email:ANA@Example.de",
        "marketing",
        "email",
        "granted",
        source="signup-form",
        wording_version="v3",
        ip="203.0.113.9",
        user_agent="Firefox",
        evidence={"form": "footer"},
    )
    assert entry.profile_id == "p-1"
    assert entry.identifier == "email:ana@example.de"
    [stored] = consent_history(database, "p-1")
    assert stored == entry.__class__(**{**entry.__dict__, "recorded_at": stored.recorded_at})
    assert (stored.wording_version, stored.ip, stored.user_agent) == (
        "v3",
        "203.0.113.9",
        "Firefox",
    )


def test_current_consent_is_latest_entry_per_purpose_and_channel(database: Database) -> None:
    _person(database)
    for days, channel, status in [
        (5, "email", "granted"),
        (3, "sms", "granted"),
        (1, "email", "withdrawn"),
    ]:
        record_consent(
            database, "p-1", "marketing", channel, status, source="t", at=NOW - timedelta(days=days)
        )
    states = {(s.purpose, s.channel): s.status for s in current_consent(database, "p-1")}
    assert states == {("marketing", "email"): "withdrawn", ("marketing", "sms"): "granted"}
    assert len(consent_history(database, "p-1")) == 3  # append-only


@pytest.mark.parametrize(
    ("purpose", "channel", "status", "field"),
    [
        ("spam", "email", "granted", "purpose"),
        ("marketing", "fax", "granted", "channel"),
        ("marketing", "email", "maybe", "status"),
    ],
)
def test_record_consent_bad_input_names_the_field(
    database: Database, purpose: str, channel: str, status: str, field: str
) -> None:
    _person(database)
    with pytest.raises(ConsentError) as error:
        record_consent(database, "p-1", purpose, channel, status, source="t")
    assert error.value.field == field
    assert consent_history(database, "p-1") == []


def test_record_consent_for_unknown_person_is_refused(database: Database) -> None:
    with pytest.raises(ConsentError) as error:
        record_consent(database, "ghost@example.de", "marketing", "email", "granted", source="t")
    assert error.value.field == "identifier" and error.value.unknown


def test_may_contact_uses_latest_of_channel_and_wildcard(database: Database) -> None:
    _person(database)
    record_consent(
        database, "p-1", "marketing", "email", "granted", source="form", at=NOW - timedelta(days=10)
    )
    decision = may_contact(database, "p-1", "marketing", "email")
    assert decision.allowed and decision.basis == "recorded" and "form" in decision.reason
    assert not may_contact(database, "p-1", "marketing", "sms").allowed  # default: denied
    record_consent(
        database,
        "p-1",
        "marketing",
        "*",
        "withdrawn",
        source="unsubscribe",
        at=NOW - timedelta(days=2),
    )
    decision = may_contact(database, "p-1", "marketing", "email")
    assert not decision.allowed and decision.status == "withdrawn"
    record_consent(
        database,
        "p-1",
        "marketing",
        "email",
        "granted",
        source="pref-centre",
        at=NOW - timedelta(days=1),
    )
    assert may_contact(database, "p-1", "marketing", "email").allowed
    assert not may_contact(database, "p-1", "marketing", "push").allowed


def test_may_contact_follows_merged_profile(database: Database) -> None:
    _person(database)
    add_profile(database, "p-old", [], merged_into="p-1")
    record_consent(database, "p-1", "surveys", "*", "granted", source="t")
    assert may_contact(database, "p-old", "surveys").allowed


def test_may_contact_defaults_are_gdpr_safe_and_configurable(database: Database) -> None:
    _person(database)
    open_site = Settings(tracker_consent_required=False)
    strict_site = Settings(tracker_consent_required=True)
    assert may_contact(database, "p-1", "analytics", settings=open_site).allowed
    assert not may_contact(database, "p-1", "analytics", settings=strict_site).allowed
    for purpose in ("marketing", "personalisation", "surveys"):
        decision = may_contact(database, "p-1", purpose, "email", settings=open_site)
        assert not decision.allowed and decision.basis == "default"
    relaxed = Settings(consent_defaults={"surveys": "granted"})
    assert may_contact(database, "p-1", "surveys", "email", settings=relaxed).allowed
    assert may_contact(database, "nobody", "surveys", settings=relaxed).allowed


def test_consent_defaults_reject_unknown_policy() -> None:
    with pytest.raises(ConsentError) as error:
        consent_defaults(Settings(consent_defaults={"marketing": "yes"}))
    assert error.value.field == "CXM_CONSENT_DEFAULTS"
