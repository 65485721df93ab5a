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

from collections.abc import Callable, Sequence
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
    sizes: npt.NDArray[np.int64]  # per row: how many identifiers it carries
    types: list[str]  # all rows' identifiers in row order, each row's strongest first
    values: list[str]
    seen_at: npt.NDArray[np.datetime64]  # per row, datetime64[us] in UTC

    @property
    def identifiers(self) -> list[list[tuple[str, str]]]:
        """Per row: its (id_type, id_value) pairs, strongest first."""
        ends = np.cumsum(self.sizes).tolist()
        pairs = list(zip(self.types, self.values, strict=True))
        sizes = self.sizes.tolist()
        return [pairs[end - size : end] for end, size in zip(ends, sizes, strict=True)]


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


def _distinct(
    function: Callable[[str], str | None], column: Sequence[str | None]
) -> list[str | None]:
    """``function`` of each truthy value (None for the others), computed once per
    distinct value: a batch repeats the same ids and e-mails many times."""
    done = {value: function(value) for value in set(column) if value}
    return [done[value] if value else None for value in column]


def _event_columns(rows: Sequence[Sequence[Any]]) -> tuple[list[list[Any]], list[list[Any]]]:
    """Per identifier slot of ``_event`` (same order), a type and a value column,
    the value None where the row has no such identifier."""
    _, anonymous, user, previous, email, context_email, phone, _, source = (
        list(c) for c in zip(*rows, strict=True)
    )
    n = len(rows)
    user_type = [
        (
            None
            if not u
            else f"record:{s}"
            if s is not None
            else ANONYMOUS_ID
            if u.startswith(MESSAGING_PHONE_PREFIX)
            else USER_ID
        )
        for u, s in zip(user, source, strict=True)
    ]
    values: list[list[Any]] = [
        [u if u else None for u in user],
        _distinct(_messaging_phone, user),
        _distinct(normalise_email, email),
        _distinct(normalise_email, context_email),
        _distinct(normalise_phone, phone),
        _distinct(_messaging_phone, anonymous),
        [a if a else None for a in anonymous],
        [p if p else None for p in previous],
    ]
    types: list[list[Any]] = [user_type]
    types += [[t] * n for t in (PHONE, EMAIL, EMAIL, PHONE, PHONE, ANONYMOUS_ID, ANONYMOUS_ID)]
    return types, values


def _event_rows(rows: Sequence[Sequence[Any]]) -> tuple[list[str], list[str], list[int]]:
    """Flat identifiers of event rows, as ``_event`` then a stable sort by rank
    would give, computed column-wise."""
    if not rows:
        return [], [], []
    type_columns, value_columns = _event_columns(rows)
    n = len(rows)
    present = np.array([[v is not None for v in c] for c in value_columns], dtype=bool)
    rank_of = {t: RANK[t.partition(":")[0]] for t in set(type_columns[0]) if t}
    ranks = np.array(
        [[rank_of.get(t, 0) if t else 0 for t in type_columns[0]]]
        + [[RANK[c[0]]] * n for c in type_columns[1:]],
        dtype=np.int64,
    )
    row, slot = np.nonzero(present.T)
    order = np.lexsort((slot, ranks[slot, row], row))
    row, slot = row[order], slot[order]
    flat_types = np.array(type_columns, dtype=object)[slot, row].tolist()
    flat_values = np.array(value_columns, dtype=object)[slot, row].tolist()
    return flat_types, flat_values, present.sum(axis=0).tolist()


def read_batch(
    tx: Transaction, dialect: str, table: str, limit: int, profile_id: str | None = None
) -> FactRows:
    """Up to ``limit`` rows of ``table`` not yet stitched (or, with ``profile_id``,
    the rows of that profile) with their identifiers."""
    where = "profile_id IS NULL" if profile_id is None else "profile_id = ?"
    params: list[Any] = [] if profile_id is None else [profile_id]
    rows = tx.query(_queries(dialect, where)[table], [*params, limit])
    if table == "events":
        types, values, sizes = _event_rows(rows)
        return FactRows(
            table,
            [(row[0], "") for row in rows],
            np.array(sizes, dtype=np.int64),
            types,
            values,
            np.array([row[7] for row in rows], dtype="datetime64[us]"),
        )
    keys: list[tuple[str, str]] = []
    types, values, sizes = [], [], []
    seen: list[int] = []
    for row in rows:
        keys.append((row[0], row[1]))
        if table == "customer_records":
            found = _record(row)
            seen.append(row[5])
        elif table == "reviews":
            found = [(ANONYMOUS_ID, f"{row[0]}:{str(row[2]).strip()}")]
            seen.append(row[3])
        else:
            found = _customer_id(str(row[2]), row[4], row[5])
            seen.append(row[3])
        found.sort(key=lambda pair: RANK[pair[0].partition(":")[0]])
        types.extend(p[0] for p in found)
        values.extend(p[1] for p in found)
        sizes.append(len(found))
    return FactRows(
        table,
        keys,
        np.array(sizes, dtype=np.int64),
        types,
        values,
        np.array(seen, dtype="datetime64[us]"),
    )
