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
    "surveys": "survey definitions: names and states, no respondent data",
    "survey_versions": "question texts per version, written by staff",
    "survey_triggers": "event rules (event name, filter, delay, sampling)",
    "case_alerts": "alerts to staff owners: case id, staff address or webhook, result",
    "voc_cursors": "the trigger worker's position in the event log",
}
