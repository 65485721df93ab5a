"""Load what every source said about a profile: customer records and identify traits.

Segment's reserved trait names (``firstName``, ``birthday``, ``address.city``...) are
mapped onto the customer-record field names so both kinds of source vote on the
same trait.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from cxm.collect.importers.customers import CANONICAL_FIELDS
from cxm.profiles.survivorship import Observation
from cxm.store import Database

SEGMENT_TRAITS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "birthday": "birth_date",
    "createdAt": "created_at",
}
SEGMENT_ADDRESS = {
    "street": "address_line1",
    "city": "city",
    "postalCode": "postcode",
    "postal_code": "postcode",
    "state": "region",
    "country": "country",
}
# The newest identify calls are enough to vote; an old browser can hold thousands.
IDENTIFY_LIMIT = 200


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _scalar(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def segment_values(traits: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in traits.items():
        if key == "address" and isinstance(value, dict):
            for part, field in SEGMENT_ADDRESS.items():
                if _present(value.get(part)):
                    values[field] = _scalar(value[part])
        elif _present(value) and not isinstance(value, dict | list):
            values[SEGMENT_TRAITS.get(key, key)] = _scalar(value)
    return values


def _json(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    loaded = orjson.loads(text)
    return loaded if isinstance(loaded, dict) else {}


def record_observations(database: Database, profile_id: str) -> list[Observation]:
    rows = database.query(
        f"SELECT source, imported_at, {', '.join(CANONICAL_FIELDS)}, CAST(traits AS TEXT) "
        "FROM customer_records WHERE profile_id = ?",
        [profile_id],
    )
    found = []
    for source, imported_at, *fields, traits in rows:
        values = {k: _scalar(v) for k, v in _json(traits).items() if _present(v)}
        values.update(
            {
                name: _scalar(v)
                for name, v in zip(CANONICAL_FIELDS, fields, strict=True)
                if _present(v)
            }
        )
        found.append(Observation(str(source), imported_at, values))
    return found


def identify_observations(database: Database, profile_id: str) -> list[Observation]:
    # identify_traits (filled by identity as events are attributed) rather than events:
    # on DuckDB, with no index on events.profile_id, that was a scan of every event.
    rows = database.query(
        "SELECT s.name, t.timestamp, CAST(t.traits AS TEXT) FROM identify_traits t "
        "LEFT JOIN sources s ON s.source_id = t.source_id "
        "WHERE t.profile_id = ? ORDER BY t.timestamp DESC LIMIT ?",
        [profile_id, IDENTIFY_LIMIT],
    )
    found = []
    for source, timestamp, traits in rows:
        values = segment_values(_json(traits))
        if values:
            found.append(Observation(str(source or "events"), timestamp, values))
    return found


def observations_of(database: Database, profile_id: str) -> list[Observation]:
    return record_observations(database, profile_id) + identify_observations(database, profile_id)


def record_sources(observations: list[Observation]) -> list[str]:
    return sorted({o.source for o in observations})


def earliest(values: Sequence[datetime | None]) -> datetime | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None
