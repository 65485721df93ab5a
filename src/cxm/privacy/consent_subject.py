"""Who a consent or preference statement is about: a profile, and the identifier used.

The identifier is kept normalised as ``type:value`` (``email:ana@x.de``) so that an
unmerge can hand the entry back to the person who actually gave it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cxm.store import Database

# Identifier types whose values identity normalises (email case, E.164 phones...).
_NORMALISED_TYPES = ("email", "phone", "user_id", "anonymous_id")


@dataclass(frozen=True)
class Subject:
    profile_id: str
    identifier: str


def stored_identifier(identifier: str, profile_id: str) -> str:
    """``identifier`` as it is kept in the ledger: ``type:value`` where it names a type."""
    from cxm.identity import normalise_identifier

    text = identifier.strip()
    if text == profile_id:
        return f"profile:{profile_id}"
    id_type, sep, value = text.partition(":")
    if sep and id_type in _NORMALISED_TYPES:
        normalised = normalise_identifier(id_type, value)
        return f"{id_type}:{normalised or value.strip()}"
    return text


def resolve_subject(database: Database, identifier: str) -> Subject | None:
    """The profile ``identifier`` names (following merges), or None when unknown."""
    from cxm.identity import find_profile_id

    text = identifier.strip()
    if not text:
        return None
    profile_id = find_profile_id(database, text)
    if profile_id is None:
        return None
    return Subject(profile_id, stored_identifier(text, profile_id))
