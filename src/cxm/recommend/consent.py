"""Consent for the ``personalisation`` purpose: one person (serving) or everyone (export).

Serving reads it from ``ConsentCache``: the personalisation entries of the ledger held
in memory, reloaded when the ledger's row count or newest entry changes (checked at
most once a second), so a grant or withdrawal takes effect within a second and a
request does not scan the ledger.

Without it a person gets non-personalised lists only (trending, related to an item);
their history still filters out what they bought. ``decide`` is the privacy stage's
own rule, so both answers are the ones ``may_contact`` gives person by person.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import datetime

from cxm.privacy.consent import ConsentEntry
from cxm.privacy.consent_check import consent_defaults, decide
from cxm.store import Database

PURPOSE = "personalisation"


def _entries(database: Database) -> dict[str, list[ConsentEntry]]:
    rows = database.query(
        "SELECT entry_id, profile_id, identifier, purpose, channel, status, recorded_at, "
        "source, wording_version, ip, user_agent FROM consent_ledger "
        "WHERE purpose = ? AND profile_id IS NOT NULL ORDER BY recorded_at, entry_id",
        [PURPOSE],
    )
    entries: dict[str, list[ConsentEntry]] = {}
    for row in rows:
        entries.setdefault(row[1], []).append(ConsentEntry(*row))
    return entries


class ConsentCache:
    """Personalisation decisions from an in-memory copy of the ledger's entries."""

    def __init__(self, check_every: float = 1.0) -> None:
        self.check_every = check_every
        self._lock = threading.Lock()
        self._state: dict[
            str, tuple[tuple[int, datetime | None], dict[str, list[ConsentEntry]], float]
        ] = {}

    def _entries_of(self, database: Database) -> dict[str, list[ConsentEntry]]:
        now = time.monotonic()
        with self._lock:
            known = self._state.get(database.url)
            if known is not None and now - known[2] < self.check_every:
                return known[1]
            count, newest = database.query("SELECT count(*), max(recorded_at) FROM consent_ledger")[
                0
            ]
            stamp = (int(count), newest)
            entries = known[1] if known is not None and known[0] == stamp else _entries(database)
            self._state[database.url] = (stamp, entries, now)
            return entries

    def decide(self, database: Database, profile_id: str) -> tuple[bool, str]:
        """(allowed, reason) for a resolved profile id, by the privacy stage's ``decide``."""
        entries = self._entries_of(database).get(profile_id, [])
        decision = decide(entries, PURPOSE, defaults=consent_defaults())
        return decision.allowed, decision.reason


CONSENT = ConsentCache()


def personalisation_allowed(database: Database, profile_ids: Iterable[str]) -> set[str]:
    """The profile ids among ``profile_ids`` that may get personalised recommendations."""
    entries = _entries(database)
    defaults = consent_defaults()
    return {
        profile_id
        for profile_id in profile_ids
        if decide(entries.get(profile_id, []), PURPOSE, defaults=defaults).allowed
    }
