"""Panels that later stages add to the customer-360 page (scores, surveys, recommendations).

A stage's page module (``cxm.web.<stage>_pages``) may define
``profile_panel(request, database, profile_id) -> ProfilePanel | None``; the profile page
shows each panel it returns, in the order of ``PANEL_MODULES``, rendering the panel's own
template with ``panel.context`` available as ``ctx``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module

from fastapi import Request

from cxm.store import Database

PANEL_MODULES = (
    "cxm.web.predict_pages",
    "cxm.web.voc_pages",
    "cxm.web.engage_pages",
    "cxm.web.recommend_pages",
)


@dataclass(frozen=True)
class ProfilePanel:
    title: str
    template: str
    context: dict[str, object] = field(default_factory=dict)


def profile_panels(request: Request, database: Database, profile_id: str) -> list[ProfilePanel]:
    panels = []
    for name in PANEL_MODULES:
        provider = getattr(import_module(name), "profile_panel", None)
        if provider is not None and (panel := provider(request, database, profile_id)):
            panels.append(panel)
    return panels
