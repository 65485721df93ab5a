"""The review queue for probable links in the grey band: list, accept, reject.

Accepting merges the two records' profiles (merge rule ``review``); rejecting
stores the link as blocked (``review:rejected``) so neither stitching nor a later
linkage run merges the pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cxm.identity.errors import IdentityError
from cxm.identity.linkage.apply import link_edges
from cxm.identity.stitch import identity_transaction
from cxm.store import Database, Transaction

STATUSES = ("pending", "accepted", "rejected")
_COLUMNS = (
    "review_id, left_source, left_record_id, right_source, right_record_id, match_weight, "
    "match_probability, status, created_at, decided_at, decided_by, profile_id, "
    "other_profile_id"
)


@dataclass(frozen=True)
class LinkReview:
    review_id: str
    left_source: str
    left_record_id: str
    right_source: str
    right_record_id: str
    match_weight: float
    match_probability: float
    status: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    profile_id: str | None
    other_profile_id: str | None


def list_reviews(database: Database, status: str = "pending", limit: int = 100) -> list[LinkReview]:
    if status not in STATUSES:
        raise IdentityError("status", f"must be one of {', '.join(STATUSES)}")
    if not 1 <= limit <= 1000:
        raise IdentityError("limit", "must be between 1 and 1000")
    rows = database.query(
        f"SELECT {_COLUMNS} FROM link_reviews WHERE status = ? "
        "ORDER BY match_probability DESC, review_id LIMIT ?",
        [status, limit],
    )
    return [LinkReview(*row) for row in rows]


def _pending(tx: Transaction, review_id: str) -> LinkReview:
    rows = tx.query(f"SELECT {_COLUMNS} FROM link_reviews WHERE review_id = ?", [review_id])
    if not rows:
        raise IdentityError("review_id", f"no review {review_id!r}", status=404)
    review = LinkReview(*rows[0])
    if review.status != "pending":
        raise IdentityError("review_id", f"review {review_id!r} is already {review.status}", 409)
    return review


def _decide(tx: Transaction, review_id: str, status: str, by: str | None) -> None:
    tx.execute(
        "UPDATE link_reviews SET status = ?, decided_at = ?, decided_by = ? WHERE review_id = ?",
        [status, datetime.now(UTC), by, review_id],
    )


def accept_review(database: Database, review_id: str, decided_by: str | None = None) -> int:
    """Merge the pair's profiles; return how many merges that made (0 if already one)."""
    with identity_transaction(database) as tx:
        review = _pending(tx, review_id)
        _decide(tx, review_id, "accepted", decided_by)
        left = (review.left_source, review.left_record_id)
        right = (review.right_source, review.right_record_id)
        return link_edges(tx, [(left, right, review.match_probability)], "review")


def reject_review(database: Database, review_id: str, decided_by: str | None = None) -> None:
    with identity_transaction(database) as tx:
        review = _pending(tx, review_id)
        _decide(tx, review_id, "rejected", decided_by)
        ends = sorted(
            [
                (f"record:{review.left_source}", review.left_record_id),
                (f"record:{review.right_source}", review.right_record_id),
            ]
        )
        tx.execute(
            "DELETE FROM identity_links WHERE left_type = ? AND left_value = ? "
            "AND right_type = ? AND right_value = ?",
            [*ends[0], *ends[1]],
        )
        tx.execute(
            "INSERT INTO identity_links (left_type, left_value, right_type, right_value, origin, "
            "score, first_seen_at, blocked, profile_id) VALUES (?, ?, ?, ?, 'review', ?, ?, "
            "'review:rejected', ?)",
            [*ends[0], *ends[1], review.match_probability, datetime.now(UTC), review.profile_id],
        )


def review_records(
    database: Database, reviews: list[LinkReview]
) -> dict[tuple[str, str], dict[str, str | None]]:
    """The two customer records of each review, for a person to compare."""
    keys = {(r.left_source, r.left_record_id) for r in reviews}
    keys |= {(r.right_source, r.right_record_id) for r in reviews}
    found: dict[tuple[str, str], dict[str, str | None]] = {}
    for source, record_id in sorted(keys):
        rows = database.query_dicts(
            "SELECT first_name, last_name, email, phone, birth_date, address_line1, postcode, "
            "city, country FROM customer_records WHERE source = ? AND record_id = ?",
            [source, record_id],
        )
        if rows:
            found[(source, record_id)] = rows[0]
    return found
