"""Delivery status and responses coming back (opened, clicked, replied, bounced…).

A provider (or the e-mail pixel/link redirector of a deployment) reports an outcome for
an outbox message; it is stored as an event of the person from the system source, named
as Segment's e-mail spec names them where one exists, so journey goals, event waits and
segments can use it like any other event.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from cxm.engage.system_events import event_row, system_source, write_events
from cxm.errors import FieldError
from cxm.store import Database

OUTCOMES = ("delivered", "opened", "clicked", "replied", "bounced", "unsubscribed", "complained")
_EMAIL_NAMES = {
    "delivered": "Email Delivered",
    "opened": "Email Opened",
    "clicked": "Email Link Clicked",
    "replied": "Email Replied",
    "bounced": "Email Bounced",
    "unsubscribed": "Unsubscribed",
    "complained": "Email Marked as Spam",
}


class OutcomeError(FieldError):
    pass


def event_name(channel: str | None, outcome: str) -> str:
    if channel == "email":
        return _EMAIL_NAMES[outcome]
    return f"Message {outcome.capitalize()}"


def record_outcome(
    database: Database,
    message: Any,
    outcome: Any,
    at: datetime | None = None,
    properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Store one outcome as an event; returns {event, profile_id, message_id, event_key}."""
    if not isinstance(message, str) or not message:
        raise OutcomeError("message_id", "must be an outbox message id or idempotency key")
    if outcome not in OUTCOMES:
        raise OutcomeError("outcome", f"must be one of {', '.join(OUTCOMES)}")
    rows = database.query(
        "SELECT message_id, idempotency_key, journey_id, profile_id, channel, action "
        "FROM engage_outbox WHERE message_id = ? OR idempotency_key = ?",
        [message, message],
    )
    if not rows:
        raise OutcomeError("message_id", f"no outbox message {message!r}", 404)
    message_id, key, journey_id, profile_id, channel, action = rows[0]
    if profile_id is None:
        raise OutcomeError("message_id", "this message is about nobody", 409)
    name = event_name(channel, str(outcome))
    props = {
        **(properties or {}),
        "message_id": message_id,
        "journey_id": journey_id,
        "channel": channel,
        "action": action,
        "outcome": outcome,
    }
    when = at or datetime.now(UTC)
    row = event_row(
        system_source(database),
        profile_id=profile_id,
        event=name,
        message_id=f"outcome:{key}:{outcome}:{uuid.uuid4().hex[:8]}",
        properties=props,
        when=when,
        channel=channel if channel in ("email", "messaging") else "other",
    )
    write_events(database, [row])
    from cxm.engage.worker import notify

    notify(database, profile_id, name, props, str(row["event_key"]), when)
    return {"event": name, "profile_id": profile_id, "message_id": message_id}
