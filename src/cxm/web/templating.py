"""The Jinja2 environment shared by every page: autoescaping, filters, navigation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

import cxm
from cxm.web.navigation import navigation_for

TEMPLATES_DIR = Path(__file__).parent / "templates"


def thousands(value: int | float | None) -> str:
    return "–" if value is None else f"{value:,}"


def utc_time(value: datetime | None) -> str:
    if value is None:
        return "never"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def iso_time(value: datetime | None) -> str:
    return "" if value is None else value.isoformat()


def _page_context(request: Request) -> dict[str, Any]:
    return {"navigation": navigation_for(request.app, request.url.path)}


def build_templates() -> Jinja2Templates:
    # Starlette's Jinja2Templates turns autoescaping on for every template.
    templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[_page_context])
    templates.env.trim_blocks = True
    templates.env.lstrip_blocks = True
    templates.env.filters["thousands"] = thousands
    templates.env.filters["utc_time"] = utc_time
    templates.env.filters["iso_time"] = iso_time
    templates.env.globals["version"] = cxm.__version__
    return templates


templates = build_templates()
