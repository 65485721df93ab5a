"""Serving the first-party tracker with this server's defaults baked in."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response

from cxm.settings import Settings, get_settings

TRACKER_PATH = Path(__file__).parent / "static" / "cxm.js"
DEFAULTS_MARKER = "/*cxm:server-defaults*/{}"


@lru_cache(maxsize=1)
def _tracker_source() -> str:
    source = TRACKER_PATH.read_text(encoding="utf-8")
    if DEFAULTS_MARKER not in source:
        raise RuntimeError(f"{TRACKER_PATH} lost its {DEFAULTS_MARKER!r} marker")
    return source


def tracker_script(settings: Settings) -> str:
    defaults = {"consentRequired": settings.tracker_consent_required}
    return _tracker_source().replace(DEFAULTS_MARKER, json.dumps(defaults), 1)


def _settings(request: Request) -> Settings:
    state = getattr(request.app.state, "cxm", None)
    settings = getattr(state, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


def tracker_response(request: Request) -> Response:
    # Short cache: sites pick up a new tracker or a consent-policy change within minutes.
    return Response(
        tracker_script(_settings(request)),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
