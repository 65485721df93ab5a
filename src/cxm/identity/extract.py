"""Which identifiers each fact row carries.

One query per table reads a batch of rows with their raw identifier columns
(opaque ids already looked up: a user id or customer id that is a known customer
record id becomes ``record:<source>``), then Python turns each row into typed,
normalised identifiers ranked by strength: the row belongs to the profile of its
strongest identifier, and all of a row's identifiers are linked to it.

Typing rules (the demo's systems, and most real ones, reuse ids across systems):
- event userId: ``record:<source>`` when some customer source has that record id,
  else ``user_id``; anonymousId ``anonymous_id`` (``wa:+E.164`` also gives a phone);
  alias previousId ``anonymous_id``; traits.email / context.traits.email; traits.phone.
- customer record: ``record:<source>``, email, phone (region = its country), and the
  ``user_id`` of the same value when events already used it before the import.
- order/ticket customer_id: e-mail-looking -> email, ``+`` -> phone, a record id ->
  ``record:<source>``, a known anonymous id (messaging open ids) -> anonymous_id,
  else ``user_id``.
- review: ``anonymous_id`` ``<platform>:<author handle>`` (the social listening id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cxm.identity.normalise import (
    ANONYMOUS_ID,
    EMAIL,
    PHONE,
    USER_ID,
    normalise_email,
    normalise_phone,
)
from cxm.store import Transaction

MESSAGING_PHONE_PREFIX = "wa:"
# Lower is stronger: the row goes to the profile of its strongest identifier.
RANK = {"record": 0, USER_ID: 1, EMAIL: 2, PHONE: 3, ANONYMOUS_ID: 4}


@dataclass(frozen=True)
class FactRows:
    """A batch of one table's rows and the identifiers each carries."""

    table: str
    keys: list[tuple[str, str]]  # per row: the row's key (second part '' for events)
    identifiers: list[list[tuple[str, str]]]  # per row: (id_type, id_value), strongest first
    seen_at: npt.NDArray[np.datetime64]  # per row, datetime64[us] in UTC


def _epoch_us(dialect: str, column: str) -> str:
    # Integers, not timestamps: converting each to a zoned Python datetime cost more
    # than the rest of the read.
    if dialect == "duckdb":
        return f"epoch_us({column})"
    return f"CAST(floor(extract(epoch FROM {column}) * 1000000) AS BIGINT)"


def _json_text(dialect: str, column: str, *path: str) -> str:
    if dialect == "duckdb":
        return f"json_extract_string({column}, '$.{'.'.join(path)}')"
    arrows = "".join(f"->'{p}'" for p in path[:-1])
    return f"{column}{arrows}->>'{path[-1]}'"


def _record_source(column: str) -> str:
    return f"(SELECT min(c.source) FROM customer_records c WHERE c.record_id = {column})"


def _known_anonymous(column: str) -> str:
    return (
        "(SELECT count(*) FROM identifiers i "
        f"WHERE i.id_type = 'anonymous_id' AND i.id_value = {column})"
    )


def _queries(dialect: str, where: str) -> dict[str, str]:
    email = _json_text(dialect, "e.traits", "email")
    context_email = _json_text(dialect, "e.context", "traits", "email")
    phone = _json_text(dialect, "e.traits", "phone")
    at = _epoch_us(dialect, "t.{at}")
    customer = (
        f"SELECT t.source, t.{{key}}, t.customer_id, {at}, "
        + _record_source("t.customer_id")
        + ", "
        + _known_anonymous("t.customer_id")
        + " FROM {table} t WHERE t.{where} LIMIT ?"
    )
    return {
        "customer_records": (
            "SELECT r.source, r.record_id, r.email, r.phone, r.country, "
            f"{_epoch_us(dialect, 'r.imported_at')}, "
            "(SELECT count(*) FROM identifiers i WHERE i.id_type = 'user_id' "
            f"AND i.id_value = r.record_id) FROM customer_records r WHERE r.{where} LIMIT ?"
        ),
        "orders": customer.format(key="order_id", at="timestamp", table="orders", where=where),
        "tickets": customer.format(key="ticket_id", at="created_at", table="tickets", where=where),
        "events": (
            f"SELECT CAST(e.event_key AS TEXT), e.anonymous_id, e.user_id, e.previous_id, "
            f"{email}, {context_email}, {phone}, {_epoch_us(dialect, 'e.timestamp')}, "
            f"{_record_source('e.user_id')} "
            f"FROM events e WHERE e.{where} LIMIT ?"
        ),
        "reviews": (
            f"SELECT v.source, v.review_id, v.author_handle, {_epoch_us(dialect, 'v.posted_at')} "
            "FROM reviews v "
            f"WHERE v.{where} AND v.author_handle IS NOT NULL LIMIT ?"
        ),
    }


