"""Owner alerts: a webhook to a real local HTTP receiver and an e-mail to a real local
SMTP server (aiosmtpd), both sent after the response's transaction commits."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from cxm.store import Database
from cxm.voc.responses import Submission, submit_response
from cxm.voc.surveys import create_survey
from tests.support.server import free_port
from tests.voc.data import person, relationship_survey


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Inbox]:
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CXM_VOC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CXM_VOC_SMTP_PORT", str(port))
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["content-length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()


def _wait(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.backends("duckdb")
def test_detractor_case_alerts_owner_by_webhook_and_email(
    database: Database, smtp: _Inbox, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    person(database, "p-1", "ana@example.de")
    survey = create_survey(
        database,
        relationship_survey(
            routing={
                "owner": "lena",
                "webhook_url": url,
                "email": "lena@shop.example",
                "sla_hours": 8,
            }
        ),
    )
    started = time.monotonic()
    result = submit_response(
        database, survey.survey_id, Submission({"nps": 2}, identifier="ana@example.de")
    )
    assert time.monotonic() - started < 1.0  # the case is in the store when this returns
    [case] = result.cases
    assert (
        database.scalar("SELECT reason FROM cases WHERE case_id = ?", [case.case_id]) == "detractor"
    )
    _wait(lambda: received and smtp.messages)
    assert received[0]["case_id"] == case.case_id and received[0]["owner"] == "lena"
    assert received[0]["reason"] == "detractor"
    mail = smtp.messages[0].decode()
    assert "lena@shop.example" in mail and case.case_id in mail
    _wait(lambda: database.scalar("SELECT count(*) FROM case_alerts WHERE status = 'sent'") == 2)


@pytest.mark.backends("duckdb")
def test_a_dead_webhook_is_recorded_as_failed(database: Database) -> None:
    survey = create_survey(
        database, relationship_survey(routing={"webhook_url": f"http://127.0.0.1:{free_port()}/x"})
    )
    submit_response(database, survey.survey_id, Submission({"nps": 0}))
    _wait(lambda: database.scalar("SELECT count(*) FROM case_alerts") == 1)
    assert database.scalar("SELECT status FROM case_alerts") == "failed"
