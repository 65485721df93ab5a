"""Bulk imports of events, customers, orders, tickets and reviews (CSV, JSON Lines, Parquet).

``import_file`` reads a file in batches, stores each through ``Database.append``
with the table's key as conflict columns (so a re-import stores nothing new),
quarantines bad rows with their line number and reason, and records the run in
``import_runs``. Each kind's columns are described in its module's docstring.
"""

from cxm.collect.importers.errors import ImportFileError
from cxm.collect.importers.runner import DEFAULT_SOURCES, import_file
from cxm.collect.importers.summary import IMPORT_KINDS, ImportKind, ImportSummary, QuarantinedRow

__all__ = [
    "DEFAULT_SOURCES",
    "IMPORT_KINDS",
    "ImportFileError",
    "ImportKind",
    "ImportSummary",
    "QuarantinedRow",
    "import_file",
]
