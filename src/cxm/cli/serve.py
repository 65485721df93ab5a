"""Run the app with uvicorn.

DuckDB allows one process per file, so the embedded default serves from one
process (group commit makes that one process fast); on PostgreSQL several
stateless worker processes can share the server.
"""

from __future__ import annotations

import uvicorn

from cxm.api.app import create_app
from cxm.settings import Settings


class ServeError(ValueError):
    pass


def run_server(settings: Settings, workers: int = 1, log_level: str = "warning") -> None:
    if workers < 1:
        raise ServeError("--workers must be at least 1")
    if workers > 1 and not settings.database_url.startswith(("postgresql://", "postgres://")):
        raise ServeError(
            "--workers > 1 needs PostgreSQL (CXM_DATABASE_URL=postgresql://...): "
            "one process owns a DuckDB file"
        )
    options = {
        "host": settings.host,
        "port": settings.port,
        "log_level": log_level,
        "access_log": False,
        "timeout_graceful_shutdown": 10,
    }
    if workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    # Worker processes build their own app from the same CXM_* environment.
    uvicorn.run("cxm.api.app:create_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]
