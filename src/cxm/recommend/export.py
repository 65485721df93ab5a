"""``cxm recommend export``: k recommendations for every known profile, as CSV.

Columns: ``profile_id,rank,item_id`` (the issue's contract), then ``item_name``,
``served`` (the kinds that produced the list, ``+``-joined: a person without
personalisation consent asking for ``personalised`` gets ``trending``) and
``identifiers`` — every identifier that maps to the profile, ``type:value``
joined by ``|`` (the same on each of a profile's rows), so a downstream tool can
join on an e-mail or a shop id rather than on our profile id. Profiles merged into
another are left out (their identifiers are listed under the survivor). A profile
the model has no history for still gets rows (the new-visitor fallback, trending).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from cxm.recommend.consent import personalisation_allowed
from cxm.recommend.service import RecommendError, check_k, check_kind, rank_for
from cxm.recommend.storage import load_model
from cxm.store import Database

COLUMNS = ("profile_id", "rank", "item_id", "item_name", "served", "identifiers")


@dataclass(frozen=True)
class ExportSummary:
    profiles: int
    rows: int
    personalised: int
    model_version: str


def _identifiers(database: Database) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    rows = database.query(
        "SELECT profile_id, id_type, id_value FROM identifiers "
        "WHERE profile_id IS NOT NULL ORDER BY profile_id, id_type, id_value"
    )
    for profile_id, id_type, id_value in rows:
        found.setdefault(profile_id, []).append(f"{id_type}:{id_value}")
    return found


def export_recommendations(database: Database, kind: str, k: int, out: Path) -> ExportSummary:
    check_kind(kind)
    check_k(k)
    model = load_model(database)
    if model is None:
        raise RecommendError("model", "no recommendation model yet: run cxm recommend train")
    profiles = [
        str(r[0])
        for r in database.query(
            "SELECT profile_id FROM profiles WHERE merged_into IS NULL ORDER BY profile_id"
        )
    ]
    allowed = personalisation_allowed(database, profiles)
    identifiers = _identifiers(database)
    rows = 0
    try:
        handle = out.open("w", newline="", encoding="utf-8")
    except OSError as error:
        raise RecommendError("out", f"cannot write {str(out)!r}: {error.strerror}") from None
    with handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for profile_id in profiles:
            person = model.people.get(profile_id)
            ranked, served, _ = rank_for(model, person, kind, k, personal=profile_id in allowed)
            ids = "|".join(identifiers.get(profile_id, []))
            for position, (index, _) in enumerate(ranked, start=1):
                item = model.items[index]
                writer.writerow(
                    (
                        profile_id,
                        position,
                        item,
                        model.item_names.get(item, ""),
                        "+".join(served),
                        ids,
                    )
                )
                rows += 1
    return ExportSummary(len(profiles), rows, len(allowed), model.version)
