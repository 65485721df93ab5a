"""Segment-spec events from files, normalised exactly as the HTTP API normalises them.

JSON Lines: one complete Segment message per line (type, event, userId,
anonymousId, messageId, timestamp, properties, context, traits, ...).

CSV and Parquet: one message per row in flat columns.

* ``type``, ``event``, ``name``, ``timestamp`` and the ids, in snake_case or
  Segment's camelCase: ``user_id``/``userId``, ``anonymous_id``, ``message_id``,
  ``group_id``, ``previous_id``, ``sent_at``, ``received_at``.
* ``properties``, ``traits``, ``context``, ``integrations``: a JSON object
  (text in CSV, text or struct in Parquet).
* Dotted columns set one nested value: ``context.page.url``,
  ``context.campaign.source``, ``properties.sku``, ``traits.email``; they are
  applied after the JSON columns, so both can be used together. CSV values are
  text (``properties.price`` = "12.5"); use the ``properties`` JSON column for
  typed values.
* Any other column becomes a property of the same name.
* Empty cells are absent. With no ``type``, a row with an ``event`` is a track call.

Every row goes through ``cxm.collect.messages.normalise_message``, the function
the HTTP API uses. Import-specific decisions, applied before it:
* no messageId: ``import-<hash of the message>``, so re-importing dedupes;
* ``received_at``: the message's ``receivedAt`` when given (a warehouse export),
  else its ``sentAt`` (no clock skew to correct), else the time of the import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson

from cxm.collect.clock import InvalidTimestamp, parse_timestamp
from cxm.collect.importers.base import BatchOutcome, ImportContext, stable_id
from cxm.collect.importers.readers import Batch, Problem
from cxm.collect.importers.values import RowError, dumps, jsonable
from cxm.collect.messages import InvalidMessage, normalise_message
from cxm.collect.rows import EVENT_KEY, events_table
from cxm.collect.sources import Source

KEY_FIELD = "messageId"
REQUIRED_COLUMNS = ("user_id|userId|anonymous_id|anonymousId",)
_SCALARS = {
    "type": "type",
    "event": "event",
    "name": "name",
    "timestamp": "timestamp",
    "user_id": "userId",
    "anonymous_id": "anonymousId",
    "message_id": "messageId",
    "group_id": "groupId",
    "previous_id": "previousId",
    "sent_at": "sentAt",
    "received_at": "receivedAt",
    "original_timestamp": "originalTimestamp",
}
_SCALARS.update({v: v for v in list(_SCALARS.values())})
_OBJECTS = ("properties", "traits", "context", "integrations")


@dataclass
class FlatPlan:
    """Where each flat column goes in the message; worked out once per file."""

    scalars: list[tuple[str, str]] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)
    nested: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    text_only: bool = False  # CSV: JSON parsed from text holds nothing to convert

    @classmethod
    def for_columns(cls, columns: Iterable[str]) -> FlatPlan:
        plan = cls()
        for column in columns:
            head, _, rest = column.partition(".")
            if column in _SCALARS:
                plan.scalars.append((column, _SCALARS[column]))
            elif column in _OBJECTS:
                plan.objects.append(column)
            elif head in _OBJECTS and rest:
                plan.nested.append((column, (head, *rest.split("."))))
            else:
                plan.nested.append((column, ("properties", column)))
        return plan

    def message(self, record: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {}
        for column, key in self.scalars:
            value = record[column]
            if value is None or value == "":
                continue
            if type(value) is not str and isinstance(value, datetime | date):
                value = value.isoformat()
            message[key] = value
        for column in self.objects:
            value = record[column]
            if value is None or value == "":
                continue
            if isinstance(value, str):
                try:
                    value = orjson.loads(value)
                except orjson.JSONDecodeError as error:
                    raise RowError(column, f"is not valid JSON ({error})") from None
            if not isinstance(value, dict):
                raise RowError(column, "must be a JSON object")
            message[column] = value if self.text_only else jsonable(value)
        for column, path in self.nested:
            value = record[column]
            if value is None or value == "":
                continue
            target = message
            for key in path[:-1]:
                inner = target.get(key)
                if not isinstance(inner, dict):
                    inner = target[key] = {}
                target = inner
            # CSV cells are always text, which needs no conversion (the hot path).
            target[path[-1]] = value if type(value) is str else jsonable(value)
        return message


def _received_at(message: dict[str, Any], imported_at: datetime) -> datetime:
    for key in ("receivedAt", "sentAt"):
        value = message.get(key)
        if value is not None and value != "":
            try:
                return parse_timestamp(value)
            except InvalidTimestamp as error:
                raise RowError(key, str(error)) from None
    return imported_at


def event_row(message: dict[str, Any], source: Source, imported_at: datetime) -> dict[str, Any]:
    """The ``events`` row for one imported message (raises ``RowError``)."""
    if not message.get("messageId"):
        message["messageId"] = "import-" + stable_id(
            orjson.dumps(message, option=orjson.OPT_SORT_KEYS).decode()
        )
    default_type = "track" if message.get("event") else None
    try:
        return normalise_message(
            message,
            source=source,
            received_at=_received_at(message, imported_at),
            default_type=default_type,
        )
    except InvalidMessage as error:
        raise RowError(error.field, error.reason) from None


def store_batch(context: ImportContext, batch: Batch) -> BatchOutcome:
    source = context.event_source
    if source is None:
        raise ValueError("events import needs an event source")
    plan = FlatPlan.for_columns(context.columns) if context.columns is not None else None
    if plan is not None:
        plan.text_only = context.file_format == "csv"
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = list(batch.problems)
    for line, record in zip(batch.lines, batch.records, strict=True):
        try:
            message = plan.message(record) if plan is not None else dict(record)
            rows.append(event_row(message, source, context.imported_at))
        except RowError as error:
            problems.append(Problem(line, error.field, error.reason, dumps(record)))
    stored = context.database.append("events", events_table(rows), list(EVENT_KEY))
    return BatchOutcome(stored=stored, duplicate=len(rows) - stored, problems=problems)
