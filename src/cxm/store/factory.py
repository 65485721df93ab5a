"""Open the database a URL names, with the schema migrated to the newest version."""

from __future__ import annotations

from cxm.store.database import Database
from cxm.store.migrations import apply_migrations

DUCKDB_PREFIX = "duckdb:///"


class UnsupportedDatabaseURL(ValueError):
    pass


def open_database(url: str, migrate: bool = True) -> Database:
    database: Database
    if url.startswith(DUCKDB_PREFIX):
        from cxm.store.duckdb_backend import DuckDBDatabase

        database = DuckDBDatabase(url.removeprefix(DUCKDB_PREFIX) or ":memory:")
    elif url.startswith(("postgresql://", "postgres://")):
        from cxm.store.postgres_backend import PostgresDatabase

        database = PostgresDatabase(url)
    else:
        raise UnsupportedDatabaseURL(
            f"CXM_DATABASE_URL {url!r}: expected 'duckdb:///PATH' or 'postgresql://...'"
        )
    if migrate:
        apply_migrations(database)
    return database
