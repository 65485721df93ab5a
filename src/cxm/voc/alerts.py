"""Alerting a case owner: a webhook (POST JSON) and/or an e-mail over SMTP.

Alerts go out after the response's transaction commits, on a small thread pool, so
a slow webhook never delays the respondent; each attempt is recorded in
``case_alerts`` with its result. The alert carries ids, reason and due time — no
customer free text — since webhooks often land in chat tools.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import httpx

from cxm.store import Database
from cxm.voc.cases import Case
from cxm.voc.config import VocSettings, voc_settings
from cxm.voc.model import Routing

log = logging.getLogger(__name__)
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cxm-voc-alert")
WEBHOOK_TIMEOUT = 5.0


def alert_payload(case: Case) -> dict[str, Any]:
    return {
        "type": "cxm.case.opened",
        "case_id": case.case_id,
        "reason": case.reason,
        "owner": case.owner,
        "survey_id": case.survey_id,
        "response_id": case.response_id,
        "profile_id": case.profile_id,
        "touchpoint": case.touchpoint,
        "created_at": case.created_at.isoformat(),
        "due_at": case.due_at.isoformat() if case.due_at else None,
    }


def _record(database: Database, case: Case, kind: str, target: str, ok: bool, detail: str) -> None:
    database.execute(
        "INSERT INTO case_alerts (alert_id, case_id, kind, target, status, detail, sent_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            f"alert-{uuid.uuid4().hex[:12]}",
            case.case_id,
            kind,
            target,
            "sent" if ok else "failed",
            detail[:500],
            datetime.now(UTC),
        ],
    )


def send_webhook(url: str, case: Case) -> tuple[bool, str]:
    try:
        response = httpx.post(url, json=alert_payload(case), timeout=WEBHOOK_TIMEOUT)
    except httpx.HTTPError as error:
        return False, f"{type(error).__name__}: {error}"
    return response.is_success, f"HTTP {response.status_code}"


def send_email(address: str, case: Case, settings: VocSettings) -> tuple[bool, str]:
    if not settings.smtp_host:
        return False, "no SMTP server configured (CXM_VOC_SMTP_HOST)"
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = address
    message["Subject"] = f"[CXM] New {case.reason} case {case.case_id}"
    due = case.due_at.strftime("%Y-%m-%d %H:%M UTC") if case.due_at else "none"
    message.set_content(
        f"A {case.reason} case was opened for you.\n\n"
        f"Case: {case.case_id}\nSurvey: {case.survey_id}\nTouchpoint: {case.touchpoint}\n"
        f"Due: {due}\n\nOpen the case inbox: {settings.public_url.rstrip('/')}/cases\n"
    )
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        return False, f"{type(error).__name__}: {error}"
    return True, "accepted by SMTP server"


def deliver(database: Database, case: Case, routing: Routing, settings: VocSettings) -> None:
    """Send every alert the routing asks for; record each result. Never raises."""
    try:
        if routing.webhook_url:
            ok, detail = send_webhook(routing.webhook_url, case)
            _record(database, case, "webhook", routing.webhook_url, ok, detail)
        if routing.email:
            ok, detail = send_email(routing.email, case, settings)
            _record(database, case, "email", routing.email, ok, detail)
    except Exception:  # an alert must never take the worker down
        log.exception("alerting the owner of case %s failed", case.case_id)


def alert_after_commit(
    database: Database, cases: list[Case], routing: Routing, settings: VocSettings | None = None
) -> list[Future[None]]:
    if not (routing.webhook_url or routing.email):
        return []
    settings = settings or voc_settings()
    return [_POOL.submit(deliver, database, case, routing, settings) for case in cases]
