"""How far the engine has handled the collector's events, so a restart catches up.

Committed events reach the engine in memory (the collector's commit listener, or
NOTIFY in the split deployment). Without a record of progress, events committed while
the worker was down, or in the moment between a commit and the engine's pass when a
process died, would enter no journey although the collector had accepted them.

The engine saves the ``received_at`` up to which everything is handled (the oldest
event still waiting for its person to be known holds it back) at most once a second;
on start the worker re-reads live events received since then, less a margin for
commits that finished out of ``received_at`` order across API processes. Re-reading
an event twice is harmless: a journey is entered once per (journey, trigger key).
Imported files are history, not live behaviour: they never trigger journeys, so the
catch-up skips sources of kind ``import``. A database seen for the first time starts
from now rather than replaying its whole history.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from cxm.store import Database

CURSOR = "engine"
# Commits from several API processes can land out of received_at order by the time a
# batch takes to commit; a minute covers that with room to spare.
MARGIN = timedelta(seconds=60)
_BATCH_ROWS = 50_000
_COLUMNS = (
    "CAST(e.event_key AS TEXT) AS event_key, e.event, e.user_id, e.anonymous_id, "
    "CAST(e.properties AS TEXT) AS properties, e.timestamp, e.received_at"
)


class Progress:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._seen: datetime | None = None
        self._saved: datetime | None = None
        self._last_save = float("-inf")

    def position(self) -> datetime | None:
        value = self.database.scalar(
            "SELECT position_at FROM engage_cursors WHERE name = ?", [CURSOR]
        )
        return value if isinstance(value, datetime) else None

    def missed(self) -> Iterator[pa.Table]:
        """Live events received since the saved position (less the margin), in batches."""
        position = self.position()
        if position is None:
            self._save(datetime.now(UTC))
            return
        self._seen = position
        since, after_key = position - MARGIN, ""
        while True:
            # Keyset pages on (received_at, event_key): one commit can give thousands of
            # rows the same received_at.
            table = self.database.query_arrow(
                f"SELECT {_COLUMNS} FROM events e JOIN sources s ON s.source_id = e.source_id "
                "WHERE s.kind <> 'import' AND (e.received_at > ? "
                "OR (e.received_at = ? AND CAST(e.event_key AS TEXT) > ?)) "
                "ORDER BY e.received_at, CAST(e.event_key AS TEXT) LIMIT ?",
                [since, since, after_key, _BATCH_ROWS],
            )
            if table.num_rows == 0:
                return
            yield table
            if table.num_rows < _BATCH_ROWS:
                return
            since = table.column("received_at")[table.num_rows - 1].as_py()
            after_key = table.column("event_key")[table.num_rows - 1].as_py()

    def seen(self, received: Iterable[datetime | None]) -> None:
        latest = max((r for r in received if r is not None), default=None)
        if latest is not None and (self._seen is None or latest > self._seen):
            self._seen = latest

    def save_every(self, seconds: float, now: float, waiting: Iterable[datetime | None]) -> None:
        """Save the position (the oldest waiting event holds it back) if due and moved."""
        if now - self._last_save < seconds or self._seen is None:
            return
        self._last_save = now
        oldest = min((w for w in waiting if w is not None), default=None)
        position = min(self._seen, oldest) if oldest is not None else self._seen
        if position != self._saved:
            self._save(position)

    def _save(self, position: datetime) -> None:
        with self.database.transaction() as tx:
            tx.execute("DELETE FROM engage_cursors WHERE name = ?", [CURSOR])
            tx.execute(
                "INSERT INTO engage_cursors (name, position_at, updated_at) VALUES (?, ?, ?)",
                [CURSOR, position, datetime.now(UTC)],
            )
        self._saved = position
