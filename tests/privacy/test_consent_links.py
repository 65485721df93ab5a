from __future__ import annotations

import base64
import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from cxm.privacy.consent import ConsentError
from cxm.privacy.consent_links import (
    LinkError,
    form_token,
    form_token_valid,
    make_link_token,
    preference_link,
    read_link_token,
)
from cxm.settings import Settings
from cxm.store import Database
from tests.profiles.people import add_profile

SETTINGS = Settings(secret_key="test-secret", preference_link_days=30)


def test_link_token_round_trip(database: Database) -> None:
    add_profile(database, "p-1", [("email", "ana@example.de")])
    link = preference_link(database, "ana@example.de", "http://cx.example/", SETTINGS)
    assert link.startswith("http://cx.example/preferences/")
    subject = read_link_token(database, link.rsplit("/", 1)[1], SETTINGS)
    assert (subject.profile_id, subject.identifier) == ("p-1", "email:ana@example.de")


def test_link_token_without_configured_key_uses_generated_one(database: Database) -> None:
    add_profile(database, "p-1", [("email", "ana@example.de")])
    settings = Settings(secret_key="")
    token = make_link_token(database, "p-1", settings)
    assert read_link_token(database, token, settings).profile_id == "p-1"
    with pytest.raises(LinkError):
        read_link_token(database, token, SETTINGS)  # another key does not accept it


def test_link_token_forged_or_damaged_is_refused(database: Database) -> None:
    add_profile(database, "p-1", [("email", "ana@example.de")])
    token = make_link_token(database, "p-1", SETTINGS)
    forged = URLSafeTimedSerializer("guessed", salt="cxm.preference-centre").dumps({"p": "p-1"})
    for bad in (forged, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x"):
        with pytest.raises(LinkError) as error:
            read_link_token(database, bad, SETTINGS)
        assert not error.value.expired


def test_link_token_expires(database: Database) -> None:
    add_profile(database, "p-1", [("email", "ana@example.de")])
    token = make_link_token(database, "p-1", SETTINGS)
    time.sleep(1.1)  # itsdangerous timestamps have one-second resolution
    with pytest.raises(LinkError) as error:
        read_link_token(database, token, Settings(secret_key="test-secret", preference_link_days=0))
    assert error.value.expired


def test_link_for_unknown_person_is_refused(database: Database) -> None:
    with pytest.raises(ConsentError):
        make_link_token(database, "ghost@example.de", SETTINGS)


def test_form_token_is_bound_to_its_link(database: Database) -> None:
    one = form_token(database, "token-a", SETTINGS)
    assert form_token_valid(database, "token-a", one, SETTINGS)
    assert not form_token_valid(database, "token-b", one, SETTINGS)
    assert not form_token_valid(database, "token-a", "0" * len(one), SETTINGS)


def test_link_holds_no_personal_data(database: Database) -> None:
    add_profile(database, "p-1", [("email", "ana@example.de")])
    token = make_link_token(database, "ana@example.de", SETTINGS)
    payload = base64.urlsafe_b64decode(token.split(".")[0] + "==")
    assert b"ana" not in payload and b"example" not in payload
    assert read_link_token(database, token, SETTINGS).identifier == "email:ana@example.de"
