from __future__ import annotations

from pathlib import Path

import pytest

from cxm.collect.importers import import_file
from cxm.store import Database
from tests.collect.importers.files import write_rows

TICKETS = [
    {"ticket_id": "T1", "customer_id": "u1", "created_at": "2025-05-01T09:00:00Z",
     "first_response_at": "2025-05-01T09:30:00Z", "resolved_at": "2025-05-02T09:00:00Z",
     "channel": "phone", "contacts_count": 2, "reopened": "no", "csat": 4,
     "subject": "Lieferung verspätet"},
    {"ticket_id": "T2", "customer_id": "u2", "created_at": "2025-05-03T09:00:00Z",
     "first_response_at": None, "resolved_at": None, "channel": "web form",
     "contacts_count": None, "reopened": None, "csat": None, "subject": "退货"},
    {"ticket_id": "T3", "customer_id": "u3", "created_at": "2025-05-03T09:00:00Z",
     "first_response_at": None, "resolved_at": "2025-05-01T00:00:00Z", "channel": None,
     "contacts_count": None, "reopened": None, "csat": None, "subject": None},
    {"ticket_id": "T4", "customer_id": "u4", "created_at": "2025-05-03T09:00:00Z",
     "first_response_at": None, "resolved_at": None, "channel": None,
     "contacts_count": None, "reopened": "maybe", "csat": None, "subject": None},
]  # fmt: skip

REVIEWS = [
    {"source": "trustpilot", "review_id": "r1", "rating": 5, "text": "Great service",
     "language": "en", "author_handle": "@ann", "url": "https://t.example/r1",
     "posted_at": "2025-06-01T12:00:00Z"},
    {"source": "dianping", "review_id": None, "rating": 2, "text": "送货太慢了",
     "language": "zh", "author_handle": "小王", "url": None, "posted_at": "2025-06-02"},
    {"source": None, "review_id": None, "rating": 4.5, "text": "Gut, aber teuer",
     "language": "de", "author_handle": "kai", "url": None, "posted_at": "2025-06-03T08:00"},
    {"source": "google", "review_id": "r9", "rating": 11, "text": "!!", "language": "en",
     "author_handle": None, "url": None, "posted_at": "2025-06-03T08:00"},
]  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tickets_import_writes_created_and_resolved_events(
    database: Database, tmp_path: Path, fmt: str
) -> None:
    summary = import_file(database, "tickets", write_rows(tmp_path, "t", TICKETS, fmt))
    assert (summary.rows_stored, summary.rows_quarantined) == (2, 2)
    assert [q.field for q in summary.quarantined] == ["resolved_at", "reopened"]
    rows = database.query(
        "SELECT ticket_id, channel, contacts_count, reopened, csat FROM tickets ORDER BY 1"
    )
    assert rows == [("T1", "contact_centre", 2, False, 4), ("T2", "help_desk", None, None, None)]
    events = database.query("SELECT message_id, event, channel FROM events ORDER BY 1")
    assert events == [
        ("ticket:tickets:T1:created", "Ticket Created", "contact_centre"),
        ("ticket:tickets:T1:resolved", "Ticket Resolved", "contact_centre"),
        ("ticket:tickets:T2:created", "Ticket Created", "help_desk"),
    ]


def test_tickets_reimport_is_idempotent(database: Database, tmp_path: Path) -> None:
    path = write_rows(tmp_path, "t", TICKETS[:2], "jsonl")
    import_file(database, "tickets", path)
    again = import_file(database, "tickets", path)
    assert (again.rows_stored, again.rows_duplicate) == (0, 2)
    assert database.scalar("SELECT count(*) FROM events") == 3


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_reviews_import_derives_stable_ids_and_rejects_out_of_range_rating(
    database: Database, tmp_path: Path, fmt: str
) -> None:
    path = write_rows(tmp_path, "r", REVIEWS, fmt)
    summary = import_file(database, "reviews", path, source="web-mentions")
    assert (summary.rows_stored, summary.rows_quarantined) == (3, 1)
    assert summary.quarantined[0].field == "rating"
    rows = database.query("SELECT source, review_id, language, rating FROM reviews ORDER BY 1")
    assert [r[0] for r in rows] == ["dianping", "trustpilot", "web-mentions"]
    assert rows[0][1].startswith("h:") and rows[1][1] == "r1"
    again = import_file(database, "reviews", path, source="web-mentions")
    assert (again.rows_stored, again.rows_duplicate) == (0, 3)
