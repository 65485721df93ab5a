"""Run the app with uvicorn (one process: DuckDB allows a single writer process)."""

from __future__ import annotations

import uvicorn

from cxm.api.app import create_app
from cxm.settings import Settings


def run_server(settings: Settings, log_level: str = "warning") -> None:
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
