"""Customer records from CRM, shop, loyalty and store systems into ``customer_records``.

The record id comes from ``--id-column``; the canonical fields below come from
the columns of the same name or those ``--map field=column`` names; every
other column is kept in ``traits``. The key is (source, record_id): re-importing
an unchanged record counts as a duplicate, a changed record is updated in place
(its ``imported_at`` moves, its ``profile_id`` stays for identity to revisit).
Validation is light on purpose: normalising emails and phones is identity's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import pyarrow as pa

from cxm.collect.importers.base import TIMESTAMP, BatchOutcome, ImportContext, convert, table
from cxm.collect.importers.readers import Batch
from cxm.collect.importers.values import RowError, dumps, jsonable, present, text
from cxm.store.database import Transaction

CANONICAL_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "address_line1",
    "address_line2",
    "city",
    "postcode",
    "region",
    "country",
)
KEY_FIELD = "record_id"
REQUIRED_COLUMNS: tuple[str, ...] = ()
SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("record_id", pa.string()),
        *[(name, pa.string()) for name in CANONICAL_FIELDS],
        ("traits", pa.string()),
        ("imported_at", TIMESTAMP),
    ]
)
_LOOKUP_CHUNK = 500


def _row(context: ImportContext, record: dict[str, Any]) -> dict[str, Any]:
    record_id = text(record, context.id_field)
    if record_id is None:
        raise RowError(context.id_field, "the record id is missing or empty")
    skip = {context.id_field, *CANONICAL_FIELDS}
    traits = {k: jsonable(v) for k, v in record.items() if k not in skip and present(v)}
    row: dict[str, Any] = {"source": context.source, "record_id": record_id}
    for name in CANONICAL_FIELDS:
        row[name] = text(record, name)
    row["traits"] = traits or None
    row["imported_at"] = context.imported_at
    return row


def _stored(tx: Transaction, source: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    columns = ["record_id", *CANONICAL_FIELDS, "CAST(traits AS TEXT)"]
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[start : start + _LOOKUP_CHUNK]
        marks = ", ".join("?" for _ in chunk)
        rows = tx.query(
            f"SELECT {', '.join(columns)} FROM customer_records "
            f"WHERE source = ? AND record_id IN ({marks})",
            [source, *chunk],
        )
        for values in rows:
            stored = dict(zip(["record_id", *CANONICAL_FIELDS], values[:-1], strict=True))
            stored["traits"] = orjson.loads(values[-1]) if values[-1] is not None else None
            found[values[0]] = stored
    return found


def _changed(row: dict[str, Any], stored: dict[str, Any]) -> bool:
    return any(row[name] != stored[name] for name in (*CANONICAL_FIELDS, "traits"))


def _update(tx: Transaction, context: ImportContext, row: dict[str, Any]) -> None:
    json_type = "JSONB" if context.database.dialect == "postgresql" else "JSON"
    assignments = ", ".join(f"{name} = ?" for name in CANONICAL_FIELDS)
    tx.execute(
        f"UPDATE customer_records SET {assignments}, traits = CAST(? AS {json_type}), "
        "imported_at = ? WHERE source = ? AND record_id = ?",
        [
            *(row[name] for name in CANONICAL_FIELDS),
            None if row["traits"] is None else dumps(row["traits"]),
            row["imported_at"],
            row["source"],
            row["record_id"],
        ],
    )


def store_batch(context: ImportContext, batch: Batch) -> BatchOutcome:
    rows, problems = convert(batch, lambda record: _row(context, record))
    # The last occurrence of a record id in the file is the newest version of it.
    latest = {row["record_id"]: row for row in rows}
    outcome = BatchOutcome(duplicate=len(rows) - len(latest), problems=problems)
    with context.database.transaction() as tx:
        stored = _stored(tx, context.source, list(latest))
        new = [row for key, row in latest.items() if key not in stored]
        for key, row in latest.items():
            if key not in stored:
                continue
            if _changed(row, stored[key]):
                _update(tx, context, row)
                outcome.updated += 1
            else:
                outcome.duplicate += 1
        for row in new:
            row["traits"] = None if row["traits"] is None else dumps(row["traits"])
        outcome.stored = tx.append("customer_records", table(new, SCHEMA), ["source", "record_id"])
    return outcome
