"""Who a data-subject request is about: their profiles and every identifier value.

Starts from ``cxm.identity.find_profile_id`` (profile id or any identifier) and the
identifiers identity assigned to that person, plus the identifier as asked; then
follows rows identity has not resolved yet (profile_id empty) to pick up the
values they carry (an order's customer id, an event's anonymous id...). Values
identity marked shared, or assigned to someone else, are never followed: erasing
one person must not erase another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cxm.errors import FieldError
from cxm.identity.normalise import is_known_type, normalise_identifier
from cxm.store import Database

_ROUNDS = 4


class SubjectError(FieldError):
    pass


@dataclass(frozen=True)
class Subject:
    identifier: str
    profile_ids: frozenset[str]
    values: frozenset[str]
    emails: frozenset[str]
    labels: frozenset[str]  # 'type:value' of typed identifiers, including 'record:src:id'

    @property
    def empty(self) -> bool:
        return not (self.profile_ids or self.values or self.emails or self.labels)

    def all_values(self) -> frozenset[str]:
        return self.values | self.emails


def _find_profile_id(database: Database, identifier: str) -> str | None:
    from cxm.identity.lookup import find_profile_id

    return find_profile_id(database, identifier)


def _placeholders(items: Iterable[object]) -> str:
    return ", ".join("?" for _ in items)


def profile_family(database: Database, profile_id: str) -> set[str]:
    """The profile and every profile merged into it, directly or through others."""
    family = {profile_id}
    frontier = [profile_id]
    while frontier:
        rows = database.query(
            f"SELECT profile_id FROM profiles WHERE merged_into IN ({_placeholders(frontier)})",
            frontier,
        )
        frontier = [str(r[0]) for r in rows if r[0] not in family]
        family.update(frontier)
    return family


class _Collector:
    def __init__(self) -> None:
        self.values: set[str] = set()
        self.emails: set[str] = set()
        self.labels: dict[str, str] = {}  # label -> value

    def typed(self, id_type: str, value: str) -> None:
        self.labels[f"{id_type}:{value}"] = value
        if id_type == "email":
            self.emails.add(value)
        else:
            self.values.add(value)

    def bare(self, value: str | None) -> None:
        if value is None or not str(value).strip():
            return
        text = str(value).strip()
        email = normalise_identifier("email", text) if "@" in text else None
        if email:
            self.emails.add(email)
        else:
            self.values.add(text)


def _seed(collector: _Collector, text: str, is_profile_id: bool) -> None:
    if is_profile_id:
        return
    id_type, sep, rest = text.partition(":")
    if sep and id_type == "record":
        source, sep2, record_id = rest.partition(":")
        if sep2 and source and record_id:
            collector.typed(f"record:{source}", record_id)
            return
    if sep and is_known_type(id_type):
        normalised = normalise_identifier(id_type, rest)
        if normalised:
            collector.typed(id_type, normalised)
            return
    collector.bare(text)
    phone = normalise_identifier("phone", text) if any(c.isdigit() for c in text) else None
    if phone:
        collector.values.add(phone)


def _harvest_unresolved(database: Database, c: _Collector) -> None:
    """Add the values carried by rows that match but have no profile yet."""
    values = sorted(c.values)
    emails = sorted(c.emails)
    if values:
        marks = _placeholders(values)
        for anon, user in database.query(
            f"SELECT anonymous_id, user_id FROM events WHERE profile_id IS NULL "
            f"AND (anonymous_id IN ({marks}) OR user_id IN ({marks}))",
            [*values, *values],
        ):
            c.bare(anon)
            c.bare(user)
    keys = sorted(c.labels)
    conditions, params = [], []
    if keys:
        conditions.append(f"'record:' || source || ':' || record_id IN ({_placeholders(keys)})")
        params += keys
    if emails:
        conditions.append(f"lower(trim(email)) IN ({_placeholders(emails)})")
        params += emails
    if values:
        conditions.append(f"record_id IN ({_placeholders(values)})")
        conditions.append(f"phone IN ({_placeholders(values)})")
        params += values + values
    if conditions:
        for source, record_id, email, phone in database.query(
            "SELECT source, record_id, email, phone FROM customer_records "
            f"WHERE profile_id IS NULL AND ({' OR '.join(conditions)})",
            params,
        ):
            c.typed(f"record:{source}", str(record_id))
            c.bare(email)
            c.bare(phone)
    everything = sorted(c.values | c.emails)
    if everything:
        for table in ("orders", "tickets"):
            for (customer_id,) in database.query(
                f"SELECT DISTINCT customer_id FROM {table} WHERE profile_id IS NULL "
                f"AND (customer_id IN ({_placeholders(everything)}) "
                f"OR lower(trim(customer_id)) IN ({_placeholders(everything)}))",
                [*everything, *everything],
            ):
                c.bare(customer_id)


def _drop_foreign(database: Database, c: _Collector, family: set[str]) -> None:
    """Forget values identity marks shared or gives to another person."""
    candidates = sorted(c.values | c.emails)
    if not candidates:
        return
    rows = database.query(
        f"SELECT id_value, shared, profile_id FROM identifiers "
        f"WHERE id_value IN ({_placeholders(candidates)})",
        candidates,
    )
    foreign = {
        str(value)
        for value, shared, owner in rows
        if shared or (owner is not None and owner not in family)
    }
    c.values -= foreign
    c.emails -= foreign
    c.labels = {label: v for label, v in c.labels.items() if v not in foreign}


def find_subject(database: Database, identifier: str) -> Subject:
    text = identifier.strip()
    if not text:
        raise SubjectError("identifier", "must not be empty")
    if len(text) > 512:
        raise SubjectError("identifier", "longer than 512 characters")
    profile_id = _find_profile_id(database, text)
    family = profile_family(database, profile_id) if profile_id else set()
    collector = _Collector()
    if family:
        for id_type, id_value in database.query(
            f"SELECT id_type, id_value FROM identifiers WHERE NOT shared "
            f"AND profile_id IN ({_placeholders(family)})",
            sorted(family),
        ):
            collector.typed(str(id_type), str(id_value))
    _seed(collector, text, is_profile_id=text in family)
    for _ in range(_ROUNDS):
        before = (len(collector.values), len(collector.emails), len(collector.labels))
        _harvest_unresolved(database, collector)
        _drop_foreign(database, collector, family)
        if before == (len(collector.values), len(collector.emails), len(collector.labels)):
            break
    return Subject(
        text,
        frozenset(family),
        frozenset(collector.values),
        frozenset(collector.emails),
        frozenset(collector.labels),
    )
