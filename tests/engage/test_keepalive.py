"""The webhook POST client: kept-alive connections, stale ones retried, errors named."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cxm.engage import keepalive
from tests.support.server import free_port


@contextmanager
def _receiver(mode: str) -> Iterator[tuple[str, list[tuple[int, bytes]]]]:
    """``keep``: HTTP/1.1 keep-alive; ``drop``: answers as if keeping the connection,
    then closes it (an idle timeout on the receiver's side); ``fail``: 503."""
    seen: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with lock:
                seen.append((self.client_address[1], body))
            status = 503 if mode == "fail" else 200
            answer = b"busy" if mode == "fail" else b"ok"
            self.send_response(status)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            if mode == "drop":
                self.close_connection = True

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook?x=1", seen
    finally:
        server.shutdown()
        server.server_close()


def _post_in_thread(url: str, body: bytes) -> tuple[int, str]:
    # Connections are per thread; a fresh thread starts with none.
    out: list[tuple[int, str]] = []
    thread = threading.Thread(target=lambda: out.append(keepalive.post(url, body, {}, 5.0)))
    thread.start()
    thread.join()
    return out[0]


def test_posts_reuse_one_connection_per_thread() -> None:
    with _receiver("keep") as (url, seen):
        results = [keepalive.post(url, f"{i}".encode(), {"x-a": "1"}, 5.0) for i in range(3)]
        assert results == [(200, "ok")] * 3
        assert [body for _, body in seen] == [b"0", b"1", b"2"]
        assert len({port for port, _ in seen}) == 1  # one client socket for the three
        assert _post_in_thread(url, b"3") == (200, "ok")
        assert len({port for port, _ in seen}) == 2


def test_a_connection_the_receiver_closed_is_retried_on_a_fresh_one() -> None:
    with _receiver("drop") as (url, seen):
        for i in range(3):
            assert keepalive.post(url, f"{i}".encode(), {}, 5.0) == (200, "ok")
        assert [body for _, body in seen] == [b"0", b"1", b"2"]  # each delivered once
        assert len({port for port, _ in seen}) == 3


def test_error_statuses_are_returned_and_unreachable_receivers_raise() -> None:
    with _receiver("fail") as (url, _):
        assert keepalive.post(url, b"{}", {}, 5.0) == (503, "busy")
    with pytest.raises(keepalive.PostError, match="ConnectionRefused"):
        keepalive.post(f"http://127.0.0.1:{free_port()}/hook", b"{}", {}, 2.0)
    with pytest.raises(keepalive.PostError, match="not an http"):
        keepalive.post("ftp://example.com/x", b"{}", {}, 2.0)
