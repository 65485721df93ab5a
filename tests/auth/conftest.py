"""An app with sign-in required, served over real HTTP, and a signed-in client per role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from cxm.api.app import create_app
from cxm.auth import create_user
from cxm.collect.sources import Source, create_source
from cxm.settings import Settings
from cxm.store import Database
from tests.support.inprocess import serve_in_thread


@dataclass
class SecureSite:
    url: str
    database: Database
    source: Source

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kwargs)  # type: ignore[arg-type]

    def login(self, name: str, password: str) -> httpx.Client:
        """A client signed in through the real login form (CSRF cookie and all)."""
        client = self.client()
        form = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf, form.text
        response = client.post(
            "/login", data={"name": name, "password": password, "csrf": csrf[1], "next": "/"}
        )
        assert response.status_code == 303, response.text
        return client


@pytest.fixture
def secure_site(database: Database, database_url: str) -> Iterator[SecureSite]:
    source = create_source(database, "website", channel="web")
    settings = Settings(database_url=database_url, auth_required=True)
    with serve_in_thread(create_app(settings, database=database)) as url:
        yield SecureSite(url, database, source)


@pytest.fixture
def signed_in(secure_site: SecureSite) -> Iterator[Callable[[str], httpx.Client]]:
    """role -> a client signed in as a fresh user with that role."""
    clients: list[httpx.Client] = []

    def make(role: str) -> httpx.Client:
        user, password = create_user(secure_site.database, f"{role}-{len(clients)}", role)
        client = secure_site.login(user.name, password)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
