"""``search_profiles``: find people by name, e-mail, phone or any identifier.

An exact identifier (or profile id) comes first; then e-mail / phone / user id
prefixes; then names from customer records ("Ana Silva", "Silva Ana" and, for
Chinese names written without a space, "韩桂英" all match).
"""

from __future__ import annotations

from cxm.errors import FieldError
from cxm.profiles.model import ProfileSummary
from cxm.settings import get_settings
from cxm.store import Database

MAX_LIMIT = 100
_MIN_QUERY = 2
_CJK_START = 0x2E80


class SearchError(FieldError):
    pass


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped


def _identifier_matches(database: Database, query: str, limit: int) -> list[tuple[str, str]]:
    from cxm.identity import normalise_identifier

    candidates = {query.lower()}
    phone = normalise_identifier("phone", query)
    if phone:
        candidates.add(phone)
    found: list[tuple[str, str]] = []
    for value in sorted(candidates):
        rows = database.query(
            "SELECT profile_id, id_type, id_value FROM identifiers "
            "WHERE id_type IN ('email', 'phone', 'user_id') AND id_value LIKE ? ESCAPE '\\' "
            "AND profile_id IS NOT NULL ORDER BY id_value LIMIT ?",
            [_like(value) + "%", limit],
        )
        found += [(str(r[0]), f"{r[1]}:{r[2]}") for r in rows]
    return found


def _name_matches(database: Database, query: str, limit: int) -> list[tuple[str, str]]:
    # One haystack per record holds both name orders and the CJK spelling without a
    # space; strpos (in DuckDB and PostgreSQL alike) needs no LIKE escaping.
    needle = " ".join(query.lower().split())
    first, last = "lower(coalesce(first_name, ''))", "lower(coalesce(last_name, ''))"
    haystack = (
        f"{first} || ' ' || {last} || '|' || {last} || ' ' || {first} || '|' || {last} || {first}"
    )
    rows = database.query(
        "SELECT DISTINCT profile_id, first_name, last_name FROM customer_records "
        f"WHERE profile_id IS NOT NULL AND strpos({haystack}, ?) > 0 "
        "ORDER BY profile_id LIMIT ?",
        [needle, limit],
    )
    return [(str(r[0]), f"name:{' '.join(p for p in (r[1], r[2]) if p)}") for r in rows]


def summaries(database: Database, matches: list[tuple[str, str]]) -> list[ProfileSummary]:
    """One line per profile: the most trusted record's name, an e-mail and a phone."""
    if not matches:
        return []
    ids = list(dict.fromkeys(pid for pid, _ in matches))
    marks = ", ".join("?" for _ in ids)
    records = database.query(
        f"SELECT profile_id, source, first_name, last_name, email, phone FROM customer_records "
        f"WHERE profile_id IN ({marks})",
        ids,
    )
    identifiers = database.query(
        f"SELECT profile_id, id_type, min(id_value) FROM identifiers "
        f"WHERE profile_id IN ({marks}) AND id_type IN ('email', 'phone') "
        f"GROUP BY profile_id, id_type",
        ids,
    )
    trust = {source: rank for rank, source in enumerate(get_settings().source_trust)}
    by_profile: dict[str, list[tuple[object, ...]]] = {}
    for row in sorted(records, key=lambda r: trust.get(str(r[1]), len(trust))):
        by_profile.setdefault(str(row[0]), []).append(row)
    known = {(str(r[0]), str(r[1])): str(r[2]) for r in identifiers}
    reason = dict(reversed(matches))
    found = []
    for pid in ids:
        rows = by_profile.get(pid, [])
        named = next((r for r in rows if r[2] or r[3]), None)
        name = " ".join(str(p) for p in (named[2], named[3]) if p) if named else None
        email = known.get((pid, "email")) or next((str(r[4]) for r in rows if r[4]), None)
        phone = known.get((pid, "phone")) or next((str(r[5]) for r in rows if r[5]), None)
        sources = tuple(sorted({str(r[1]) for r in rows}))
        found.append(ProfileSummary(pid, name, email, phone, sources, reason[pid]))
    return found


def search_profiles(database: Database, query: str, limit: int = 20) -> list[ProfileSummary]:
    from cxm.identity import find_profile_id

    text = " ".join(query.split())
    # One Han character is a whole surname (李, 王); one Latin letter is not a search.
    wide = any(ord(char) >= _CJK_START for char in text)
    if len(text) < (1 if wide else _MIN_QUERY):
        raise SearchError("q", f"type at least {_MIN_QUERY} characters")
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError("limit", f"must be between 1 and {MAX_LIMIT}")
    matches: list[tuple[str, str]] = []
    exact = find_profile_id(database, text)
    if exact is not None:
        matches.append((exact, f"identifier:{text}"))
    matches += _identifier_matches(database, text, limit)
    matches += _name_matches(database, text, limit)
    unique = list(dict.fromkeys(pid for pid, _ in matches))[:limit]
    chosen = [(pid, why) for pid, why in matches if pid in set(unique)]
    return summaries(database, chosen)
