"""The storage interface every backend implements.

SQL is written once, in the common subset of DuckDB and PostgreSQL, with ``?``
placeholders; backend differences (type names, bulk append) stay inside the
backend modules.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

import pyarrow as pa

Row = tuple[Any, ...]


class Database(ABC):
    """A connection pool to one CXM database; safe to share between threads."""

    dialect: str
    url: str

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement in its own transaction."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a query and return all rows as tuples."""

    def query_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        columns, rows = self.query_with_columns(sql, params)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    @abstractmethod
    def query_with_columns(
        self, sql: str, params: Sequence[Any] = ()
    ) -> tuple[list[str], list[Row]]:
        """Run a query and return (column names, rows)."""

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    @abstractmethod
    def query_arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run a query and return an Arrow table (fast path for analytics and exports)."""

    @abstractmethod
    def append(
        self, table: str, data: pa.Table, conflict_columns: Sequence[str] | None = None
    ) -> int:
        """Insert an Arrow table in one transaction and return how many rows were new.

        With ``conflict_columns`` rows whose key already exists (or repeats within
        ``data``) are skipped, which is how idempotent ingest is enforced by the
        database rather than by a cache that a crash could lose.
        """

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Transaction]:
        """A transaction: statements run on one connection, committed on exit."""

    @abstractmethod
    def close(self) -> None: ...

    def table_names(self) -> list[str]:
        rows = self.query(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() ORDER BY table_name"
        )
        return [r[0] for r in rows]


class Transaction(ABC):
    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def query_arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """The result as an Arrow table with columns named c0, c1...; backends that
        can hand Arrow over directly override this (identity reads its batches so)."""
        rows = self.query(sql, params)
        width = len(rows[0]) if rows else 0
        return pa.table({f"c{i}": [r[i] for r in rows] for i in range(width)})

    @abstractmethod
    def append(
        self, table: str, data: pa.Table, conflict_columns: Sequence[str] | None = None
    ) -> int: ...


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
