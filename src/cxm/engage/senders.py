"""Carrying out one claimed outbox row: webhook, e-mail (SMTP), SMS provider, internal.

Every send carries the row's idempotency key (``Idempotency-Key`` header; e-mail
``Message-ID``) so a receiver can drop a repeat after a crash between send and ack.
Webhook bodies are signed: ``X-CXM-Signature: sha256=<hex HMAC-SHA256(secret, body)>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import threading
from dataclasses import dataclass, replace
from email.message import EmailMessage
from importlib import import_module
from pathlib import Path
from string import Template
from typing import Any

import httpx
import orjson

from cxm.engage import keepalive
from cxm.engage.config import EngageSettings
from cxm.engage.outbox import OutboxRow
from cxm.engage.system_events import event_row, system_source, write_events
from cxm.store import Database


class SendError(Exception):
    """A failed try that may succeed later (retried with back-off)."""


@dataclass(frozen=True)
class SendResult:
    status: str  # sent | skipped
    response: str


def webhook_secret(database: Database, settings: EngageSettings) -> str:
    if settings.webhook_secret:
        return settings.webhook_secret
    from cxm.auth.keyring import stored_secret

    return stored_secret(database, "engage_webhook_secret")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(client: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> str:
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        raise SendError(f"{type(error).__name__}: {error}") from None
    if response.status_code >= 300:
        raise SendError(f"HTTP {response.status_code}: {response.text[:200]}")
    return f"HTTP {response.status_code}"


def _webhook(database: Database, row: OutboxRow, settings: EngageSettings) -> SendResult:
    body = orjson.dumps(row.payload["body"])
    headers = {
        "content-type": "application/json",
        "idempotency-key": row.idempotency_key,
        "x-cxm-signature": sign(webhook_secret(database, settings), body),
    }
    try:
        status, text = keepalive.post(
            str(row.payload["url"]), body, headers, settings.send_timeout_seconds
        )
    except keepalive.PostError as error:
        raise SendError(str(error)) from None
    if status >= 300:
        raise SendError(f"HTTP {status}: {text}")
    return SendResult("sent", f"HTTP {status}")


def _email(row: OutboxRow, settings: EngageSettings) -> SendResult:
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = str(row.payload["to"])
    message["Subject"] = str(row.payload.get("subject", ""))
    message["Message-ID"] = f"<{row.idempotency_key}@cxm.engage>"
    message["Content-Language"] = str(row.payload.get("language", "en"))
    message.set_content(str(row.payload.get("body", "")))
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.send_timeout_seconds
        ) as smtp:
            refused = smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise SendError(f"SMTP: {error}") from None
    if refused:
        raise SendError(f"SMTP refused {sorted(refused)}")
    return SendResult("sent", "SMTP 250")


def _sms(row: OutboxRow, settings: EngageSettings, client: httpx.Client) -> SendResult:
    if not settings.sms_url:
        return SendResult("skipped", "no SMS provider configured (CXM_ENGAGE_SMS_URL)")
    body = Template(settings.sms_template).safe_substitute(
        to=json.dumps(str(row.payload["to"]))[1:-1], text=json.dumps(str(row.payload["text"]))[1:-1]
    )
    headers = {"content-type": "application/json", "idempotency-key": row.idempotency_key}
    return SendResult("sent", _post(client, settings.sms_url, body.encode(), headers))


def _optional(module: str, name: str) -> Any:
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError):
        return None


# The message that carries a survey's personal link, per language (the survey page
# itself is in the respondent's language; this is only the envelope).
_INVITATION_TEXT = {
    "en": ("How did we do?", "Please tell us about your experience, it takes a minute: $url"),
    "de": (
        "Wie war es?",
        "Bitte erzählen Sie uns von Ihrer Erfahrung, es dauert eine Minute: $url",
    ),
    "zh": ("请评价我们的服务", "请花一分钟告诉我们您的体验：$url"),
}


def _deliver_invitation(
    database: Database,
    row: OutboxRow,
    settings: EngageSettings,
    client: httpx.Client,
    url: str,
    channel: str,
) -> SendResult | None:
    """Send the invitation's personal link by e-mail or SMS, through the same senders
    (and the demo sink) as any message; None when the person has no such address."""
    from cxm.engage.guards import load_person

    person = load_person(database, str(row.profile_id), settings)
    subject, body = _INVITATION_TEXT.get(person.language, _INVITATION_TEXT["en"])
    text = Template(body).safe_substitute(url=url)
    if channel == "email" and person.email:
        payload: dict[str, Any] = {
            "kind": "email",
            "to": person.email,
            "language": person.language,
            "subject": subject,
            "body": text,
        }
    elif channel in ("sms", "messaging") and person.phone:
        payload = {"kind": "sms", "to": person.phone, "language": person.language, "text": text}
    else:
        return None
    message = replace(row, payload={**row.payload, **payload})
    if settings.sink_dir:
        return _sink(message, str(payload["kind"]), Path(settings.sink_dir))
    if payload["kind"] == "email":
        return _email(message, settings)
    return _sms(message, settings, client)


def _survey(
    database: Database, row: OutboxRow, settings: EngageSettings, client: httpx.Client
) -> SendResult:
    invite = _optional("cxm.voc.invitations", "invite")
    if invite is None:
        return SendResult("skipped", "cxm.voc.invitations.invite is not available")
    try:
        invitation = invite(
            database,
            survey_id=str(row.payload["survey_id"]),
            profile_id=str(row.profile_id),
            touchpoint=row.payload.get("touchpoint"),
            channel=str(row.payload.get("channel") or "email"),
        )
    except ValueError as error:  # unknown survey, bad channel: trying again will not help
        return SendResult("skipped", f"survey invitation refused: {error}")
    status = getattr(invitation, "status", "sent")
    if status == "blocked":
        return SendResult(
            "skipped", f"survey invitation blocked: {getattr(invitation, 'reason', '')}"
        )
    token = str(getattr(invitation, "token", "") or "")
    url = getattr(invitation, "url", None)
    channel = str(row.payload.get("channel") or "email")
    delivered = _deliver_invitation(database, row, settings, client, url, channel) if url else None
    if delivered is None:
        return SendResult("sent", f"invitation {token[:12]} (no {channel} address: link only)")
    return SendResult("sent", f"invitation {token[:12]} by {channel}: {delivered.response}")


def _survey_link(
    database: Database, row: OutboxRow, settings: EngageSettings, client: httpx.Client
) -> SendResult:
    """An invitation voc's triggers scheduled: re-sign its link and deliver it."""
    from cxm.voc.invitations import make_token, survey_url

    token = make_token(
        database,
        str(row.payload["invitation_id"]),
        row.profile_id,
        row.payload.get("touchpoint"),
    )
    channel = str(row.payload.get("channel") or "email")
    delivered = _deliver_invitation(database, row, settings, client, survey_url(token), channel)
    if delivered is None:
        return SendResult("skipped", f"no {channel} address for the person")
    return delivered


