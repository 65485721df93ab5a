"""Start `cxm serve` as a real subprocess on a free port, for real-HTTP tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"server at {url} did not come up in {timeout} s")


def start_server(
    database_url: str,
    log_path: Path,
    extra_env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> RunningServer:
    port = free_port()
    env = {
        **os.environ,
        "CXM_DATABASE_URL": database_url,
        "CXM_HOST": "127.0.0.1",
        "CXM_PORT": str(port),
        **(extra_env or {}),
    }
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "cxm.cli.main", "serve", *args],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    server = RunningServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_up(server.url, process)
    except Exception as error:
        process.kill()
        raise RuntimeError(f"{error}\n--- server log ---\n{server.log()}") from error
    return server


def stop_server(server: RunningServer) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextmanager
def running_server(
    database_url: str, extra_env: dict[str, str] | None = None, log_dir: Path | None = None
) -> Iterator[RunningServer]:
    log_dir = log_dir or Path(os.environ.get("TMPDIR", "/tmp"))
    log_path = log_dir / f"cxm-server-{free_port()}.log"
    server = start_server(database_url, log_path, extra_env)
    try:
        yield server
    finally:
        stop_server(server)
