"""What one running app holds: settings, database, collector, write-key cache."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from cxm.collect.ingest import Collector
from cxm.collect.sources import WriteKeyCache
from cxm.settings import Settings
from cxm.store import Database


@dataclass
class AppState:
    settings: Settings
    database: Database
    collector: Collector
    write_keys: WriteKeyCache

    @staticmethod
    def of(request: Request) -> AppState:
        state: AppState = request.app.state.cxm
        return state
