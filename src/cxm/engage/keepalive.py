"""POSTs over kept-alive connections with the standard library's ``http.client``.

Why not httpx here: webhook sends are the bulk of what the engage worker does under
load, in the API process, under its GIL. Measured on this machine against a local
keep-alive receiver, an httpx ``Client.post`` cost ~600 µs of CPU and an
``http.client`` request ~80 µs; at 1,000 webhooks/s that is most of a core given back
to the collector and the engine. httpx stays for the rare SMS provider calls.

One connection per (thread, scheme, host, port): ``http.client`` connections are not
thread-safe, and the sender pool's threads each keep their own. A request on a reused
connection that the receiver had closed meanwhile is tried once more on a fresh one
(the body carries an idempotency key, so a repeat is harmless).
"""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlsplit

_local = threading.local()
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class PostError(Exception):
    """The request could not be made or answered (the message names the cause)."""


def _connection(
    scheme: str, host: str, port: int | None, timeout: float
) -> tuple[http.client.HTTPConnection, bool]:
    pool: dict[tuple[str, str, int | None], http.client.HTTPConnection] | None = getattr(
        _local, "pool", None
    )
    if pool is None:
        pool = _local.pool = {}
    key = (scheme, host, port)
    known = pool.get(key)
    if known is not None:
        return known, True
    kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    fresh = kind(host, port, timeout=timeout)
    pool[key] = fresh
    return fresh, False


def _drop(scheme: str, host: str, port: int | None) -> None:
    pool = getattr(_local, "pool", {})
    connection = pool.pop((scheme, host, port), None)
    if connection is not None:
        connection.close()


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    """POST ``body``; return (status, first 200 characters of the response body)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PostError(f"not an http(s) URL: {url[:200]}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    scheme, host, port = parts.scheme, parts.hostname, parts.port
    for attempt in (1, 2):
        connection, reused = _connection(scheme, host, port, timeout)
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read()
        except _STALE as error:
            _drop(scheme, host, port)
            if reused and attempt == 1:
                continue  # the receiver closed an idle connection: once more, fresh
            raise PostError(f"{type(error).__name__}: {error}") from None
        except (OSError, http.client.HTTPException) as error:
            _drop(scheme, host, port)
            raise PostError(f"{type(error).__name__}: {error}") from None
        if response.will_close:
            _drop(scheme, host, port)
        return response.status, text[:200].decode("utf-8", "replace")
    raise PostError("unreachable")  # pragma: no cover - the loop returns or raises
