"""``source,record_id,profile_id`` for every imported customer record."""

from __future__ import annotations

import csv
from pathlib import Path

from cxm.store import Database

LINK_COLUMNS = ("source", "record_id", "profile_id")


def export_links(database: Database, out: Path) -> int:
    """Write one row per imported source record (its current profile); return rows."""
    rows = database.query(
        "SELECT source, record_id, profile_id FROM customer_records ORDER BY source, record_id"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(LINK_COLUMNS)
        for source, record_id, profile_id in rows:
            writer.writerow([source, record_id, profile_id or ""])
    return len(rows)