def _case(database: Database, row: OutboxRow) -> SendResult:
    open_case = _optional("cxm.voc.cases", "open_case")
    if open_case is None:
        return SendResult("skipped", "cxm.voc.cases.open_case is not available")
    try:
        case = open_case(
            database,
            profile_id=str(row.profile_id),
            reason=str(row.payload.get("reason", "manual")),
            source=f"engage:{row.journey_id}",
            note=row.payload.get("note"),
        )
    except ValueError as error:  # a reason voc does not accept: not worth retrying
        return SendResult("skipped", f"case refused: {error}")
    return SendResult("sent", f"case {case.case_id}")


def _set_trait(database: Database, row: OutboxRow) -> SendResult:
    # An identify call from the system source: profiles' survivorship then sees the trait
    # like any other source's, and segments on traits read it.
    write_events(
        database,
        [
            event_row(
                system_source(database),
                profile_id=str(row.profile_id),
                event="",
                message_id=f"trait:{row.idempotency_key}",
                properties={},
                message_type="identify",
                traits=dict(row.payload["traits"]),
            )
        ],
    )
    return SendResult("sent", "trait set")


_sink_lock = threading.Lock()


def _sink(row: OutboxRow, kind: str, folder: Path) -> SendResult:
    """The demo's local sink: one JSON line per send, keyed like a real send."""
    line = orjson.dumps(
        {
            "idempotency_key": row.idempotency_key,
            "profile_id": row.profile_id,
            "journey_id": row.journey_id,
            "payload": row.payload,
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    with _sink_lock, (folder / f"{kind}.jsonl").open("ab") as handle:
        handle.write(line + b"\n")
    return SendResult("sent", f"sink {kind}.jsonl")


def perform(
    database: Database, row: OutboxRow, settings: EngageSettings, client: httpx.Client
) -> SendResult:
    """Carry out one row; raise SendError for a failure worth retrying."""
    kind = row.payload.get("kind", row.action)
    if settings.sink_dir and kind in ("webhook", "email", "sms"):
        return _sink(row, str(kind), Path(settings.sink_dir))
    if kind == "webhook":
        return _webhook(database, row, settings)
    if kind == "email":
        return _email(row, settings)
    if kind == "sms":
        return _sms(row, settings, client)
    if kind == "survey":
        return _survey(database, row, settings, client)
    if kind == "survey_link":
        return _survey_link(database, row, settings, client)
    if kind == "case":
        return _case(database, row)
    if kind == "set_trait":
        return _set_trait(database, row)
    return SendResult("skipped", f"unknown kind {kind!r}")
