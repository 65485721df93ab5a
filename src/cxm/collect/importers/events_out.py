"""Events that orders and tickets emit, normalised exactly as the HTTP API would."""

from __future__ import annotations

from typing import Any

from cxm.collect.importers.base import ImportContext
from cxm.collect.importers.values import RowError
from cxm.collect.messages import InvalidMessage, normalise_message
from cxm.collect.rows import EVENT_KEY, events_table
from cxm.store.database import Transaction


class EventWriter:
    def __init__(self, context: ImportContext) -> None:
        if context.event_source is None:
            raise ValueError(f"{context.kind} import needs an event source")
        self._source = context.event_source
        self._received_at = context.imported_at
        self.rows: list[dict[str, Any]] = []

    def normalise(self, message: dict[str, Any]) -> dict[str, Any]:
        """The events row for ``message``; a message the spec rejects is a bad input row."""
        try:
            return normalise_message(message, source=self._source, received_at=self._received_at)
        except InvalidMessage as error:
            raise RowError(error.field, error.reason) from None

    def write(self, tx: Transaction) -> int:
        if not self.rows:
            return 0
        return tx.append("events", events_table(self.rows), list(EVENT_KEY))
