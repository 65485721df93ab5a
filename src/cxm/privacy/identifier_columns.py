"""How a table's rows point at a person besides ``profile_id`` (used by erase/export)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IdentifierColumns:
    """How rows of one table point at a person besides ``profile_id``."""

    # Columns holding a bare identifier value (anonymous id, user id, customer id...).
    values: tuple[str, ...] = ()
    # Columns holding an e-mail as typed (compared trimmed and lower-cased).
    emails: tuple[str, ...] = ()
    # (type column, value column) pairs holding a normalised identifier.
    typed: tuple[tuple[str, str], ...] = ()
    # (source column, record id column) pairs: a per-source record id.
    records: tuple[tuple[str, str], ...] = ()
    # Columns holding an identifier label 'type:value'.
    labels: tuple[str, ...] = ()
    # Columns holding another profile id (merge history, reviews).
    profile_refs: tuple[str, ...] = ()
    # Free-text columns (raw input) searched for any identifier value.
    texts: tuple[str, ...] = field(default=())
