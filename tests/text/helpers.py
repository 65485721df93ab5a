"""Reviews inserted the way the importer stores them (test data of our own)."""

from __future__ import annotations

from datetime import UTC, datetime

from cxm.store import Database


def add_review(
    database: Database,
    review_id: str,
    text: str,
    *,
    source: str = "trustpilot",
    rating: float | None = 4.0,
    language: str | None = None,
    posted_at: datetime | None = None,
    profile_id: str | None = None,
) -> None:
    database.execute(
        "INSERT INTO reviews (source, review_id, rating, text, language, posted_at, "
        "imported_at, profile_id, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            source,
            review_id,
            rating,
            text,
            language,
            posted_at or datetime(2026, 3, 2, 12, tzinfo=UTC),
            datetime(2026, 3, 3, tzinfo=UTC),
            profile_id,
            f"https://example.test/{review_id}",
        ],
    )
