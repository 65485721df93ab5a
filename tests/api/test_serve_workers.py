from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cxm.collect.sources import create_source
from cxm.store import open_database
from tests.support.cli import cxm
from tests.support.server import start_server, stop_server


def test_several_workers_on_duckdb_is_refused(database_file: Path) -> None:
    code, output = cxm("serve", "--workers", "2")
    assert code == 2
    assert "needs PostgreSQL" in output


@pytest.mark.backends("postgresql")
def test_two_workers_on_postgresql_store_every_event(database_url: str, tmp_path: Path) -> None:
    database = open_database(database_url)
    source = create_source(database, "web")
    server = start_server(database_url, tmp_path / "server.log", args=("--workers", "2"))
    try:
        with httpx.Client(auth=(source.write_key, ""), timeout=10) as client:
            for n in range(40):
                body = {"userId": "u", "event": "E", "messageId": f"m{n}"}
                assert client.post(f"{server.url}/v1/track", json=body).status_code == 200
    finally:
        stop_server(server)
    try:
        assert database.scalar("SELECT count(*) FROM events") == 40
    finally:
        database.close()
