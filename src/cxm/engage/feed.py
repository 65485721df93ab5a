"""Committed events to an engage worker in another process (PostgreSQL only).

Measured with the end-to-end benchmark: the collector alone answers 1,000 events/s with
p99 ~80 ms, but with the engage worker in the same process (engine, segments, senders,
acks under one GIL) its answers took 0.5–3 s. On PostgreSQL the worker can live in its
own process (`cxm engage worker`) while `cxm serve --workers N` only collects:

* each API process registers :func:`start_notifier`: after every durable commit its
  listener queues the batch's event keys, and a thread sends them with ``NOTIFY
  cxm_engage`` (payloads under PostgreSQL's 8,000-byte limit). The collector's writer
  thread only pays a queue put.
* the worker process ``LISTEN``\\ s (:class:`NotifyFeed`) and reads those events by key
  (unique index) into the same ``on_commit`` its in-process listener would call.

Same guarantees as the in-process hand-over: events committed but not handed over when
a process dies are re-read by the worker's catch-up on its next start
(``engage/progress.py``). DuckDB
cannot do this (one process owns the file), so there the worker stays in ``cxm serve``.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable

import orjson
import psycopg
import pyarrow as pa

from cxm.store import Database

log = logging.getLogger(__name__)
CHANNEL = "cxm_engage"
_KEYS_PER_NOTIFY = 180  # 180 × 38 bytes of JSON per key stays under 8,000 bytes
_COLUMNS = (
    "CAST(event_key AS TEXT) AS event_key, event, user_id, anonymous_id, "
    "CAST(properties AS TEXT) AS properties, timestamp, received_at"
)


class Notifier:
    """Sends committed event keys to listening engage workers (an API process's side)."""

    def __init__(self, database: Database, url: str) -> None:
        self.database = database
        self._url = url
        self._keys: queue.Queue[list[str] | None] = queue.Queue()
        self._remove: Callable[[], None] = lambda: None
        self._thread = threading.Thread(target=self._run, name="cxm-engage-notify", daemon=True)

    def on_commit(self, table: pa.Table) -> None:
        self._keys.put([str(uuid.UUID(str(k))) for k in table.column("event_key").to_pylist()])

    def start(self) -> Notifier:
        from cxm.collect.writer import add_commit_listener

        self._remove = add_commit_listener(self.database, self.on_commit)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._remove()
        self._keys.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        connection: psycopg.Connection[tuple[object, ...]] | None = None
        while True:
            keys = self._keys.get()
            if keys is None:
                break
            try:
                while True:  # whatever else queued meanwhile goes in the same round
                    more = self._keys.get_nowait()
                    if more is None:
                        self._keys.put(None)
                        break
                    keys += more
            except queue.Empty:
                pass
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(self._url, autocommit=True)
                for start in range(0, len(keys), _KEYS_PER_NOTIFY):
                    payload = orjson.dumps(keys[start : start + _KEYS_PER_NOTIFY]).decode()
                    connection.execute("SELECT pg_notify(%s, %s)", [CHANNEL, payload])
            except psycopg.Error:
                log.exception("engage notify failed; %d events not handed to the worker", len(keys))
                connection = None
        if connection is not None:
            connection.close()


class NotifyFeed:
    """Receives event keys (a worker process's side) and hands their rows to ``deliver``."""

    def __init__(self, database: Database, url: str, deliver: Callable[[pa.Table], None]) -> None:
        self.database = database
        self._url = url
        self._deliver = deliver
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cxm-engage-listen", daemon=True)

    def start(self) -> NotifyFeed:
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("engage worker could not LISTEN on PostgreSQL")
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._ready.set()
                    while not self._stop.is_set():
                        keys: list[str] = []
                        for note in connection.notifies(timeout=0.2, stop_after=1):
                            keys += orjson.loads(note.payload)
                        # Take what else arrived meanwhile without waiting.
                        for note in connection.notifies(timeout=0.0):
                            keys += orjson.loads(note.payload)
                        if keys:
                            self._deliver(self._rows(keys))
            except psycopg.Error:
                log.exception("engage listen connection lost; reconnecting")
                self._stop.wait(0.5)

    def _rows(self, keys: list[str]) -> pa.Table:
        tables = []
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            tables.append(
                self.database.query_arrow(
                    f"SELECT {_COLUMNS} FROM events WHERE event_key IN ({marks})", chunk
                )
            )
        return pa.concat_tables(tables)
