"""Group commit: many concurrent requests share one transaction.

Request handlers hand their validated rows to a single writer thread and wait
for the commit. While one transaction is being written, new submissions queue
up and go into the next one together, so under load a commit carries hundreds
of requests and durability costs one WAL flush per group, not per request.
A caller is only told "stored" after the transaction holding its rows commits.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeAlias

import pyarrow as pa

from cxm.collect.rows import EVENT_KEY, events_table, quarantine_table
from cxm.store import Database, Transaction

log = logging.getLogger(__name__)

_LAST_SEEN_EVERY_SECONDS = 10.0


EventRows: TypeAlias = pa.Table | list[dict[str, object]]
CommitListener: TypeAlias = Callable[[pa.Table], None]

# Listeners per database object, for stage workers that start without the collector
# (see add_commit_listener). Called on the writer thread after the futures resolve.
_DATABASE_LISTENERS: dict[int, list[CommitListener]] = {}


def add_commit_listener(database: Database, listener: CommitListener) -> Callable[[], None]:
    """Call ``listener(events)`` after each durable commit of any writer on ``database``.

    ``events`` is the committed Arrow table (retried duplicates included). The listener
    runs on the writer thread after every waiting request has its answer, so it must
    only hand the rows over (e.g. put them on a queue); an exception it raises is logged.
    Returns a function that removes the listener.
    """
    listeners = _DATABASE_LISTENERS.setdefault(id(database), [])
    listeners.append(listener)

    def remove() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return remove


@dataclass
class _Submission:
    events: EventRows
    quarantined: list[dict[str, object]]
    source_id: str
    done: Future[int] = field(default_factory=Future)


def _one_table(group: list[_Submission]) -> pa.Table:
    tables = [s.events for s in group if isinstance(s.events, pa.Table)]
    loose = [row for s in group if isinstance(s.events, list) for row in s.events]
    if loose or not tables:
        tables.append(events_table(loose))
    return pa.concat_tables(tables)


class WriterStopped(RuntimeError):
    pass


class GroupCommitWriter:
    def __init__(
        self, database: Database, max_rows: int = 50_000, gather_seconds: float = 0.0
    ) -> None:
        self._database = database
        self._max_rows = max_rows
        self._gather_seconds = gather_seconds
        self._queue: queue.Queue[_Submission | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="cxm-group-commit", daemon=True)
        self._stopped = threading.Event()
        self._last_seen_written: dict[str, float] = {}
        self._thread.start()

    def submit(
        self,
        events: EventRows,
        quarantined: list[dict[str, object]],
        source_id: str,
    ) -> Future[int]:
        """Queue rows for the next commit; the future resolves once they are durable.

        Large submissions should come as an Arrow table built by the caller: that
        Python work then overlaps this thread's commit, most of which runs in DuckDB
        without the GIL. Single events come as rows and are converted here together,
        because a one-row Arrow table per request costs more than it saves.
        """
        if self._stopped.is_set():
            raise WriterStopped("the writer is shut down")
        submission = _Submission(events, quarantined, source_id)
        self._queue.put(submission)
        return submission.done

    def close(self) -> None:
        """Commit what is queued, then stop."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        concurrent = False
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            rows = len(first.events)
            stop_after = False
            # Under concurrency, wait a moment for the clients just answered to send
            # again: a commit costs about the same for 1 or 50 requests (commit_delay).
            deadline = time.monotonic() + (self._gather_seconds if concurrent else 0.0)
            while rows < self._max_rows:
                try:
                    remaining = deadline - time.monotonic()
                    more = (
                        self._queue.get(timeout=remaining)
                        if remaining > 0
                        else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
                if more is None:
                    stop_after = True
                    break
                group.append(more)
                rows += len(more.events)
            concurrent = len(group) > 1
            self._commit(group)
            if stop_after:
                return

    def _commit(self, group: list[_Submission]) -> None:
        rows = sum(len(s.events) for s in group)
        try:
            # Inside the try: whatever fails here must reach the waiting requests,
            # never end this thread.
            events = _one_table(group)
            quarantined = [row for s in group for row in s.quarantined]
            with self._database.transaction() as tx:
                stored = tx.append("events", events, EVENT_KEY)
                if quarantined:
                    tx.append("quarantine", quarantine_table(quarantined))
                self._touch_sources(tx, {s.source_id for s in group})
        except Exception as error:  # every waiting request must hear about the failure
            log.exception("group commit of %d events failed", rows)
            for submission in group:
                submission.done.set_exception(error)
            return
        for submission in group:
            submission.done.set_result(len(submission.events))
        log.debug("committed %d events (%d new) in %d requests", rows, stored, len(group))
        for listener in tuple(_DATABASE_LISTENERS.get(id(self._database), ())):
            try:
                listener(events)
            except Exception:  # a listener must never stop the writer
                log.exception("commit listener failed")

    def _touch_sources(self, tx: Transaction, source_ids: set[str]) -> None:
        now = time.monotonic()
        due = [
            s
            for s in source_ids
            if now - self._last_seen_written.get(s, -1e9) > _LAST_SEEN_EVERY_SECONDS
        ]
        if not due:
            return
        placeholders = ", ".join("?" for _ in due)
        tx.execute(
            f"UPDATE sources SET last_seen_at = ? WHERE source_id IN ({placeholders})",
            [datetime.now(UTC), *due],
        )
        for source_id in due:
            self._last_seen_written[source_id] = now
