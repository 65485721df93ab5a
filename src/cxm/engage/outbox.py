"""The durable outbox: one row per decided action, claimed, sent, acknowledged.

Rows are written in the same transaction as the journey decision that made them, so
a crash never loses a decision nor sends one that was rolled back. Delivery is
at-least-once: a claimed row whose worker died is claimed again after the lease, and
re-sent with the same idempotency key (``Idempotency-Key`` header, e-mail
``Message-ID``) so the receiver can drop the repeat. An acknowledged (``sent``) row is
never claimed again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from cxm.store import Database, Transaction

OUTBOX_STATUSES = ("pending", "claimed", "sent", "dead", "blocked", "skipped")


@dataclass(frozen=True)
class OutboxRow:
    message_id: str
    idempotency_key: str
    journey_id: str | None
    run_id: str | None
    profile_id: str | None
    action: str
    channel: str | None
    payload: dict[str, Any]
    attempts: int
    claim_token: str


def enqueue(
    tx: Transaction,
    *,
    idempotency_key: str,
    action: str,
    payload: dict[str, Any],
    now: datetime,
    journey_id: str | None = None,
    run_id: str | None = None,
    profile_id: str | None = None,
    step: int | None = None,
    channel: str | None = None,
    status: str = "pending",
    block_reason: str | None = None,
    not_before: datetime | None = None,
) -> str:
    """Insert one row (inside the caller's transaction); a repeated key is ignored."""
    message_id = "msg_" + uuid.uuid4().hex
    tx.execute(
        "INSERT INTO engage_outbox (message_id, idempotency_key, journey_id, run_id, "
        "profile_id, step, action, channel, payload, status, block_reason, attempts, "
        "not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) "
        "ON CONFLICT (idempotency_key) DO NOTHING",
        [
            message_id,
            idempotency_key,
            journey_id,
            run_id,
            profile_id,
            step,
            action,
            channel,
            orjson.dumps(payload).decode(),
            status,
            block_reason,
            not_before or now,
            now,
        ],
    )
    return message_id


def claim(
    database: Database, limit: int, lease_seconds: float, now: datetime | None = None
) -> list[OutboxRow]:
    """Claim due rows: pending ones whose time has come, and claims older than the lease."""
    now = now or datetime.now(UTC)
    token = uuid.uuid4().hex
    stale = now - timedelta(seconds=lease_seconds)
    with database.transaction() as tx:
        due = tx.query(
            "SELECT message_id FROM engage_outbox WHERE (status = 'pending' AND not_before <= ?) "
            "OR (status = 'claimed' AND claimed_at <= ?) ORDER BY not_before LIMIT ?",
            [now, stale, limit],
        )
        if not due:
            return []
        ids = [r[0] for r in due]
        marks = ", ".join("?" for _ in ids)
        tx.execute(
            f"UPDATE engage_outbox SET status = 'claimed', claim_token = ?, claimed_at = ? "
            f"WHERE message_id IN ({marks}) AND status IN ('pending', 'claimed')",
            [token, now, *ids],
        )
        rows = tx.query(
            "SELECT message_id, idempotency_key, journey_id, run_id, profile_id, action, "
            "channel, CAST(payload AS TEXT), attempts FROM engage_outbox WHERE claim_token = ?",
            [token],
        )
    return [
        OutboxRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], orjson.loads(r[7]), int(r[8]), token)
        for r in rows
    ]


def ack(database: Database, row: OutboxRow, response: str, now: datetime | None = None) -> bool:
    """Mark sent; False when another worker re-claimed the row meanwhile."""
    now = now or datetime.now(UTC)
    with database.transaction() as tx:
        tx.execute(
            "UPDATE engage_outbox SET status = 'sent', sent_at = ?, response = ?, "
            "attempts = attempts + 1 WHERE message_id = ? AND claim_token = ?",
            [now, response[:2000], row.message_id, row.claim_token],
        )
        done = tx.query(
            "SELECT status FROM engage_outbox WHERE message_id = ? AND claim_token = ?",
            [row.message_id, row.claim_token],
        )
    return bool(done) and done[0][0] == "sent"


def ack_many(
    database: Database, rows: list[OutboxRow], response: str, now: datetime | None = None
) -> list[OutboxRow]:
    """Mark rows sent in one transaction; returns those still held by our claim."""
    now = now or datetime.now(UTC)
    acked: list[OutboxRow] = []
    with database.transaction() as tx:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            by_token: dict[str, list[str]] = {}
            for row in chunk:
                by_token.setdefault(row.claim_token, []).append(row.message_id)
            for token, ids in by_token.items():
                marks = ", ".join("?" for _ in ids)
                tx.execute(
                    "UPDATE engage_outbox SET status = 'sent', sent_at = ?, response = ?, "
                    f"attempts = attempts + 1 WHERE message_id IN ({marks}) AND claim_token = ?",
                    [now, response[:2000], *ids, token],
                )
                mine = {
                    r[0]
                    for r in tx.query(
                        f"SELECT message_id FROM engage_outbox WHERE message_id IN ({marks}) "
                        "AND claim_token = ? AND status = 'sent'",
                        [*ids, token],
                    )
                }
                acked.extend(r for r in chunk if r.message_id in mine and r.claim_token == token)
    return acked


def skip(database: Database, row: OutboxRow, reason: str) -> None:
    database.execute(
        "UPDATE engage_outbox SET status = 'skipped', block_reason = ?, response = ? "
        "WHERE message_id = ? AND claim_token = ?",
        [reason[:500], reason[:2000], row.message_id, row.claim_token],
    )


def fail(
    database: Database,
    row: OutboxRow,
    error: str,
    max_attempts: int,
    backoff_seconds: float,
    now: datetime | None = None,
) -> str:
    """Record a failed try: back to pending after ``backoff·2^(tries-1)``, or dead."""
    now = now or datetime.now(UTC)
    attempts = row.attempts + 1
    status = "dead" if attempts >= max_attempts else "pending"
    delay = backoff_seconds * (2 ** (attempts - 1))
    database.execute(
        "UPDATE engage_outbox SET status = ?, attempts = ?, last_error = ?, not_before = ?, "
        "claim_token = NULL WHERE message_id = ? AND claim_token = ?",
        [
            status,
            attempts,
            error[:2000],
            now + timedelta(seconds=delay),
            row.message_id,
            row.claim_token,
        ],
    )
    return status


def outbox_status(database: Database, journey_id: str | None = None) -> dict[str, int]:
    sql = "SELECT status, count(*) FROM engage_outbox"
    params: list[Any] = []
    if journey_id:
        sql += " WHERE journey_id = ?"
        params.append(journey_id)
    rows = database.query(sql + " GROUP BY status ORDER BY status", params)
    return {str(s): int(n) for s, n in rows}


def outbox_rows(
    database: Database, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    sql = (
        "SELECT message_id, idempotency_key, journey_id, profile_id, action, channel, status, "
        "block_reason, attempts, not_before, sent_at, last_error, created_at FROM engage_outbox"
    )
    params: list[Any] = []
    if status:
        sql += " WHERE status = ?"
        params.append(status)
    return database.query_dicts(sql + " ORDER BY created_at DESC LIMIT ?", [*params, limit])
