"""Orders: one ``orders`` row and one Segment ``Order Completed`` event per order.

Columns: order_id, customer_id (any identifier the shop has: email, user id,
CRM id), timestamp, amount, currency, items, channel, store_id. ``items`` is a
JSON list (text in CSV) of objects with product_id, quantity and price. The
event (message id ``order:<source>:<order_id>``, userId = customer_id) goes
through the same normalisation as the HTTP API, so analytics sees orders as events.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from cxm.collect.importers.base import TIMESTAMP, BatchOutcome, ImportContext, convert, table
from cxm.collect.importers.channels import order_touchpoint
from cxm.collect.importers.events_out import EventWriter
from cxm.collect.importers.readers import Batch
from cxm.collect.importers.values import (
    RowError,
    dumps,
    json_value,
    number,
    text,
    timestamp,
)

KEY_FIELD = "order_id"
REQUIRED_COLUMNS = ("order_id", "customer_id", "timestamp", "amount", "currency")
SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("order_id", pa.string()),
        ("customer_id", pa.string()),
        ("timestamp", TIMESTAMP),
        ("amount", pa.float64()),
        ("currency", pa.string()),
        ("items", pa.string()),
        ("channel", pa.string()),
        ("store_id", pa.string()),
        ("raw", pa.string()),
        ("imported_at", TIMESTAMP),
    ]
)


def _items(record: dict[str, Any]) -> list[dict[str, Any]] | None:
    value = json_value(record, "items")
    if value is None:
        return None
    if not isinstance(value, list):
        raise RowError("items", "must be a JSON list of {product_id, quantity, price}")
    for index, item in enumerate(value):
        where = f"items[{index}]"
        if not isinstance(item, dict):
            raise RowError(where, "must be an object with product_id, quantity, price")
        if text(item, "product_id") is None:
            raise RowError(f"{where}.product_id", "is required and missing or empty")
        try:
            number(item, "quantity", minimum=0)
            number(item, "price")
        except RowError as error:
            raise RowError(f"{where}.{error.field}", error.reason) from None
    return value


def _currency(record: dict[str, Any]) -> str:
    code = text(record, "currency", required=True) or ""
    if len(code) != 3 or not code.isalpha():
        raise RowError("currency", f"{code!r} is not a 3-letter ISO 4217 code")
    return code.upper()


def _row(context: ImportContext, record: dict[str, Any]) -> dict[str, Any]:
    order_id = text(record, "order_id", required=True)
    amount = number(record, "amount", required=True, minimum=0)
    store_id = text(record, "store_id")
    return {
        "source": context.source,
        "order_id": order_id,
        "customer_id": text(record, "customer_id", required=True),
        "timestamp": timestamp(record, "timestamp", required=True),
        "amount": amount,
        "currency": _currency(record),
        "items": _items(record),
        "channel": order_touchpoint(text(record, "channel"), store_id).value,
        "store_id": store_id,
        "raw": dumps(record),
        "imported_at": context.imported_at,
    }


def _message(context: ImportContext, row: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "order_id": row["order_id"],
        "total": row["amount"],
        "revenue": row["amount"],
        "currency": row["currency"],
        "products": row["items"] or [],
    }
    if row["store_id"]:
        properties["store_id"] = row["store_id"]
    return {
        "type": "track",
        "event": "Order Completed",
        "messageId": f"order:{context.source}:{row['order_id']}",
        "userId": row["customer_id"],
        "timestamp": row["timestamp"].isoformat(),
        "properties": properties,
        "context": {"channel": row["channel"]},
    }


def store_batch(context: ImportContext, batch: Batch) -> BatchOutcome:
    events = EventWriter(context)

    def build(record: dict[str, Any]) -> dict[str, Any]:
        row = _row(context, record)
        # Normalise before keeping the row, so an order whose event is invalid is quarantined whole.
        events.rows.append(events.normalise(_message(context, row)))
        row["items"] = None if row["items"] is None else dumps(row["items"])
        return row

    rows, problems = convert(batch, build)
    with context.database.transaction() as tx:
        stored = tx.append("orders", table(rows, SCHEMA), ["source", "order_id"])
        events.write(tx)
    return BatchOutcome(stored=stored, duplicate=len(rows) - stored, problems=problems)
