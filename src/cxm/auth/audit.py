"""The audit log: who read or changed personal data, through which door, with what outcome.

The subject is a profile id when one was resolved, else ``sha256:<hex>`` of the
identifier asked for, so the log itself holds no customer's personal data and
survives that customer's erasure.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from cxm.auth.tokens import sha256_hex
from cxm.store import Database

OK = "ok"
NOT_FOUND = "not_found"
INVALID = "invalid"
DENIED = "denied"
FAILED = "failed"


@dataclass(frozen=True)
class AuditEntry:
    audit_id: str
    occurred_at: datetime
    actor: str
    via: str
    action: str
    resource: str
    subject: str | None
    outcome: str


def identifier_subject(identifier: str) -> str:
    return "sha256:" + sha256_hex(identifier.strip().lower())


def record_audit(
    database: Database,
    *,
    actor: str,
    via: str,
    action: str,
    resource: str,
    subject: str | None,
    outcome: str,
) -> None:
    """Append one entry. ``via`` is api, web or cli; ``action`` e.g. profile.view, privacy.erase."""
    database.execute(
        "INSERT INTO audit_log (audit_id, occurred_at, actor, via, action, resource, subject, "
        "outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [uuid.uuid4().hex, datetime.now(UTC), actor, via, action, resource, subject, outcome],
    )


def list_audit(
    database: Database,
    *,
    limit: int = 100,
    actor: str | None = None,
    action: str | None = None,
    subject: str | None = None,
) -> list[AuditEntry]:
    """Newest first, optionally filtered; ``subject`` may be a profile id or an identifier."""
    where, params = [], []
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if action:
        where.append("action = ?")
        params.append(action)
    if subject:
        where.append("subject IN (?, ?)")
        params += [subject, identifier_subject(subject)]
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    rows = database.query(
        "SELECT audit_id, occurred_at, actor, via, action, resource, subject, outcome "
        f"FROM audit_log {clause}ORDER BY occurred_at DESC LIMIT ?",
        [*params, limit],
    )
    return [AuditEntry(*row) for row in rows]
