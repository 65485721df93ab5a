from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cxm.profiles import Observation, TraitRule, resolve_traits
from cxm.profiles.survivorship import MOST_FREQUENT, MOST_RECENT, MOST_TRUSTED


def _at(day: int) -> datetime:
    return datetime(2026, 1, day, tzinfo=UTC)


def _traits(observations: list[Observation], trust: list[str], rules: dict[str, TraitRule]):
    return {t.name: t for t in resolve_traits(observations, trust, rules)}


def test_most_recent_picks_newest_observation() -> None:
    found = _traits(
        [
            Observation("crm", _at(1), {"email": "old@x.de"}),
            Observation("shop", _at(5), {"email": "new@x.de"}),
            Observation("loyalty", _at(3), {"email": "mid@x.de"}),
        ],
        ["crm"],
        {"email": TraitRule(MOST_RECENT)},
    )
    assert found["email"].value == "new@x.de"
    assert found["email"].source == "shop"
    assert found["email"].candidates == 3


def test_most_trusted_prefers_source_order_over_recency() -> None:
    observations = [
        Observation("shop", _at(9), {"birth_date": "1980-02-01"}),
        Observation("crm", _at(1), {"birth_date": "1980-01-02"}),
        Observation("web", _at(10), {"birth_date": "1999-09-09"}),
    ]
    rules = {"birth_date": TraitRule(MOST_TRUSTED)}
    assert _traits(observations, ["crm", "shop"], rules)["birth_date"].value == "1980-01-02"
    assert _traits(observations, ["shop", "crm"], rules)["birth_date"].value == "1980-02-01"
    # No source listed: unlisted sources tie, and the newest wins.
    assert _traits(observations, [], rules)["birth_date"].value == "1999-09-09"


def test_most_frequent_counts_values_case_insensitively() -> None:
    found = _traits(
        [
            Observation("a", _at(1), {"gender": "F"}),
            Observation("b", _at(2), {"gender": "f "}),
            Observation("c", _at(3), {"gender": "m"}),
        ],
        [],
        {"gender": TraitRule(MOST_FREQUENT)},
    )
    assert found["gender"].value.strip().lower() == "f"
    assert found["gender"].rule == MOST_FREQUENT


def test_grouped_fields_come_from_one_observation() -> None:
    rules = {
        "city": TraitRule(MOST_RECENT, "address"),
        "postcode": TraitRule(MOST_RECENT, "address"),
        "address_line1": TraitRule(MOST_RECENT, "address"),
    }
    found = _traits(
        [
            Observation(
                "crm", _at(1), {"address_line1": "Hauptstr. 1", "city": "Köln", "postcode": "50667"}
            ),
            Observation("shop", _at(5), {"city": "Berlin"}),
        ],
        [],
        rules,
    )
    # The newer observation wins the whole address: no Köln street with a Berlin city.
    assert found["city"].value == "Berlin"
    assert "address_line1" not in found and "postcode" not in found


def test_fields_without_a_rule_use_most_recent() -> None:
    found = _traits(
        [Observation("a", _at(1), {"tier": "gold"}), Observation("b", _at(2), {"tier": "silver"})],
        [],
        {},
    )
    assert found["tier"].value == "silver"


def test_unknown_rule_is_rejected() -> None:
    with pytest.raises(ValueError, match="most_loved"):
        resolve_traits([], [], {"email": TraitRule("most_loved")})
