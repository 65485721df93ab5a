from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from cxm.api.app import create_app
from cxm.collect.sources import Source, create_source
from cxm.settings import Settings
from cxm.store import Database
from tests.support.inprocess import serve_in_thread


@dataclass
class Api:
    url: str
    database: Database
    source: Source
    client: httpx.Client

    def post(self, path: str, json: object, **kwargs: object) -> httpx.Response:
        return self.client.post(f"{self.url}{path}", json=json, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def api(database: Database, database_url: str) -> Iterator[Api]:
    source = create_source(database, "website", channel="web")
    app = create_app(Settings(database_url=database_url), database=database)
    with serve_in_thread(app) as url, httpx.Client(auth=(source.write_key, ""), timeout=10) as c:
        yield Api(url, database, source, c)
