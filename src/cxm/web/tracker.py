"""Serving the first-party tracker with this server's defaults baked in.

The source in ``static/cxm.js`` stays readable; what is served has indentation and
comment-only lines removed (safe for this file: no multi-line strings) and is gzipped
when the browser accepts it, so the tracker costs a few KB on a customer's page.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response

from cxm.settings import Settings, get_settings

TRACKER_PATH = Path(__file__).parent / "static" / "cxm.js"
DEFAULTS_MARKER = "/*cxm:server-defaults*/{}"


@lru_cache(maxsize=1)
def _compact_source() -> str:
    source = TRACKER_PATH.read_text(encoding="utf-8")
    if DEFAULTS_MARKER not in source:
        raise RuntimeError(f"{TRACKER_PATH} lost its {DEFAULTS_MARKER!r} marker")
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


@lru_cache(maxsize=4)
def tracker_script(consent_required: bool) -> tuple[bytes, bytes]:
    """The served tracker as (plain, gzipped) bytes for one consent policy."""
    defaults = json.dumps({"consentRequired": consent_required})
    plain = _compact_source().replace(DEFAULTS_MARKER, defaults, 1).encode("utf-8")
    return plain, gzip.compress(plain, compresslevel=9, mtime=0)


def _settings(request: Request) -> Settings:
    state = getattr(request.app.state, "cxm", None)
    settings = getattr(state, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


def tracker_response(request: Request) -> Response:
    plain, compressed = tracker_script(_settings(request).tracker_consent_required)
    # Short cache: sites pick up a new tracker or a consent-policy change within minutes.
    headers = {
        "Cache-Control": "public, max-age=300",
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Encoding",
    }
    body = plain
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        body = compressed
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)
