"""Where this package's tables keep personal data, for erase and export.

Tables with a ``profile_id`` column are covered automatically. Declare here tables
that point at a person by other columns (DECLARED), and tables that hold no
customer's personal data, with why (NO_PERSONAL_DATA); ``cxm.privacy.coverage``
merges both and a test fails for any table in neither.
"""

from __future__ import annotations

from cxm.privacy.identifier_columns import IdentifierColumns

# recommend_people (taste vectors, bought items) has profile_id: covered automatically.
DECLARED: dict[str, IdentifierColumns] = {}
NO_PERSONAL_DATA: dict[str, str] = {
    "recommend_models": (
        "item-level model arrays only (item ids and names, item factors, co-occurrence, "
        "trending and popularity counts); each person's part is in recommend_people"
    ),
}
