"""The FastAPI application: collection API, later stages' APIs and the web pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import cxm
from cxm.api import (
    auth_routes,
    collect_routes,
    consent_routes,
    engage_routes,
    identity_routes,
    journeys_routes,
    metrics_routes,
    predict_routes,
    privacy_routes,
    profiles_routes,
    recommend_routes,
    text_routes,
    voc_routes,
)
from cxm.api.errors import install_error_handlers
from cxm.api.responses import FastJSONResponse
from cxm.api.state import AppState
from cxm.api.workers import start_stage_workers
from cxm.collect.ingest import Collector
from cxm.collect.sources import WriteKeyCache
from cxm.identity import BackgroundStitcher
from cxm.settings import Settings, get_settings
from cxm.store import Database, open_database
from cxm.web.install import install_web


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    owns_database = database is None
    db = database or open_database(settings.database_url)
    collector = Collector(
        db,
        settings.max_event_bytes,
        settings.commit_max_rows,
        settings.commit_gather_ms / 1000,
    )
    state = AppState(settings, db, collector, WriteKeyCache(db))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Stitches new events to profiles every ~0.5 s (identity_stitch_interval_seconds).
        stitcher = BackgroundStitcher(db, settings.identity_stitch_interval_seconds).start()
        workers = start_stage_workers(db, settings)  # survey triggers, journeys, scoring…
        yield
        for worker in reversed(workers):
            worker.stop()
        stitcher.stop()
        collector.close()  # commit what is queued before the process exits
        if owns_database:
            db.close()

    app = FastAPI(
        title="CXM",
        version=cxm.__version__,
        description="Customer-experience management: Segment-compatible collection and more.",
        default_response_class=FastJSONResponse,
        lifespan=lifespan,
    )
    app.state.cxm = state
    app.state.database = db
    # Trackers run on customers' own sites, so collection accepts any origin.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["POST", "GET", "OPTIONS"],
        allow_headers=["*"],
    )
    install_error_handlers(app)
    app.include_router(collect_routes.router)
    app.include_router(identity_routes.router)
    app.include_router(privacy_routes.router)
    app.include_router(auth_routes.router)
    app.include_router(profiles_routes.router)
    app.include_router(consent_routes.router)
    for stage in (
        voc_routes,
        text_routes,
        metrics_routes,
        journeys_routes,
        predict_routes,
        engage_routes,
        recommend_routes,
    ):
        app.include_router(stage.router)

    @app.get("/healthz", tags=["ops"], summary="Liveness and database reachability.")
    def healthz() -> dict[str, str]:
        db.scalar("SELECT 1")
        return {"status": "ok", "database": db.dialect}

    install_web(app)
    return app
