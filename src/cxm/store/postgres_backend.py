"""PostgreSQL backend for server deployments (several stateless API workers).

Bulk appends stream the Arrow batch as CSV through COPY into a temporary table,
then move it with ``INSERT ... ON CONFLICT DO NOTHING`` so idempotency holds
across concurrent writers.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg_pool import ConnectionPool

from cxm.store.database import Database, Row, Transaction


def to_psycopg_sql(sql: str, has_params: bool = True) -> str:
    """Translate the project's ``?`` placeholders to psycopg's ``%s``.

    psycopg only interprets ``%`` when parameters are passed, so a literal ``%``
    (the modulo operator, LIKE patterns) is doubled only then.
    """
    if not has_params:
        return sql
    return sql.replace("%", "%%").replace("?", "%s")


def _prepare(sql: str, params: Sequence[Any]) -> tuple[str, list[Any] | None]:
    values = list(params)
    return to_psycopg_sql(sql, bool(values)), values or None


def _csv_bytes(data: pa.Table) -> bytes:
    buffer = io.BytesIO()
    options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
    pacsv.write_csv(data, buffer, write_options=options)
    # PostgreSQL text cannot hold NUL; JSON text carries it escaped as \u0000.
    return buffer.getvalue().replace(b"\\u0000", b"")


class _PgTransaction(Transaction):
    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._connection.execute(*_prepare(sql, params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._connection.execute(*_prepare(sql, params)).fetchall()

    def append(
        self, table: str, data: pa.Table, conflict_columns: Sequence[str] | None = None
    ) -> int:
        if data.num_rows == 0:
            return 0
        columns = ", ".join(f'"{c}"' for c in data.column_names)
        staging = f"__cxm_stage_{table}"
        with self._connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {staging} "
                f"(LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            with cursor.copy(f"COPY {staging} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(_csv_bytes(data))
            if conflict_columns:
                keys = ", ".join(f'"{c}"' for c in conflict_columns)
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT DISTINCT ON ({keys}) {columns} "
                    f"FROM {staging} ON CONFLICT DO NOTHING"
                )
            else:
                cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging}")
            inserted = cursor.rowcount
            cursor.execute(f"TRUNCATE {staging}")
        return max(inserted, 0)


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: str, max_connections: int = 8) -> None:
        self.url = url
        self._pool = ConnectionPool(
            url, min_size=1, max_size=max_connections, open=True, kwargs={"autocommit": True}
        )

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._pool.connection() as connection:
            connection.execute(*_prepare(sql, params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.query_with_columns(sql, params)[1]

    def query_with_columns(
        self, sql: str, params: Sequence[Any] = ()
    ) -> tuple[list[str], list[Row]]:
        with self._pool.connection() as connection:
            cursor = connection.execute(*_prepare(sql, params))
            columns = [d.name for d in cursor.description or []]
            return columns, cursor.fetchall()

    def query_arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        columns, rows = self.query_with_columns(sql, params)
        return pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})

    def append(
        self, table: str, data: pa.Table, conflict_columns: Sequence[str] | None = None
    ) -> int:
        with self.transaction() as tx:
            return tx.append(table, data, conflict_columns)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._pool.connection() as connection, connection.transaction():
            yield _PgTransaction(connection)

    def close(self) -> None:
        self._pool.close()
