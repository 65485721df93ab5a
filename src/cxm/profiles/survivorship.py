"""Survivorship: which of the values different sources hold for a field the profile shows.

Traits are never stored on the profile; they are derived on read from every
observation carrying the profile's id (customer records, identify events), so a
merge or unmerge moves them with the rows and nothing is lost (a merged profile
that drops properties is the classic CDP failure).

Rules, per field (``TRAIT_RULES``; unlisted fields use ``DEFAULT_RULE``):

``most_recent``    the newest observation wins.
``most_trusted``   the source earliest in the trust order (``CXM_SOURCE_TRUST``)
                   wins; unlisted sources rank after listed ones; ties go to the
                   newest observation.
``most_frequent``  the value most observations agree on (compared case- and
                   space-insensitively); ties go to the newest.

Fields in a *group* are taken together from one observation (the best one that has
any of them), so a street from the CRM is never mixed with a city from the shop,
nor a Han given name with a pinyin family name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cxm.profiles.model import Trait

MOST_RECENT = "most_recent"
MOST_TRUSTED = "most_trusted"
MOST_FREQUENT = "most_frequent"
RULES = (MOST_RECENT, MOST_TRUSTED, MOST_FREQUENT)


@dataclass(frozen=True)
class TraitRule:
    rule: str
    group: str | None = None


TRAIT_RULES: dict[str, TraitRule] = {
    "first_name": TraitRule(MOST_TRUSTED, "name"),
    "last_name": TraitRule(MOST_TRUSTED, "name"),
    "birth_date": TraitRule(MOST_TRUSTED),
    "gender": TraitRule(MOST_FREQUENT),
    "email": TraitRule(MOST_RECENT),
    "phone": TraitRule(MOST_RECENT),
    "address_line1": TraitRule(MOST_RECENT, "address"),
    "address_line2": TraitRule(MOST_RECENT, "address"),
    "city": TraitRule(MOST_RECENT, "address"),
    "postcode": TraitRule(MOST_RECENT, "address"),
    "region": TraitRule(MOST_RECENT, "address"),
    "country": TraitRule(MOST_RECENT, "address"),
}
DEFAULT_RULE = TraitRule(MOST_RECENT)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Observation:
    """What one source said about the person at one time."""

    source: str
    observed_at: datetime | None
    values: dict[str, Any]


def _rule(name: str, rules: dict[str, TraitRule]) -> TraitRule:
    return rules.get(name, DEFAULT_RULE)


def _when(observation: Observation) -> datetime:
    return observation.observed_at or _EPOCH


def _comparable(value: Any) -> str:
    return " ".join(str(value).split()).casefold()


def _best(
    candidates: list[Observation], fields: Sequence[str], rule: str, trust: Sequence[str]
) -> Observation:
    if rule == MOST_TRUSTED:
        rank = {source: index for index, source in enumerate(trust)}
        return min(candidates, key=lambda o: (rank.get(o.source, len(rank)), -_when(o).timestamp()))
    if rule == MOST_FREQUENT:

        def signature(o: Observation) -> tuple[str, ...]:
            return tuple(_comparable(o.values.get(f, "")) for f in fields)

        votes = Counter(signature(o) for o in candidates)
        return max(candidates, key=lambda o: (votes[signature(o)], _when(o)))
    return max(candidates, key=_when)


def resolve_traits(
    observations: Sequence[Observation],
    trust: Sequence[str],
    rules: dict[str, TraitRule] | None = None,
) -> tuple[Trait, ...]:
    """One ``Trait`` per field any observation has, chosen by that field's rule."""
    rules = TRAIT_RULES if rules is None else rules
    for name, declared in rules.items():
        if declared.rule not in RULES:
            raise ValueError(f"trait rule for {name!r}: {declared.rule!r} is not one of {RULES}")
    names = sorted({name for o in observations for name in o.values})
    # A group is decided once, for all of its fields that appear anywhere.
    units: dict[str, list[str]] = {}
    for name in names:
        group = _rule(name, rules).group
        units.setdefault(f"group:{group}" if group else name, []).append(name)
    traits: list[Trait] = []
    for fields in units.values():
        rule = _rule(fields[0], rules).rule
        candidates = [o for o in observations if any(f in o.values for f in fields)]
        winner = _best(candidates, fields, rule, trust)
        for name in fields:
            if name in winner.values:
                traits.append(
                    Trait(
                        name,
                        winner.values[name],
                        winner.source,
                        winner.observed_at,
                        rule,
                        sum(1 for o in observations if name in o.values),
                    )
                )
    order = {name: index for index, name in enumerate(TRAIT_RULES)}
    return tuple(sorted(traits, key=lambda t: (order.get(t.name, len(order)), t.name)))
