"""Online reviews and social mentions, stored in ``reviews``.

Columns: review_id (optional), source or platform (e.g. google, trustpilot,
weibo; defaults to the import's source name), rating (0-10, optional for
mentions), text, language, author_handle, url, posted_at. Without a review_id
the id is a hash of platform, url, author and time, so a re-import finds it.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from cxm.collect.importers.base import (
    TIMESTAMP,
    BatchOutcome,
    ImportContext,
    convert,
    stable_id,
    table,
)
from cxm.collect.importers.readers import Batch
from cxm.collect.importers.values import dumps, number, text, timestamp

KEY_FIELD = "review_id"
REQUIRED_COLUMNS = ("posted_at",)
SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("review_id", pa.string()),
        ("rating", pa.float64()),
        ("text", pa.string()),
        ("language", pa.string()),
        ("author_handle", pa.string()),
        ("url", pa.string()),
        ("posted_at", TIMESTAMP),
        ("raw", pa.string()),
        ("imported_at", TIMESTAMP),
    ]
)


def _row(context: ImportContext, record: dict[str, Any]) -> dict[str, Any]:
    platform = text(record, "source") or text(record, "platform") or context.source
    posted_at = timestamp(record, "posted_at", required=True)
    assert posted_at is not None
    url = text(record, "url")
    author = text(record, "author_handle")
    review_id = text(record, "review_id")
    if review_id is None:
        review_id = "h:" + stable_id(platform, url, author, posted_at.isoformat())
    return {
        "source": platform,
        "review_id": review_id,
        "rating": number(record, "rating", minimum=0, maximum=10),
        "text": text(record, "text"),
        "language": text(record, "language"),
        "author_handle": author,
        "url": url,
        "posted_at": posted_at,
        "raw": dumps(record),
        "imported_at": context.imported_at,
    }


def store_batch(context: ImportContext, batch: Batch) -> BatchOutcome:
    rows, problems = convert(batch, lambda record: _row(context, record))
    stored = context.database.append("reviews", table(rows, SCHEMA), ["source", "review_id"])
    return BatchOutcome(stored=stored, duplicate=len(rows) - stored, problems=problems)
