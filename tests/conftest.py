"""Shared fixtures: every storage test runs on DuckDB and on a real PostgreSQL.

PostgreSQL tests create a fresh database on the server named by
``CXM_TEST_POSTGRES_URL`` (default: the local server) and drop it afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from cxm.store import Database, open_database

pytest_plugins = ["tests.support.cli", "tests.support.browser"]

POSTGRES_ADMIN_URL = os.environ.get(
    "CXM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["duckdb", "postgresql"]


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    backend = getattr(request, "param", "duckdb")
    if backend == "duckdb":
        yield f"duckdb:///{tmp_path / 'cxm.duckdb'}"
        return
    name = f"cxm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(POSTGRES_ADMIN_URL, name)
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = open_database(database_url)
    try:
        yield db
    finally:
        db.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Any test that asks for ``database`` or ``database_url`` runs on both backends,
    or on those named by ``@pytest.mark.backends("postgresql")``."""
    if "database_url" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        chosen = list(marker.args) if marker else BACKENDS
        metafunc.parametrize("database_url", chosen, indirect=True)
