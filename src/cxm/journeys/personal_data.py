"""Where this package's tables keep personal data, for erase and export.

Tables with a ``profile_id`` column are covered automatically. Declare here tables
that point at a person by other columns (DECLARED), and tables that hold no
customer's personal data, with why (NO_PERSONAL_DATA); ``cxm.privacy.coverage``
merges both and a test fails for any table in neither.
"""

from __future__ import annotations

from cxm.privacy.identifier_columns import IdentifierColumns

DECLARED: dict[str, IdentifierColumns] = {}
NO_PERSONAL_DATA: dict[str, str] = {
    "journey_events": (
        "derived read model of events: a one-way 64-bit hash of the person id, an event "
        "name code, time and channel; an erase deletes the person's events, which changes "
        "the events signature, so the model is rebuilt without them before any query reads it"
    ),
    "journey_channel_days": (
        "derived from journey_events (same person hash, days, channels, counts); rebuilt "
        "with it, so an erased person's rows go the same way"
    ),
    "journey_event_names": "event names (codes for the read model), no person",
    "journey_read_state": "counts and times the read model was built from, no person",
}
