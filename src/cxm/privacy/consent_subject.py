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


def stored_identifier(database: Database, identifier: str, profile_id: str) -> str:
    """``identifier`` as the ledger keeps it: ``type:value`` whenever the type is known."""
    from cxm.identity import identifiers_of, normalise_identifier

    text = identifier.strip()
    if text == profile_id:
        return f"profile:{profile_id}"
    id_type, sep, value = text.partition(":")
    if sep and id_type in _NORMALISED_TYPES:
        return f"{id_type}:{normalise_identifier(id_type, value) or value.strip()}"
    if sep and id_type == "record":
        return text
    # A bare value: name it by the identifier of this person it matched.
    spellings = {text, *(normalise_identifier(t, text) for t in _NORMALISED_TYPES)}
    for known in identifiers_of(database, profile_id):
        if known.id_value in spellings:
            return f"{known.id_type}:{known.id_value}"
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
    return Subject(profile_id, stored_identifier(database, text, profile_id))
