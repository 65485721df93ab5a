from __future__ import annotations

from datetime import timedelta

import pytest

from cxm.privacy.consent import ConsentError
from cxm.privacy.preferences import check_preferences, get_preferences, save_preferences
from cxm.store import Database
from tests.profiles.people import NOW, add_profile


def test_preferences_latest_snapshot_wins(database: Database) -> None:
    add_profile(database, "p-1", [("email", "ana@example.de")])
    assert get_preferences(database, "p-1").topics == ()
    first = check_preferences(["offers", "home"], "email", "weekly", "de")
    save_preferences(database, "ana@example.de", first, source="t", at=NOW - timedelta(days=2))
    second = check_preferences(["apparel"], None, "monthly", "en")
    save_preferences(database, "p-1", second, source="pref-centre", at=NOW)
    current = get_preferences(database, "p-1")
    assert current.topics == ("apparel",)
    assert (current.preferred_channel, current.frequency, current.language) == (
        None,
        "monthly",
        "en",
    )
    assert current.source == "pref-centre"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"topics": ["offers", "bitcoin"]}, "topics.1"),
        ({"preferred_channel": "fax"}, "preferred_channel"),
        ({"frequency": "hourly"}, "frequency"),
        ({"language": "fr"}, "language"),
    ],
)
def test_preferences_bad_value_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ConsentError) as error:
        check_preferences(**kwargs)  # type: ignore[arg-type]
    assert error.value.field == field


def test_preferences_duplicate_topics_kept_once() -> None:
    assert check_preferences(["offers", "offers", "tips"]).topics == ("offers", "tips")


def test_preferences_for_unknown_person_refused(database: Database) -> None:
    with pytest.raises(ConsentError) as error:
        save_preferences(database, "ghost", check_preferences(), source="t")
    assert error.value.unknown
