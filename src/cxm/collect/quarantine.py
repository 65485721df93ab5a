"""Quarantined input: list it, and replay quarantined events once they can pass.

Replay is for events (API batches and event imports): a message quarantined
because of, say, a since-fixed producer bug or a source that did not exist yet
is normalised again; what passes is stored (idempotently) and marked replayed,
what still fails stays with its current reason. Rows of other kinds are fixed
at the source and re-imported (their importers are idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from cxm.collect.messages import InvalidMessage, normalise_message
from cxm.collect.rows import EVENT_KEY, events_table
from cxm.collect.sources import Source, get_source
from cxm.store import Database


@dataclass(frozen=True)
class QuarantinedInput:
    quarantine_id: str
    kind: str
    origin: str
    line_number: int | None
    field: str | None
    reason: str
    payload: str
    received_at: datetime
    replayed_at: datetime | None


@dataclass(frozen=True)
class ReplayResult:
    replayed: int
    still_invalid: list[tuple[str, str, str]]  # quarantine id, field, reason


def list_quarantined(
    database: Database, kind: str | None = None, limit: int = 50, include_replayed: bool = False
) -> list[QuarantinedInput]:
    conditions, params = [], []
    if kind:
        conditions.append("kind = ?")
        params.append(kind)
    if not include_replayed:
        conditions.append("replayed_at IS NULL")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = database.query(
        "SELECT quarantine_id, kind, origin, line_number, field, reason, payload, "
        f"received_at, replayed_at FROM quarantine {where} "
        "ORDER BY received_at DESC, line_number LIMIT ?",
        [*params, limit],
    )
    return [QuarantinedInput(*row) for row in rows]


def replay_events(database: Database, quarantine_ids: list[str] | None = None) -> ReplayResult:
    """Normalise quarantined events again; store and mark those that pass."""
    where = "kind = 'event' AND replayed_at IS NULL AND source_id IS NOT NULL"
    params: list[object] = []
    if quarantine_ids:
        where += f" AND quarantine_id IN ({', '.join('?' for _ in quarantine_ids)})"
        params = list(quarantine_ids)
    candidates = database.query(
        f"SELECT quarantine_id, source_id, payload, received_at FROM quarantine WHERE {where}",
        params,
    )
    sources: dict[str, Source | None] = {}
    passed: list[str] = []
    rows: list[dict[str, object]] = []
    still_invalid: list[tuple[str, str, str]] = []
    for quarantine_id, source_id, payload, received_at in candidates:
        source = sources.setdefault(source_id, get_source(database, source_id))
        if source is None:
            still_invalid.append((quarantine_id, "source_id", "the source no longer exists"))
            continue
        try:
            message = orjson.loads(payload)
            rows.append(normalise_message(message, source=source, received_at=received_at))
            passed.append(quarantine_id)
        except orjson.JSONDecodeError as error:
            still_invalid.append((quarantine_id, "(payload)", f"not valid JSON: {error}"))
        except InvalidMessage as error:
            still_invalid.append((quarantine_id, error.field, error.reason))
    if passed:
        with database.transaction() as tx:
            tx.append("events", events_table(rows), EVENT_KEY)
            placeholders = ", ".join("?" for _ in passed)
            tx.execute(
                f"UPDATE quarantine SET replayed_at = ? WHERE quarantine_id IN ({placeholders})",
                [datetime.now(UTC), *passed],
            )
    return ReplayResult(len(passed), still_invalid)
