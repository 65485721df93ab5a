"""Load generated demo files through the same importers users run (`cxm import ...`).

Sources are registered first with their real channel (the web shop is ``web``, the
tills ``store``...), then every file goes through
``cxm.collect.importers.import_file``, and finally web/app sessions are built.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from cxm.collect.importers import ImportKind, ImportSummary, import_file
from cxm.collect.sessions import build_sessions
from cxm.collect.sources import get_or_create_source
from cxm.demo.files import DemoFiles, ImportSpec
from cxm.identity import resolve_identities
from cxm.store import Database

# Tables a demo load fills, in the order the summary shows them.
SUMMARY_TABLES = (
    "sources",
    "customer_records",
    "events",
    "orders",
    "tickets",
    "reviews",
    "sessions",
    "person_touch",
    "profiles",
    "quarantine",
    "import_runs",
)

Starting = Callable[[ImportSpec], None]
Advance = Callable[[ImportSpec, int], None]


@dataclass(frozen=True)
class LoadResult:
    summaries: list[ImportSummary]
    sessions_seconds: float
    seconds: float

    @property
    def rows_quarantined(self) -> int:
        return sum(s.rows_quarantined for s in self.summaries)


def load(
    database: Database,
    files: DemoFiles,
    *,
    starting: Starting | None = None,
    advance: Advance | None = None,
    session_timeout_minutes: int = 30,
) -> LoadResult:
    """Import every demo file, then sessionise. Re-loading stores nothing twice."""
    began = time.perf_counter()
    for spec in files.imports:
        get_or_create_source(
            database,
            spec.source,
            kind="import",
            channel=spec.channel,
            source_id=hashlib.md5(
                f"cxm-demo|{spec.source}".encode(), usedforsecurity=False
            ).hexdigest(),
        )
    summaries = []
    for spec in files.imports:
        if starting is not None:
            starting(spec)

        def progress(done: int, spec: ImportSpec = spec) -> None:
            if advance is not None:
                advance(spec, done)

        summaries.append(
            import_file(
                database,
                cast(ImportKind, spec.kind),
                files.path(spec.file),
                source=spec.source,
                id_column=spec.id_column,
                mapping=spec.mapping,
                progress=progress,
            )
        )
    sessions_began = time.perf_counter()
    build_sessions(database, timeout_minutes=session_timeout_minutes)
    resolve_identities(database)  # the demo ends with profiles built
    now = time.perf_counter()
    return LoadResult(summaries, now - sessions_began, now - began)


def table_counts(database: Database) -> dict[str, int]:
    """Rows per demo table, for the summary."""
    return {name: int(database.scalar(f"SELECT count(*) FROM {name}")) for name in SUMMARY_TABLES}
