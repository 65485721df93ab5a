from __future__ import annotations

import pytest

from cxm.profiles import SearchError, search_profiles
from cxm.store import Database
from tests.profiles.people import add_profile, add_record


def _people(database: Database) -> None:
    add_profile(database, "p-ana", [("email", "ana.silva@example.de"), ("phone", "+4915112345678")])
    add_record(database, "p-ana", "crm", "CRM-1", first_name="Ana", last_name="Silva")
    add_profile(database, "p-han", [("record:loyalty", "739110")])
    add_record(
        database,
        "p-han",
        "loyalty",
        "739110",
        first_name="桂英",
        last_name="韩",
        phone="177 5128 0492",
    )
    add_profile(database, "p-pct", [("email", "100%@example.com")])
    add_record(database, "p-pct", "shop", "7", first_name="Percy", last_name="Cent")


def _ids(database: Database, query: str) -> list[str]:
    return [s.profile_id for s in search_profiles(database, query)]


def test_search_by_name_in_either_order(database: Database) -> None:
    _people(database)
    assert _ids(database, "ana silva") == ["p-ana"]
    assert _ids(database, "Silva Ana") == ["p-ana"]
    assert _ids(database, "韩桂英") == ["p-han"]
    assert _ids(database, "韩") == ["p-han"]  # one Han character is a surname


def test_search_by_email_prefix_and_phone(database: Database) -> None:
    _people(database)
    assert _ids(database, "ana.si") == ["p-ana"]
    assert _ids(database, "+49 151 12345678") == ["p-ana"]
    summary = search_profiles(database, "ana.silva@example.de")[0]
    assert summary.name == "Ana Silva"
    assert summary.email == "ana.silva@example.de"
    assert summary.phone == "+4915112345678"
    assert summary.sources == ("crm",)


def test_search_by_identifier_or_profile_id(database: Database) -> None:
    _people(database)
    assert _ids(database, "p-han") == ["p-han"]
    assert _ids(database, "record:loyalty:739110") == ["p-han"]


def test_search_treats_wildcards_literally(database: Database) -> None:
    _people(database)
    assert _ids(database, "100%") == ["p-pct"]
    assert _ids(database, "%%") == []


def test_search_rejects_short_query_and_bad_limit(database: Database) -> None:
    with pytest.raises(SearchError) as error:
        search_profiles(database, " a ")
    assert error.value.field == "q"
    with pytest.raises(SearchError) as error:
        search_profiles(database, "ana", limit=0)
    assert error.value.field == "limit"
