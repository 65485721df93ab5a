"""Where this package's tables keep personal data, for erase and export.

Tables with a ``profile_id`` column are covered automatically (segment_members,
journey_runs, journey_step_log, engage_outbox). Declare here tables that point at a
person by other columns (DECLARED), and tables that hold no customer's personal data,
with why (NO_PERSONAL_DATA); ``cxm.privacy.coverage`` merges both and a test fails for
any table in neither.
"""

from __future__ import annotations

from cxm.privacy.identifier_columns import IdentifierColumns

DECLARED: dict[str, IdentifierColumns] = {}
NO_PERSONAL_DATA: dict[str, str] = {
    "segments": "segment definitions: names and conditions written by staff",
    "segment_counts": "member counts per segment over time, no person",
    "journeys": "journey definitions written by staff",
    "engage_offers": "the coupon/offer catalogue, no person",
    "engage_cursors": "how far the engine has read the event stream, a timestamp",
}
