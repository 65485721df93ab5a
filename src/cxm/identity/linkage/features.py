"""Comparable spellings of what customer records say about a person.

Names: accents folded, Han characters as pinyin (许梓萱 and "Xu Zixuan" compare
equal), nicknames mapped to the given name (Danny -> daniel). Birth dates in the
formats tills and spreadsheets produce (1980-12-31, 31.12.1980, 12/31/1980,
1980年12月31日) become ISO dates. Postcodes lose spaces and case; US ZIP+4 keeps
the ZIP, and a spreadsheet's dropped leading zero is put back for 5-digit
countries. Phones are E.164 (the record's country, else the phone regions setting).
Each function caches by value: a million records hold far fewer distinct values.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

from pypinyin import lazy_pinyin

from cxm.identity.linkage.nicknames import NICKNAMES
from cxm.identity.normalise import normalise_email, normalise_phone

_HAN = re.compile(r"[\u3400-\u9fff]")
_NOT_LETTER = re.compile(r"[^a-z]")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_HAN_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$")
_FIVE_DIGIT_POSTCODES = {"US", "DE", "FR", "IT", "ES"}


@lru_cache(maxsize=100_000)
def name_key(text: str | None) -> str | None:
    """Lower-case ASCII letters only; Han characters spelled in pinyin."""
    if not text:
        return None
    value = text.strip()
    if _HAN.search(value):
        value = "".join(lazy_pinyin(value))
    folded = unicodedata.normalize("NFKD", value.replace("ß", "ss"))
    letters = _NOT_LETTER.sub(
        "", "".join(c for c in folded if not unicodedata.combining(c)).lower()
    )
    return letters or None


@lru_cache(maxsize=100_000)
def first_name_key(text: str | None) -> str | None:
    key = name_key(text)
    return NICKNAMES.get(key, key) if key else None


def _valid(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


@lru_cache(maxsize=100_000)
def birth_date(text: str | None) -> str | None:
    """ISO date; a slashed date is month/day unless the first part cannot be a month."""
    if not text:
        return None
    value = text.strip()
    for pattern, order in ((_ISO, "ymd"), (_HAN_DATE, "ymd"), (_DOTTED, "dmy")):
        match = pattern.match(value)
        if match:
            parts = dict(zip(order, map(int, match.groups()), strict=True))
            return _valid(parts["y"], parts["m"], parts["d"])
    match = _SLASHED.match(value)
    if match:
        first, second, year = map(int, match.groups())
        if first > 12:
            return _valid(year, second, first)
        return _valid(year, first, second)
    return None


@lru_cache(maxsize=100_000)
def postcode_key(text: str | None, country: str | None) -> str | None:
    if not text:
        return None
    value = re.sub(r"\s+", "", text).upper()
    region = (country or "").upper()
    if re.fullmatch(r"\d{5}-\d{4}", value):
        value = value[:5]
    if region in _FIVE_DIGIT_POSTCODES and value.isdigit() and len(value) < 5:
        value = value.zfill(5)
    return value or None


def email_key(text: str | None) -> str | None:
    return normalise_email(text) if text else None


def phone_key(text: str | None, country: str | None) -> str | None:
    return normalise_phone(text, country) if text else None


@lru_cache(maxsize=10_000)
def phone_country(e164: str | None) -> str | None:
    """The region of an E.164 number, a country hint for records without one."""
    if not e164:
        return None
    import phonenumbers

    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or None
    except phonenumbers.NumberParseException:
        return None
