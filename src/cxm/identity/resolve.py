"""``cxm identity resolve``: deterministic stitching, then probabilistic linkage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cxm.identity.linkage.apply import LinkageSummary, link_records
from cxm.identity.stitch import StitchSummary, stitch_new
from cxm.store import Database


@dataclass(frozen=True)
class ResolveSummary:
    stitch: StitchSummary
    linkage: LinkageSummary
    profiles: int
    records: int


def resolve_identities(
    database: Database, step: Callable[[str], None] | None = None
) -> ResolveSummary:
    if step is not None:
        step("stitching identifiers")
    stitched = stitch_new(database)
    linked = link_records(database, step)
    profiles = int(database.scalar("SELECT count(*) FROM profiles WHERE merged_into IS NULL"))
    records = int(database.scalar("SELECT count(*) FROM customer_records"))
    return ResolveSummary(stitched, linked, profiles, records)
