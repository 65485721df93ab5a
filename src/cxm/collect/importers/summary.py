"""What an import did: the public result of ``import_file``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

ImportKind = Literal["events", "customers", "orders", "tickets", "reviews"]
IMPORT_KINDS: tuple[str, ...] = get_args(ImportKind)
SAMPLE_SIZE = 10


@dataclass(frozen=True)
class QuarantinedRow:
    line: int
    field: str
    reason: str


@dataclass(frozen=True)
class ImportSummary:
    """Counts add up: rows_read = stored + duplicate + updated + quarantined.

    ``quarantined`` holds the first few quarantined rows (all of them are in the
    ``quarantine`` table); ``rows_updated`` counts customer records that changed
    since an earlier import.
    """

    kind: ImportKind
    file: str
    rows_read: int
    rows_stored: int
    rows_duplicate: int
    rows_quarantined: int
    seconds: float
    quarantined: tuple[QuarantinedRow, ...] = ()
    rows_updated: int = 0
    run_id: str = ""
    source: str = ""

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0
