"""Finding a person: by profile id or by any of their identifiers.

A merged-away profile id still answers: lookups follow ``merged_into`` to the
profile that absorbed it, so links handed out before a merge keep working.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cxm.identity.normalise import (
    ANONYMOUS_ID,
    EMAIL,
    PHONE,
    RECORD_PREFIX,
    USER_ID,
    is_known_type,
    normalise_identifier,
)
from cxm.store import Database

# Merge chains are short (each merge points at the survivor); this only stops a cycle.
_MAX_HOPS = 64


@dataclass(frozen=True)
class Identifier:
    id_type: str
    id_value: str
    profile_id: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    shared: bool

    @property
    def label(self) -> str:
        return f"{self.id_type}:{self.id_value}"


def current_profile_id(database: Database, profile_id: str) -> str | None:
    """``profile_id`` itself, or the profile it was merged into; None if unknown."""
    seen = profile_id
    for _ in range(_MAX_HOPS):
        rows = database.query("SELECT merged_into FROM profiles WHERE profile_id = ?", [seen])
        if not rows:
            return None
        if rows[0][0] is None:
            return seen
        seen = rows[0][0]
    return seen


def _profile_of(database: Database, id_type: str, value: str | None) -> str | None:
    if value is None:
        return None
    rows = database.query(
        "SELECT profile_id FROM identifiers WHERE id_type = ? AND id_value = ?", [id_type, value]
    )
    if not rows or rows[0][0] is None:
        return None
    return current_profile_id(database, rows[0][0])


def _record_types(database: Database, value: str) -> list[str]:
    rows = database.query(
        "SELECT id_type FROM identifiers WHERE id_value = ? AND id_type LIKE 'record:%' "
        "ORDER BY id_type",
        [value],
    )
    return [r[0] for r in rows]


def find_profile_id(database: Database, identifier: str) -> str | None:
    """The current profile of a profile id, ``type:value`` (``email:ana@x.de``,
    ``record:crm:CRM-1``) or a bare value tried as email, phone, user id,
    anonymous id and record id in that order; None when nobody has it."""
    text = identifier.strip()
    if not text:
        return None
    found = current_profile_id(database, text)
    if found is not None:
        return found
    return profile_of_identifier(database, text)


def profile_of_identifier(database: Database, identifier: str) -> str | None:
    """``find_profile_id`` for a caller that already knows ``identifier`` is not a
    profile id (saves the customer 360 a query)."""
    text = identifier.strip()
    if not text:
        return None
    id_type, sep, value = text.partition(":")
    if sep and id_type == RECORD_PREFIX:
        source, sep2, record_value = value.partition(":")
        if sep2:
            return _profile_of(database, f"{RECORD_PREFIX}:{source}", record_value)
    elif sep and is_known_type(id_type):
        return _profile_of(database, id_type, normalise_identifier(id_type, value))
    for bare_type in (EMAIL, PHONE, USER_ID, ANONYMOUS_ID):
        normalised = normalise_identifier(bare_type, text)
        found = _profile_of(database, bare_type, normalised)
        if found is not None:
            return found
    for record_type in _record_types(database, text):
        found = _profile_of(database, record_type, text)
        if found is not None:
            return found
    return None


def identifiers_of(database: Database, profile_id: str) -> list[Identifier]:
    """Every identifier of the person (following a merged id), in a stable order."""
    current = current_profile_id(database, profile_id)
    if current is None:
        return []
    return identifiers_of_current(database, current)


def identifiers_of_current(database: Database, current: str) -> list[Identifier]:
    """Every identifier of a profile the caller already knows is current (not merged
    away): one query fewer than ``identifiers_of`` on the customer 360's hot path."""
    rows = database.query(
        "SELECT id_type, id_value, profile_id, first_seen_at, last_seen_at, shared "
        "FROM identifiers WHERE profile_id = ? ORDER BY id_type, id_value",
        [current],
    )
    return [Identifier(*row) for row in rows]
