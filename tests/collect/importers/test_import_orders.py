from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from cxm.collect.importers import ImportFileError, import_file
from cxm.store import Database
from tests.collect.importers.files import write_rows

ORDERS: list[dict[str, Any]] = [
    {
        "order_id": "o1",
        "customer_id": "alice@example.com",
        "timestamp": "2025-03-01T10:00:00Z",
        "amount": 42.5,
        "currency": "eur",
        "items": [{"product_id": "p1", "quantity": 2, "price": 21.25}],
        "channel": "online",
        "store_id": None,
    },
    {
        "order_id": "o2",
        "customer_id": "u-2",
        "timestamp": "2025-03-02T11:00:00+01:00",
        "amount": 10,
        "currency": "USD",
        "items": [],
        "channel": None,
        "store_id": "S12",
    },
    {
        "order_id": "o3",
        "customer_id": "u-3",
        "timestamp": "yesterday",
        "amount": 5,
        "currency": "EUR",
        "items": [],
        "channel": "web",
        "store_id": None,
    },
    {
        "order_id": "o4",
        "customer_id": "u-4",
        "timestamp": "2025-03-02T11:00:00Z",
        "amount": -3,
        "currency": "EUR",
        "items": [],
        "channel": "web",
        "store_id": None,
    },
]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_orders_import_stores_orders_events_and_quarantines_bad_rows(
    database: Database, tmp_path: Path, fmt: str
) -> None:
    summary = import_file(database, "orders", write_rows(tmp_path, "orders", ORDERS, fmt))
    assert (summary.rows_read, summary.rows_stored, summary.rows_quarantined) == (4, 2, 2)
    assert [(q.line, q.field) for q in summary.quarantined] == [
        (4 if fmt == "csv" else 3, "timestamp"),
        (5 if fmt == "csv" else 4, "amount"),
    ]
    orders = database.query_dicts(
        "SELECT order_id, amount, currency, channel, store_id, CAST(items AS TEXT) AS items "
        "FROM orders ORDER BY order_id"
    )
    assert [(o["order_id"], o["currency"], o["channel"]) for o in orders] == [
        ("o1", "EUR", "web"),
        ("o2", "USD", "store"),
    ]
    assert orjson.loads(orders[0]["items"])[0]["product_id"] == "p1"
    events = database.query_dicts(
        "SELECT message_id, type, event, user_id, channel, timestamp, "
        "CAST(properties AS TEXT) AS properties FROM events ORDER BY message_id"
    )
    assert [e["message_id"] for e in events] == ["order:orders:o1", "order:orders:o2"]
    assert events[0]["event"] == "Order Completed" and events[0]["user_id"] == "alice@example.com"
    assert events[1]["timestamp"].isoformat().startswith("2025-03-02T10:00:00")
    properties = orjson.loads(events[0]["properties"])
    assert properties["revenue"] == 42.5 and properties["products"][0]["quantity"] == 2
    reasons = database.query("SELECT line_number, field, reason FROM quarantine ORDER BY 1")
    assert reasons[1][1] == "amount" and reasons[1][2].endswith("is below the minimum 0")


def test_orders_reimport_stores_nothing_new(database: Database, tmp_path: Path) -> None:
    path = write_rows(tmp_path, "orders", ORDERS[:2], "parquet")
    first = import_file(database, "orders", path, source="shop")
    again = import_file(database, "orders", path, source="shop")
    assert (first.rows_stored, again.rows_stored, again.rows_duplicate) == (2, 0, 2)
    assert database.scalar("SELECT count(*) FROM events") == 2
    assert database.scalar("SELECT count(*) FROM import_runs WHERE source = 'shop'") == 2


def test_orders_bad_items_are_quarantined_with_item_path(
    database: Database, tmp_path: Path
) -> None:
    bad = dict(ORDERS[0], items=[{"product_id": "p1", "quantity": "many"}])
    summary = import_file(database, "orders", write_rows(tmp_path, "o", [bad], "jsonl"))
    assert summary.quarantined[0].field == "items[0].quantity"


def test_orders_file_without_amount_column_is_rejected(tmp_path: Path, database: Database) -> None:
    rows = [{k: v for k, v in ORDERS[0].items() if k != "amount"}]
    with pytest.raises(ImportFileError, match=r"missing required column.*amount"):
        import_file(database, "orders", write_rows(tmp_path, "o", rows, "csv"))
