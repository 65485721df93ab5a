"""Erase a person: every row in every table, in one transaction, with a receipt.

The receipt keeps what an auditor needs and nothing about the person: when, who,
how many rows per table, and a SHA-256 over the erased identifiers (so whoever
still knows them can check they were covered).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from cxm.privacy.export import PersonNotFound
from cxm.privacy.locate import locate
from cxm.privacy.subject import Subject, find_subject
from cxm.store import Database


@dataclass(frozen=True)
class EraseReceipt:
    receipt_id: str
    erased_at: datetime
    actor: str
    identifiers_sha256: str
    identifier_count: int
    profile_count: int
    rows_deleted: int
    counts: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        return {
            "receipt_id": self.receipt_id,
            "erased_at": self.erased_at.isoformat(),
            "actor": self.actor,
            "identifiers_sha256": self.identifiers_sha256,
            "identifier_count": self.identifier_count,
            "profile_count": self.profile_count,
            "rows_deleted": self.rows_deleted,
            "counts": self.counts,
        }


def identifiers_hash(subject: Subject) -> str:
    items = sorted(subject.labels | subject.values | subject.emails | subject.profile_ids)
    return hashlib.sha256("\n".join(items).encode("utf-8")).hexdigest()


def erase_person(database: Database, identifier: str, actor: str) -> EraseReceipt:
    """Delete everything about the person found by ``identifier``; return the receipt.

    Raises SubjectError for a bad identifier and PersonNotFound when nothing is held.
    """
    subject = find_subject(database, identifier)
    if subject.empty:
        raise PersonNotFound()
    matches = locate(database, subject)
    json_type = "JSONB" if database.dialect == "postgresql" else "JSON"
    counts: dict[str, int] = {}
    receipt_id = uuid.uuid4().hex
    erased_at = datetime.now(UTC)
    with database.transaction() as tx:
        for match in matches:
            deleted = tx.query(
                f"DELETE FROM {match.table} WHERE {match.where} RETURNING 1", match.params
            )
            if deleted:
                counts[match.table] = len(deleted)
        if not counts:
            raise PersonNotFound()
        receipt = EraseReceipt(
            receipt_id,
            erased_at,
            actor,
            identifiers_hash(subject),
            len(subject.labels | subject.values | subject.emails),
            len(subject.profile_ids),
            sum(counts.values()),
            counts,
        )
        tx.execute(
            "INSERT INTO erase_receipts (receipt_id, erased_at, actor, identifiers_sha256, "
            "identifier_count, profile_count, rows_deleted, counts) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS {json_type}))",
            [
                receipt.receipt_id,
                receipt.erased_at,
                receipt.actor,
                receipt.identifiers_sha256,
                receipt.identifier_count,
                receipt.profile_count,
                receipt.rows_deleted,
                orjson.dumps(counts).decode(),
            ],
        )
    return receipt


def list_receipts(database: Database, limit: int = 100) -> list[EraseReceipt]:
    rows = database.query(
        "SELECT receipt_id, erased_at, actor, identifiers_sha256, identifier_count, "
        "profile_count, rows_deleted, CAST(counts AS TEXT) FROM erase_receipts "
        "ORDER BY erased_at DESC LIMIT ?",
        [limit],
    )
    return [
        EraseReceipt(
            str(row[0]),
            row[1],
            str(row[2]),
            str(row[3]),
            int(row[4]),
            int(row[5]),
            int(row[6]),
            orjson.loads(row[7]),
        )
        for row in rows
    ]
