"""Help-desk tickets: one ``tickets`` row plus ``Ticket Created`` / ``Ticket Resolved`` events.

Columns: ticket_id, customer_id, created_at, first_response_at, resolved_at,
channel, contacts_count, reopened, csat (optional, 1-10), subject. The events'
channel is ``help_desk`` unless the ticket names a conversational channel
(chat/messaging, phone/contact_centre, email, social, store); message ids are
``ticket:<source>:<ticket_id>:created`` and ``...:resolved``.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from cxm.collect.importers.base import TIMESTAMP, BatchOutcome, ImportContext, convert, table
from cxm.collect.importers.channels import ticket_touchpoint
from cxm.collect.importers.events_out import EventWriter
from cxm.collect.importers.readers import Batch
from cxm.collect.importers.values import RowError, boolean, dumps, integer, text, timestamp

KEY_FIELD = "ticket_id"
REQUIRED_COLUMNS = ("ticket_id", "customer_id", "created_at")
SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("ticket_id", pa.string()),
        ("customer_id", pa.string()),
        ("created_at", TIMESTAMP),
        ("first_response_at", TIMESTAMP),
        ("resolved_at", TIMESTAMP),
        ("channel", pa.string()),
        ("contacts_count", pa.int32()),
        ("reopened", pa.bool_()),
        ("csat", pa.int32()),
        ("subject", pa.string()),
        ("raw", pa.string()),
        ("imported_at", TIMESTAMP),
    ]
)


def _row(context: ImportContext, record: dict[str, Any]) -> dict[str, Any]:
    created_at = timestamp(record, "created_at", required=True)
    assert created_at is not None
    first_response_at = timestamp(record, "first_response_at")
    resolved_at = timestamp(record, "resolved_at")
    for name, value in (("first_response_at", first_response_at), ("resolved_at", resolved_at)):
        if value is not None and value < created_at:
            raise RowError(name, f"{value.isoformat()} is before created_at")
    return {
        "source": context.source,
        "ticket_id": text(record, "ticket_id", required=True),
        "customer_id": text(record, "customer_id", required=True),
        "created_at": created_at,
        "first_response_at": first_response_at,
        "resolved_at": resolved_at,
        "channel": ticket_touchpoint(text(record, "channel")).value,
        "contacts_count": integer(record, "contacts_count", minimum=0),
        "reopened": boolean(record, "reopened"),
        "csat": integer(record, "csat", minimum=1, maximum=10),
        "subject": text(record, "subject"),
        "raw": dumps(record),
        "imported_at": context.imported_at,
    }


def _messages(context: ImportContext, row: dict[str, Any]) -> list[dict[str, Any]]:
    properties = {
        "ticket_id": row["ticket_id"],
        "subject": row["subject"],
        "contacts_count": row["contacts_count"],
        "reopened": row["reopened"],
        "csat": row["csat"],
    }
    properties = {k: v for k, v in properties.items() if v is not None}
    base = f"ticket:{context.source}:{row['ticket_id']}"
    created = {
        "type": "track",
        "event": "Ticket Created",
        "messageId": f"{base}:created",
        "userId": row["customer_id"],
        "timestamp": row["created_at"].isoformat(),
        "properties": properties,
        "context": {"channel": row["channel"]},
    }
    if row["resolved_at"] is None:
        return [created]
    resolved = dict(created, event="Ticket Resolved", messageId=f"{base}:resolved")
    resolved["timestamp"] = row["resolved_at"].isoformat()
    resolved["properties"] = dict(
        properties,
        resolution_seconds=(row["resolved_at"] - row["created_at"]).total_seconds(),
    )
    return [created, resolved]


def store_batch(context: ImportContext, batch: Batch) -> BatchOutcome:
    events = EventWriter(context)

    def build(record: dict[str, Any]) -> dict[str, Any]:
        row = _row(context, record)
        normalised = [events.normalise(m) for m in _messages(context, row)]
        events.rows.extend(normalised)
        return row

    rows, problems = convert(batch, build)
    with context.database.transaction() as tx:
        stored = tx.append("tickets", table(rows, SCHEMA), ["source", "ticket_id"])
        events.write(tx)
    return BatchOutcome(stored=stored, duplicate=len(rows) - stored, problems=problems)
