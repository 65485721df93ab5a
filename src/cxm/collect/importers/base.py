"""What every kind of import shares: its context, a batch's outcome, row conversion."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import pyarrow as pa

from cxm.collect.importers.readers import Batch, Problem
from cxm.collect.importers.values import RowError, dumps
from cxm.collect.sources import Source
from cxm.store import Database

TIMESTAMP = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class ImportContext:
    database: Database
    kind: str
    source: str
    origin: str
    imported_at: datetime
    columns: list[str] | None
    id_field: str
    event_source: Source | None = None
    file_format: str = ""


@dataclass
class BatchOutcome:
    stored: int = 0
    duplicate: int = 0
    updated: int = 0
    problems: list[Problem] = field(default_factory=list)


class KindImporter(Protocol):
    """One module per kind provides these."""

    KEY_FIELD: str
    REQUIRED_COLUMNS: tuple[str, ...]

    def store_batch(self, context: ImportContext, batch: Batch) -> BatchOutcome: ...


def convert(
    batch: Batch, build: Callable[[dict[str, Any]], dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Apply ``build`` to every record; a ``RowError`` turns the record into a Problem."""
    rows: list[dict[str, Any]] = []
    problems = list(batch.problems)
    for line, record in zip(batch.lines, batch.records, strict=True):
        try:
            rows.append(build(record))
        except RowError as error:
            problems.append(Problem(line, error.field, error.reason, dumps(record)))
    return rows, problems


def stable_id(*parts: object) -> str:
    """A deterministic id from content, so re-importing the same row finds the same key."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def table(rows: Sequence[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=schema)
