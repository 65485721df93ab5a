"""Run one import: read the file in batches, store each, quarantine bad rows, record the run."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa

from cxm.collect.importers import customers, events, orders, reviews, tickets
from cxm.collect.importers.base import ImportContext, stable_id
from cxm.collect.importers.errors import ImportFileError
from cxm.collect.importers.readers import FileReader, Problem
from cxm.collect.importers.summary import (
    IMPORT_KINDS,
    SAMPLE_SIZE,
    ImportKind,
    ImportSummary,
    QuarantinedRow,
)
from cxm.collect.rows import quarantine_table
from cxm.collect.sources import get_or_create_source
from cxm.store import Database

_MODULES: dict[str, ModuleType] = {
    "events": events,
    "customers": customers,
    "orders": orders,
    "tickets": tickets,
    "reviews": reviews,
}
# Without --source, records are filed under a name that says where they came from.
DEFAULT_SOURCES = {
    "events": "import",
    "orders": "orders",
    "tickets": "tickets",
    "reviews": "reviews",
}
_EVENT_KINDS = ("events", "orders", "tickets")
_TOUCHPOINT_OF_SOURCE = {
    "events": "other",
    "orders": "other",
    "tickets": "help_desk",
    "customers": "other",
    "reviews": "review",
}


def _check_columns(reader: FileReader, module: ModuleType, id_field: str, kind: str) -> None:
    if reader.columns is None:
        return
    required = list(module.REQUIRED_COLUMNS)
    if kind == "customers":
        required.append(id_field)
    missing = [need for need in required if not any(c in reader.columns for c in need.split("|"))]
    if missing:
        names = ", ".join(m.replace("|", " or ") for m in missing)
        raise ImportFileError(
            f"{reader.path.name}: missing required column(s) {names} for a {kind} import "
            f"(columns: {', '.join(reader.columns)})"
        )


def _renames(kind: str, id_column: str | None, mapping: dict[str, str] | None) -> dict[str, str]:
    """File column -> field, from ``--map field=column`` and (except customers) ``--id-column``."""
    renames = {column: field for field, column in (mapping or {}).items() if column != field}
    if id_column and kind != "customers":
        key = _MODULES[kind].KEY_FIELD
        if id_column != key:
            renames[id_column] = key
    return renames


def _quarantine(
    database: Database, context: ImportContext, problems: list[Problem], source_id: str | None
) -> None:
    if not problems:
        return
    rows: list[dict[str, object]] = [
        {
            "quarantine_id": stable_id(context.kind, context.origin, p.line, p.payload),
            "kind": context.kind,
            "origin": context.origin,
            "source_id": source_id,
            "line_number": p.line,
            "field": p.field,
            "reason": p.reason,
            "payload": p.payload,
            "received_at": context.imported_at,
        }
        for p in problems
    ]
    database.append("quarantine", quarantine_table(rows), ["quarantine_id"])


def _record_run(database: Database, summary: ImportSummary, sha256: str, started: datetime) -> None:
    row: dict[str, Any] = {
        "run_id": [summary.run_id],
        "kind": [summary.kind],
        "file_name": [summary.file],
        "file_sha256": [sha256],
        "source": [summary.source],
        "rows_read": [summary.rows_read],
        "rows_stored": [summary.rows_stored],
        "rows_duplicate": [summary.rows_duplicate + summary.rows_updated],
        "rows_quarantined": [summary.rows_quarantined],
        "started_at": pa.array([started], pa.timestamp("us", tz="UTC")),
        "finished_at": pa.array([datetime.now(UTC)], pa.timestamp("us", tz="UTC")),
    }
    database.append("import_runs", pa.table(row))


def import_file(
    database: Database,
    kind: ImportKind,
    path: Path,
    *,
    source: str | None = None,
    id_column: str | None = None,
    mapping: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import one CSV / JSON Lines / Parquet file of ``kind``.

    Raises ``ImportFileError`` when the file as a whole cannot be imported (and
    ``ValueError`` for a bad argument); bad rows are quarantined instead.
    ``progress`` is called after each batch with the bytes of the file done so
    far (out of ``path.stat().st_size``).
    """
    if kind not in IMPORT_KINDS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(IMPORT_KINDS)}")
    if kind == "customers" and not (source and id_column):
        raise ValueError("customers import needs source (--source) and id_column (--id-column)")
    clock = time.perf_counter()
    started = datetime.now(UTC)
    path = Path(path)
    module = _MODULES[kind]
    renames = _renames(kind, id_column, mapping)
    reader = FileReader(path, renames)
    # A customers id column keeps its name, or the field name a --map gave it.
    id_field = renames.get(id_column, id_column) if id_column and kind == "customers" else None
    id_field = id_field or module.KEY_FIELD
    _check_columns(reader, module, id_field, kind)
    source_name = source or DEFAULT_SOURCES[kind]
    # Every import is a source of data, shown with its last-seen time; only the
    # kinds that write events need its id.
    file_source = get_or_create_source(
        database, source_name, kind="import", channel=_TOUCHPOINT_OF_SOURCE[kind]
    )
    event_source = file_source if kind in _EVENT_KINDS else None
    context = ImportContext(
        database=database,
        kind=kind,
        source=source_name,
        origin=f"import:{path.name}",
        imported_at=started,
        columns=reader.columns,
        id_field=id_field,
        event_source=event_source,
        file_format=reader.format,
    )
    source_id = event_source.source_id if event_source is not None else None
    counts = {"read": 0, "stored": 0, "duplicate": 0, "updated": 0, "quarantined": 0}
    sample: list[QuarantinedRow] = []
    for batch in reader.batches():
        outcome = module.store_batch(context, batch)
        _quarantine(database, context, outcome.problems, source_id)
        counts["read"] += len(batch.lines) + len(batch.problems)
        counts["stored"] += outcome.stored
        counts["duplicate"] += outcome.duplicate
        counts["updated"] += outcome.updated
        counts["quarantined"] += len(outcome.problems)
        for problem in sorted(outcome.problems, key=lambda p: p.line):
            if len(sample) < SAMPLE_SIZE:
                sample.append(QuarantinedRow(problem.line, problem.field, problem.reason))
        if progress is not None:
            progress(batch.bytes_done)
    summary = ImportSummary(
        kind=kind,
        file=path.name,
        rows_read=counts["read"],
        rows_stored=counts["stored"],
        rows_duplicate=counts["duplicate"],
        rows_quarantined=counts["quarantined"],
        seconds=time.perf_counter() - clock,
        quarantined=tuple(sample),
        rows_updated=counts["updated"],
        run_id=uuid.uuid4().hex,
        source=source_name,
    )
    _record_run(database, summary, reader.sha256, started)
    database.execute(
        "UPDATE sources SET last_seen_at = ? WHERE source_id = ?",
        [datetime.now(UTC), file_source.source_id],
    )
    return summary
