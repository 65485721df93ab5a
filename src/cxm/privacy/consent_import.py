"""Adopting opt-ins that source systems already hold (a CRM's ``marketing_opt_in``, a
shop's ``newsletter`` flag) into the consent ledger.

Each customer record's flag becomes one entry for that record's identifier
(``record:<source>:<id>``), timed at the record's import and sourced
``import:<source>.<trait>``, so the ledger shows exactly where it came from and a
later choice in the preference centre wins. Re-running adds an entry only when a
record's flag changed. Values that are neither yes nor no are counted and named
in the summary, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC

import orjson
import pyarrow as pa

from cxm.privacy.consent import check_channel, check_purpose, new_entry_id
from cxm.store import Database

YES = frozenset({"true", "1", "yes", "y", "ja", "on", "opt-in", "opted_in", "granted", "是"})
NO = frozenset({"false", "0", "no", "n", "nein", "off", "opt-out", "opted_out", "denied", "否"})
_SCHEMA = pa.schema(
    [
        ("entry_id", pa.string()),
        ("profile_id", pa.string()),
        ("identifier", pa.string()),
        ("purpose", pa.string()),
        ("channel", pa.string()),
        ("status", pa.string()),
        ("recorded_at", pa.timestamp("us", tz="UTC")),
        ("source", pa.string()),
        ("wording_version", pa.string()),
    ]
)


@dataclass
class AdoptSummary:
    records: int = 0
    granted: int = 0
    denied: int = 0
    unchanged: int = 0
    without_flag: int = 0
    not_stitched: int = 0
    unreadable: dict[str, int] = field(default_factory=dict)


def _status(value: object) -> str | None:
    text = str(value).strip().lower()
    return "granted" if text in YES else "denied" if text in NO else None


def adopt_record_opt_ins(
    database: Database,
    source: str,
    trait: str,
    purpose: str,
    channel: str,
    *,
    wording_version: str | None = None,
) -> AdoptSummary:
    """Turn ``trait`` of ``source``'s customer records into consent entries."""
    check_purpose(purpose)
    check_channel(channel)
    ledger_source = f"import:{source}.{trait}"
    latest: dict[str, str] = {}
    for identifier, status in database.query(
        "SELECT identifier, status FROM consent_ledger WHERE source = ? "
        "ORDER BY recorded_at, entry_id",
        [ledger_source],
    ):
        latest[identifier] = status
    rows = database.query(
        "SELECT record_id, profile_id, CAST(traits AS TEXT), imported_at FROM customer_records "
        "WHERE source = ? ORDER BY record_id",
        [source],
    )
    summary = AdoptSummary(records=len(rows))
    new: list[dict[str, object]] = []
    for record_id, profile_id, traits, imported_at in rows:
        value = orjson.loads(traits).get(trait) if traits else None
        if value is None or str(value).strip() == "":
            summary.without_flag += 1
            continue
        status = _status(value)
        if status is None:
            summary.unreadable[str(value)] = summary.unreadable.get(str(value), 0) + 1
            continue
        if profile_id is None:
            summary.not_stitched += 1
            continue
        identifier = f"record:{source}:{record_id}"
        if latest.get(identifier) == status:
            summary.unchanged += 1
            continue
        new.append(
            {
                "entry_id": new_entry_id(),
                "profile_id": profile_id,
                "identifier": identifier,
                "purpose": purpose,
                "channel": channel,
                "status": status,
                "recorded_at": imported_at.astimezone(UTC),
                "source": ledger_source,
                "wording_version": wording_version,
            }
        )
        if status == "granted":
            summary.granted += 1
        else:
            summary.denied += 1
    if new:
        database.append("consent_ledger", pa.Table.from_pylist(new, schema=_SCHEMA))
    return summary
