"""Forward-only schema migrations shared by both backends.

Each migration is ``migrations/NNNN_name.sql`` written in the SQL both DuckDB and
PostgreSQL accept, with ``{json}`` standing for the one type they spell
differently. A statement starting with ``/*postgresql*/`` or ``/*duckdb*/`` runs
on that backend only (indexes differ: see the foundation migration).

Why not Alembic: our access layer is plain DB-API with Arrow/COPY bulk paths
(no ORM), and Alembic on DuckDB needs a dialect shim plus pinned old SQLAlchemy
releases (see ARCHITECTURE.md); this runner is the small part we need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from cxm.store.database import Database

_TYPE_NAMES = {
    "duckdb": {"json": "JSON"},
    "postgresql": {"json": "JSONB"},
}
_FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_DIALECT_TAG = re.compile(r"^/\*(duckdb|postgresql)\*/")
_PG_MIGRATION_LOCK = 7_142_001


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self, dialect: str) -> list[str]:
        rendered = self.sql
        for placeholder, type_name in _TYPE_NAMES[dialect].items():
            rendered = rendered.replace("{" + placeholder + "}", type_name)
        without_comments = "\n".join(
            line for line in rendered.splitlines() if not line.strip().startswith("--")
        )
        statements = [s.strip() for s in without_comments.split(";") if s.strip()]
        chosen = []
        for statement in statements:
            tag = _DIALECT_TAG.match(statement)
            if tag is None:
                chosen.append(statement)
            elif tag[1] == dialect:
                chosen.append(statement[tag.end() :].strip())
        return chosen


def available_migrations() -> list[Migration]:
    folder = resources.files("cxm.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _FILE_PATTERN.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def current_version(database: Database) -> int:
    if "schema_migrations" not in database.table_names():
        return 0
    return int(database.scalar("SELECT coalesce(max(version), 0) FROM schema_migrations"))


def apply_migrations(database: Database) -> list[int]:
    """Bring the schema up to date; return the versions applied now."""
    database.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)"
    )
    applied: list[int] = []
    with database.transaction() as tx:
        if database.dialect == "postgresql":
            # Several API workers may start at once; one migrates, the others wait.
            tx.execute("SELECT pg_advisory_xact_lock(?)", [_PG_MIGRATION_LOCK])
        done = {row[0] for row in tx.query("SELECT version FROM schema_migrations")}
        for migration in available_migrations():
            if migration.version in done:
                continue
            for statement in migration.statements(database.dialect):
                tx.execute(statement)
            tx.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [migration.version, migration.name],
            )
            applied.append(migration.version)
    return applied
