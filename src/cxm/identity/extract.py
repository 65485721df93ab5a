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
import pyarrow as pa
import pyarrow.compute as pc

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


def _present(column: pa.Array) -> pa.Array:
    """The column as strings, empty strings as missing (falsy ids are no ids)."""
    values = column.cast(pa.string())
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def _mapped(function: Callable[[str], str | None], values: pa.Array) -> pa.Array:
    """``function`` of each value, computed once per distinct value (a batch repeats
    the same ids and e-mails many times) and spread back by index."""
    encoded = pc.dictionary_encode(values)
    results = pa.array([function(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return results.take(encoded.indices)


def _event_rows(
    rows: pa.Table,
) -> tuple[list[str], list[str], list[int], npt.NDArray[np.datetime64]]:
    """Flat identifiers of event rows (the events query's columns), each row's in
    rank order (ties in slot order below), computed column-wise in Arrow/numpy:
    per-value Python work only for the distinct values normalisation needs. Also
    each row's time."""
    if rows.num_rows == 0:
        return [], [], [], np.array([], dtype="datetime64[us]")
    _, anonymous, user, previous, email, context_email, phone, at, source = (
        rows.column(i).combine_chunks() for i in range(9)
    )
    n = rows.num_rows
    user_ids = _present(user)
    anonymous_ids = _present(anonymous)
    sources = source.cast(pa.string())
    messaging_user = pc.fill_null(pc.starts_with(user_ids, MESSAGING_PHONE_PREFIX), False)
    # A userId that is a known record id is that record; a messaging id is anonymous.
    record_type = pc.binary_join_element_wise("record:", sources, "")
    user_type = pc.if_else(
        pc.is_valid(sources),
        record_type,
        pc.if_else(messaging_user, ANONYMOUS_ID, USER_ID),
    )
    user_rank = np.where(
        np.asarray(pc.is_valid(sources)),
        RANK["record"],
        np.where(np.asarray(messaging_user), RANK[ANONYMOUS_ID], RANK[USER_ID]),
    )
    # Slots in the order ties between equal ranks keep.
    values = [
        user_ids,
        _mapped(_messaging_phone, user_ids),
        _mapped(normalise_email, _present(email)),
        _mapped(normalise_email, _present(context_email)),
        _mapped(normalise_phone, _present(phone)),
        _mapped(_messaging_phone, anonymous_ids),
        anonymous_ids,
        _present(previous),
    ]
    fixed = [PHONE, EMAIL, EMAIL, PHONE, PHONE, ANONYMOUS_ID, ANONYMOUS_ID]
    present = np.stack([np.asarray(pc.is_valid(v)) for v in values])
    ranks = np.stack([user_rank] + [np.full(n, RANK[t], dtype=np.int64) for t in fixed])
    row, slot = np.nonzero(present.T)
    order = np.lexsort((slot, ranks[slot, row], row))
    flat = pa.array(slot[order] * n + row[order])
    all_values = pa.concat_arrays([v.cast(pa.string()) for v in values])
    fixed_types = [pa.repeat(pa.scalar(t, pa.string()), n) for t in fixed]
    all_types = pa.concat_arrays([user_type.cast(pa.string()), *fixed_types])
    return (
        all_types.take(flat).to_pylist(),
        all_values.take(flat).to_pylist(),
        present.sum(axis=0).tolist(),
        np.asarray(at.cast(pa.int64())).astype("datetime64[us]"),
    )


def read_batch(
    tx: Transaction, dialect: str, table: str, limit: int, profile_id: str | None = None
) -> FactRows:
    """Up to ``limit`` rows of ``table`` not yet stitched (or, with ``profile_id``,
    the rows of that profile) with their identifiers."""
    where = "profile_id IS NULL" if profile_id is None else "profile_id = ?"
    params: list[Any] = [] if profile_id is None else [profile_id]
    if table == "events":
        # Arrow, not row tuples: transposing a million tuples cost more than the read.
        columns = tx.query_arrow(_queries(dialect, where)[table], [*params, limit])
        types, values, sizes, seen_at = _event_rows(columns)
        event_keys = columns.column(0).to_pylist() if columns.num_rows else []
        return FactRows(
            table,
            [(key, "") for key in event_keys],
            np.array(sizes, dtype=np.int64),
            types,
            values,
            seen_at,
        )
    rows = tx.query(_queries(dialect, where)[table], [*params, limit])
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
