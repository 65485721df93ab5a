"""The collection facade: validate messages, quarantine the bad ones, commit the rest.

Used by the HTTP API (single calls and batches). Bulk file imports have their own
path in ``cxm.collect.importers`` but normalise through the same
``normalise_message`` so a message means the same whatever way it arrived.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from cxm.collect.messages import InvalidMessage, normalise_message
from cxm.collect.rows import events_table
from cxm.collect.sources import Source
from cxm.collect.writer import CommitListener, GroupCommitWriter, add_commit_listener
from cxm.store import Database


@dataclass(frozen=True)
class MessageError:
    index: int | None
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class PreparedBatch:
    events: list[dict[str, object]]
    quarantined: list[dict[str, object]]
    errors: list[MessageError]


# From this many events a request builds its own Arrow table (see GroupCommitWriter.submit).
_ARROW_IN_CALLER_ROWS = 64
_ENVELOPE_KEYS = frozenset({"context", "integrations", "sentAt"})


def _merge_envelope(message: Any, envelope: dict[str, Any]) -> Any:
    """Batch-level ``context``/``integrations``/``sentAt`` apply to every message (Segment)."""
    if not isinstance(message, dict):
        return message
    if not envelope.keys() & _ENVELOPE_KEYS:
        return message
    merged = message
    for key in ("context", "integrations"):
        shared = envelope.get(key)
        if isinstance(shared, dict) and shared:
            own = message.get(key)
            merged = {**merged, key: {**shared, **own} if isinstance(own, dict) else shared}
    if "sentAt" not in message and envelope.get("sentAt") is not None:
        merged = {**merged, "sentAt": envelope["sentAt"]}
    return merged


def quarantine_row(
    *,
    origin: str,
    source_id: str | None,
    line_number: int | None,
    field: str,
    reason: str,
    payload: Any,
    received_at: datetime,
    kind: str = "event",
) -> dict[str, object]:
    text = payload if isinstance(payload, str) else orjson.dumps(payload).decode()
    return {
        "quarantine_id": uuid.uuid4().hex,
        "kind": kind,
        "origin": origin,
        "source_id": source_id,
        "line_number": line_number,
        "field": field,
        "reason": reason,
        "payload": text,
        "received_at": received_at,
    }


class Collector:
    """Owns the group-commit writer for one process."""

    def __init__(
        self,
        database: Database,
        max_event_bytes: int,
        commit_max_rows: int,
        commit_gather_seconds: float = 0.0,
    ) -> None:
        self.database = database
        self.max_event_bytes = max_event_bytes
        self._writer = GroupCommitWriter(database, commit_max_rows, commit_gather_seconds)

    def prepare_batch(
        self,
        messages: list[Any],
        envelope: dict[str, Any],
        source: Source,
        received_at: datetime | None = None,
        origin: str = "api:/v1/batch",
        client_ip: str | None = None,
    ) -> PreparedBatch:
        received_at = received_at or datetime.now(UTC)
        events: list[dict[str, object]] = []
        quarantined: list[dict[str, object]] = []
        errors: list[MessageError] = []
        for index, message in enumerate(messages):
            merged = _merge_envelope(message, envelope)
            try:
                raw_bytes = orjson.dumps(merged)
                if len(raw_bytes) > self.max_event_bytes:
                    raise InvalidMessage(
                        "(message)", f"{len(raw_bytes)} bytes; the limit is {self.max_event_bytes}"
                    )
                raw_json = raw_bytes.decode()
                row = normalise_message(
                    merged, source=source, received_at=received_at, raw_json=raw_json
                )
                if row["ip"] is None:
                    row["ip"] = client_ip
                events.append(row)
            except InvalidMessage as error:
                path = f"batch[{index}].{error.field}"
                errors.append(MessageError(index, path, error.reason))
                quarantined.append(
                    quarantine_row(
                        origin=origin,
                        source_id=source.source_id,
                        line_number=index,
                        field=path,
                        reason=error.reason,
                        # With the batch's context/sentAt applied, so a replay of the
                        # fixed message normalises exactly as it would have in the batch.
                        payload=merged,
                        received_at=received_at,
                    )
                )
        return PreparedBatch(events, quarantined, errors)

    def prepare_single(
        self,
        message: Any,
        message_type: str,
        source: Source,
        received_at: datetime | None = None,
        client_ip: str | None = None,
    ) -> dict[str, object]:
        """Normalise one call; the URL decides its type (``/v1/track`` → track).

        Like Segment, a message without ``context.ip`` gets the sender's address.
        """
        if isinstance(message, dict):
            message = {**message, "type": message_type}
        row = normalise_message(
            message, source=source, received_at=received_at or datetime.now(UTC)
        )
        if row["ip"] is None:
            row["ip"] = client_ip
        return row

    def commit(
        self, events: list[dict[str, object]], quarantined: list[dict[str, object]], source: Source
    ) -> Future[int]:
        rows = events_table(events) if len(events) >= _ARROW_IN_CALLER_ROWS else events
        return self._writer.submit(rows, quarantined, source.source_id)

    def add_listener(self, listener: CommitListener) -> Callable[[], None]:
        """Call ``listener(events)`` after each durable commit (see ``add_commit_listener``)."""
        return add_commit_listener(self.database, listener)

    def close(self) -> None:
        self._writer.close()