# Records first so that user ids arriving in the same pass resolve to them.
FACT_TABLES = ("customer_records", "orders", "tickets", "events", "reviews")


def _opaque(value: str, record_source: str | None, known_anonymous: bool) -> tuple[str, str]:
    if record_source is not None:
        return f"record:{record_source}", value
    # Messaging ids ("wa:+E.164", WeChat open ids) are anonymous ids wherever they appear.
    messaging = known_anonymous or value.startswith(MESSAGING_PHONE_PREFIX)
    return (ANONYMOUS_ID if messaging else USER_ID), value


def _messaging_phone(value: str | None) -> str | None:
    if value and value.startswith(MESSAGING_PHONE_PREFIX):
        return normalise_phone(value[len(MESSAGING_PHONE_PREFIX) :])
    return None


def _customer_id(
    value: str, record_source: str | None, known_anonymous: int
) -> list[tuple[str, str]]:
    text = value.strip()
    phone = _messaging_phone(text)
    if phone is not None:
        return [(ANONYMOUS_ID, text), (PHONE, phone)]
    if "@" in text:
        email = normalise_email(text)
        if email is not None:
            return [(EMAIL, email)]
    if text.startswith("+"):
        phone = normalise_phone(text)
        if phone is not None:
            return [(PHONE, phone)]
    return [_opaque(text, record_source, known_anonymous > 0)]


def _event(row: Sequence[Any]) -> list[tuple[str, str]]:
    _, anonymous, user, previous, email, context_email, phone, _, record_source = row
    found: list[tuple[str, str]] = []
    if user:
        found.append(_opaque(str(user), record_source, False))
        user_phone = _messaging_phone(str(user))
        if user_phone:
            found.append((PHONE, user_phone))
    for candidate in (email, context_email):
        normalised = normalise_email(str(candidate)) if candidate else None
        if normalised:
            found.append((EMAIL, normalised))
    for normalised in (
        normalise_phone(str(phone)) if phone else None,
        _messaging_phone(anonymous),
    ):
        if normalised:
            found.append((PHONE, normalised))
    if anonymous:
        found.append((ANONYMOUS_ID, str(anonymous)))
    if previous:
        found.append((ANONYMOUS_ID, str(previous)))
    return found


def _record(row: Sequence[Any]) -> list[tuple[str, str]]:
    source, record_id, email, phone, country, _, used_as_user_id = row
    found = [(f"record:{source}", str(record_id))]
    if used_as_user_id:
        found.append((USER_ID, str(record_id)))
    normalised_email = normalise_email(email) if email else None
    if normalised_email:
        found.append((EMAIL, normalised_email))
    normalised_phone = normalise_phone(phone, country) if phone else None
    if normalised_phone:
        found.append((PHONE, normalised_phone))
    return found


def read_batch(
    tx: Transaction, dialect: str, table: str, limit: int, profile_id: str | None = None
) -> FactRows:
    """Up to ``limit`` rows of ``table`` not yet stitched (or, with ``profile_id``,
    the rows of that profile) with their identifiers."""
    where = "profile_id IS NULL" if profile_id is None else "profile_id = ?"
    params: list[Any] = [] if profile_id is None else [profile_id]
    rows = tx.query(_queries(dialect, where)[table], [*params, limit])
    keys: list[tuple[str, str]] = []
    identifiers: list[list[tuple[str, str]]] = []
    seen: list[int] = []
    for row in rows:
        if table == "events":
            keys.append((row[0], ""))
            found = _event(row)
            seen.append(row[7])
        elif table == "customer_records":
            keys.append((row[0], row[1]))
            found = _record(row)
            seen.append(row[5])
        elif table == "reviews":
            keys.append((row[0], row[1]))
            found = [(ANONYMOUS_ID, f"{row[0]}:{str(row[2]).strip()}")]
            seen.append(row[3])
        else:
            keys.append((row[0], row[1]))
            found = _customer_id(str(row[2]), row[4], row[5])
            seen.append(row[3])
        found.sort(key=lambda pair: RANK[pair[0].partition(":")[0]])
        identifiers.append(found)
    return FactRows(table, keys, identifiers, np.array(seen, dtype="datetime64[us]"))
