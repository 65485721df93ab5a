"""One database per test module and backend: the journey fixtures are read-only, so
loading them once per module (not per test) keeps these tests fast on both backends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from cxm.store import Database, open_database
from tests.conftest import BACKENDS, POSTGRES_ADMIN_URL, _with_database


@pytest.fixture(scope="module", params=BACKENDS)
def module_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    if request.param == "duckdb":
        db = open_database(f"duckdb:///{tmp_path_factory.mktemp('journeys') / 'cxm.duckdb'}")
        try:
            yield db
        finally:
            db.close()
        return
    name = f"cxm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    db = open_database(_with_database(POSTGRES_ADMIN_URL, name))
    try:
        yield db
    finally:
        db.close()
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
