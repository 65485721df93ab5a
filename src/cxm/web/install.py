"""Attach the dashboard pages, static files and the tracker to the API app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles

from cxm.web import (
    auth_pages,
    engage_pages,
    identity_pages,
    journeys_pages,
    metrics_pages,
    pages,
    predict_pages,
    preferences_pages,
    profiles_pages,
    recommend_pages,
    text_pages,
    voc_pages,
)
from cxm.web.tracker import tracker_response

STATIC_DIR = Path(__file__).parent / "static"


def install_web(app: FastAPI) -> None:
    app.include_router(pages.router)
    app.include_router(profiles_pages.router)
    app.include_router(identity_pages.router)
    app.include_router(preferences_pages.router)
    for stage in (
        voc_pages,
        text_pages,
        metrics_pages,
        journeys_pages,
        predict_pages,
        engage_pages,
        recommend_pages,
    ):
        app.include_router(stage.router)
    auth_pages.install(app)
    # ECharts is ~1.1 MB; gzip brings it to about a third for remote browsers.
    app.mount("/static", GZipMiddleware(StaticFiles(directory=STATIC_DIR)), name="static")

    @app.get("/cxm.js", include_in_schema=False)
    def tracker(request: Request) -> Response:
        return tracker_response(request)
