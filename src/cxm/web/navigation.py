"""The dashboard's navigation: one ordered list that later pages extend.

An entry links only once the app has a GET route at its path, so a page that
another issue adds lights up in the menu without touching this file.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from starlette.routing import Match


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Overview", "/"),
    NavItem("KPIs", "/metrics"),
    NavItem("Profiles", "/profiles"),
    NavItem("Identity review", "/identity"),
    NavItem("Surveys", "/surveys"),
    NavItem("Cases", "/cases"),
    NavItem("Kano", "/kano"),
    NavItem("Reviews", "/reviews"),
    NavItem("Topics", "/topics"),
    NavItem("Journey map", "/journeys"),
    NavItem("Funnels", "/funnels"),
    NavItem("Paths", "/paths"),
    NavItem("Cohorts", "/cohorts"),
    NavItem("Drivers", "/drivers"),
    NavItem("ROI", "/roi"),
    NavItem("Value", "/predict"),
    NavItem("Churn risk", "/predict/churn"),
    NavItem("Segments", "/segments"),
    NavItem("Campaigns", "/engage"),
    NavItem("Recommendations", "/recommendations"),
    NavItem("Data sources", "/sources"),
    NavItem("Privacy", "/privacy"),
)


@dataclass(frozen=True)
class NavLink:
    label: str
    path: str
    available: bool
    current: bool


def serves_page(app: FastAPI, path: str) -> bool:
    """Whether a GET of ``path`` would reach a route (asked through Starlette's matcher,
    which also sees routes inside included routers)."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": []}
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


def navigation_for(app: FastAPI, current_path: str) -> tuple[NavLink, ...]:
    return tuple(
        NavLink(item.label, item.path, serves_page(app, item.path), item.path == current_path)
        for item in NAVIGATION
    )
