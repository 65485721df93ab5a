"""Identifier normalisation: one spelling per identifier, so equal things compare equal.

E-mail is trimmed and lower-cased (gmail dots are kept: they are a Google rule, not
an e-mail rule, and removing them would merge distinct mailboxes elsewhere). Phones
become E.164 through ``phonenumbers``; a national number needs a region, taken from
the record's country or else tried against ``identity_phone_regions`` in order.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from cxm.settings import get_settings

# Identifier types; per-source ones are spelled "<prefix>:<source name>".
ANONYMOUS_ID = "anonymous_id"
USER_ID = "user_id"
EMAIL = "email"
PHONE = "phone"
RECORD_PREFIX = "record"
BASE_TYPES = (ANONYMOUS_ID, USER_ID, EMAIL, PHONE)

# A value longer than this is not an identifier but garbage (or an attack on the index).
MAX_IDENTIFIER_LENGTH = 512


def is_known_type(id_type: str) -> bool:
    if id_type in BASE_TYPES:
        return True
    prefix, _, source = id_type.partition(":")
    return prefix == RECORD_PREFIX and bool(source)


def normalise_email(value: str) -> str | None:
    email = value.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or " " in email:
        return None
    return email


@lru_cache(maxsize=200_000)
def normalise_phone(value: str, region: str | None = None) -> str | None:
    """E.164 for a phone in any common spelling, or None when it is not a valid number."""
    text = value.strip()
    if not text or sum(ch.isdigit() for ch in text) < 6:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        # An international number needs no region; test data and new number ranges
        # fail is_valid_number, so a possible number is accepted.
        return _format(text, None, strict=False)
    hint = [region.upper()] if region and len(region) == 2 else []
    for candidate in [*hint, *_fallback_regions()]:
        found = _format(text, candidate, strict=True)
        if found is not None:
            return found
    return _format(text, hint[0], strict=False) if hint else None


def _fallback_regions() -> list[str]:
    return [r.strip().upper() for r in get_settings().identity_phone_regions.split(",") if r]


def _format(text: str, region: str | None, strict: bool) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    ok = phonenumbers.is_valid_number if strict else phonenumbers.is_possible_number
    if not ok(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_identifier(id_type: str, value: str | None, region: str | None = None) -> str | None:
    """The stored spelling of ``value`` as an identifier of ``id_type``; None if unusable.

    ``region`` (ISO country code) helps national phone numbers. Unknown types raise
    ``ValueError`` naming the type, so a caller's typo is not silently ignored.
    """
    if not is_known_type(id_type):
        raise ValueError(f"id_type: unknown identifier type {id_type!r}")
    if value is None:
        return None
    text = str(value).strip()
    if not text or len(text) > MAX_IDENTIFIER_LENGTH:
        return None
    if id_type == EMAIL:
        return normalise_email(text)
    if id_type == PHONE:
        return normalise_phone(text, region)
    return text
