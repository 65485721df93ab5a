"""Real local receivers for engage tests: a threaded HTTP webhook receiver and an SMTP
server (aiosmtpd), both started by the test."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Delivery:
    key: str | None
    signature: str | None
    body: bytes
    path: str


@dataclass
class WebhookReceiver:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    fail_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def unique(self) -> dict[str, Delivery]:
        """What the receiver acts on: one delivery per idempotency key."""
        seen: dict[str, Delivery] = {}
        for delivery in self.deliveries:
            seen.setdefault(delivery.key or "", delivery)
        return seen


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    state = WebhookReceiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with state.lock:
                if state.fail_next > 0:
                    state.fail_next -= 1
                    status = 503
                else:
                    status = 200
                    state.deliveries.append(
                        Delivery(
                            self.headers.get("idempotency-key"),
                            self.headers.get("x-cxm-signature"),
                            body,
                            self.path,
                        )
                    )
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SmtpSink:
    port: int
    messages: list[Message] = field(default_factory=list)


@contextmanager
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink(0)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            sink.messages.append(message_from_bytes(envelope.content))
            return "250 Message accepted for delivery"

    with socket.socket() as probe:  # aiosmtpd cannot report a port 0 choice back
        probe.bind(("127.0.0.1", 0))
        sink.port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
