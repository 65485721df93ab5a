"""A 2xx means committed: kill -9 the server under load, then every acknowledged
messageId must be in the store (DuckDB replays its WAL; PostgreSQL committed)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from cxm.collect.sources import create_source
from cxm.store import open_database
from tests.support.server import start_server

LOAD_SECONDS = 2.0
WORKERS = 6


def _load(url: str, write_key: str, worker: int, acked: set[str], stop: threading.Event) -> None:
    with httpx.Client(auth=(write_key, ""), timeout=5) as client:
        sequence = 0
        while not stop.is_set():
            ids = [f"w{worker}-{sequence}-{i}" for i in range(20)]
            sequence += 1
            batch = [
                {"type": "track", "event": "Load Test", "userId": f"u{worker}", "messageId": m}
                for m in ids
            ]
            try:
                response = client.post(f"{url}/v1/batch", json={"batch": batch})
            except httpx.HTTPError:
                return  # the server is gone
            if response.status_code == 200:
                acked.update(ids)


@pytest.mark.slow
def test_every_acknowledged_message_survives_sigkill(database_url: str, tmp_path: Path) -> None:
    database = open_database(database_url)
    source = create_source(database, "load", channel="web")
    database.close()  # DuckDB: the server process must own the file

    server = start_server(database_url, tmp_path / "server.log")
    acked: set[str] = set()
    stop = threading.Event()
    workers = [
        threading.Thread(target=_load, args=(server.url, source.write_key, n, acked, stop))
        for n in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    time.sleep(LOAD_SECONDS)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    stop.set()
    for worker in workers:
        worker.join()

    assert len(acked) > 1_000, f"too little load reached the server: {len(acked)}"
    database = open_database(database_url)
    try:
        stored = {row[0] for row in database.query("SELECT message_id FROM events")}
    finally:
        database.close()
    missing = acked - stored
    assert not missing, f"{len(missing)} acknowledged messages lost, e.g. {sorted(missing)[:5]}"
