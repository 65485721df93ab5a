"""Embedded DuckDB backend: one file, zero set-up.

One process owns the file; threads share it through per-thread cursors of a
single connection (DuckDB's own guidance for multi-threaded use). A commit is
durable once DuckDB has written its write-ahead log, so an acknowledged event
survives a SIGKILL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from cxm.store.database import Database, Row, Transaction


def _insert_sql(table: str, data: pa.Table, conflict_columns: Sequence[str] | None) -> str:
    columns = ", ".join(f'"{c}"' for c in data.column_names)
    if not conflict_columns:
        return f"INSERT INTO {table} ({columns}) SELECT {columns} FROM __cxm_batch"
    keys = ", ".join(f'b."{c}"' for c in conflict_columns)
    matches = " AND ".join(f't."{c}" = b."{c}"' for c in conflict_columns)
    selected = ", ".join(f'b."{c}"' for c in data.column_names)
    # DISTINCT ON removes repeats inside the batch; the anti-join skips stored keys.
    # It needs no unique index (costly in DuckDB) but is only safe with one writer
    # per table at a time: see DuckDBDatabase._append_locks.
    return (
        f"INSERT INTO {table} ({columns}) SELECT DISTINCT ON ({keys}) {selected} "
        f"FROM __cxm_batch AS b WHERE NOT EXISTS "
        f"(SELECT 1 FROM {table} AS t WHERE {matches})"
    )


class _DuckTransaction(Transaction):
    def __init__(self, cursor: duckdb.DuckDBPyConnection, database: DuckDBDatabase) -> None:
        self._cursor = cursor
        self._database = database

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(sql, list(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._cursor.execute(sql, list(params)).fetchall()

    def append(
        self, table: str, data: pa.Table, conflict_columns: Sequence[str] | None = None
    ) -> int:
        if data.num_rows == 0:
            return 0
        if conflict_columns:
            # Held until the transaction ends, so a concurrent append cannot pass the
            # same anti-join before this one commits.
            self._database.hold_append_lock(table)
        self._cursor.register("__cxm_batch", data)
        try:
            result = self._cursor.execute(_insert_sql(table, data, conflict_columns)).fetchone()
        finally:
            self._cursor.unregister("__cxm_batch")
        return int(result[0]) if result else 0


class DuckDBDatabase(Database):
    dialect = "duckdb"

    def __init__(self, path: str) -> None:
        self.url = f"duckdb:///{path}"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._connection = duckdb.connect(path)
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._lock = threading.Lock()
        # One process owns a DuckDB file, so in-process locks serialise all
        # deduplicating writers of a table.
        self._append_locks: dict[str, threading.Lock] = {}

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._connection.cursor()
            self._local.cursor = cursor
            with self._lock:
                self._cursors.append(cursor)
        return cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor().execute(sql, list(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._cursor().execute(sql, list(params)).fetchall()

    def query_with_columns(
        self, sql: str, params: Sequence[Any] = ()
    ) -> tuple[list[str], list[Row]]:
        cursor = self._cursor().execute(sql, list(params))
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()

    def query_arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        # duckdb 1.5 returns a RecordBatchReader from .arrow(); fetch_arrow_table is the table.
        return self._cursor().execute(sql, list(params)).fetch_arrow_table()

    def append(
        self, table: str, data: pa.Table, conflict_columns: Sequence[str] | None = None
    ) -> int:
        with self.transaction() as tx:
            return tx.append(table, data, conflict_columns)

    def hold_append_lock(self, table: str) -> None:
        """Take the table's append lock for the rest of this thread's transaction."""
        held: list[threading.Lock] = self._local.__dict__.setdefault("held", [])
        with self._lock:
            lock = self._append_locks.setdefault(table, threading.Lock())
        if lock not in held:
            lock.acquire()
            held.append(lock)

    def _release_append_locks(self) -> None:
        held: list[threading.Lock] = self._local.__dict__.get("held", [])
        while held:
            held.pop().release()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        cursor = self._cursor()
        cursor.execute("BEGIN TRANSACTION")
        try:
            try:
                yield _DuckTransaction(cursor, self)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
        finally:
            self._release_append_locks()

    def close(self) -> None:
        with self._lock:
            for cursor in self._cursors:
                cursor.close()
            self._cursors.clear()
        self._connection.close()
