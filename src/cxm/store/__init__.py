"""Storage: one schema, two backends (embedded DuckDB, PostgreSQL server).

Other packages import only what is listed in ``__all__``.
"""

from cxm.store.database import Database, Row, Transaction
from cxm.store.factory import open_database
from cxm.store.migrations import apply_migrations, current_version

__all__ = ["Database", "Row", "Transaction", "apply_migrations", "current_version", "open_database"]
