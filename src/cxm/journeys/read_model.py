"""``journey_events``: the compact read model the journey queries read instead of ``events``.

Why: every funnel step, path and cohort query scanned the 27-column ``events`` table,
filtered the ``event`` strings and hashed ``coalesce(profile_id, anonymous_id,
user_id)`` again for every row it kept — on 10M events that was ~0.45 CPU-s per scan
and a 5-step funnel made five. The read model holds only what those queries use:
``(person BIGINT, name INTEGER, ts, channel, action, profiled)``, rebuilt sorted by
``(name, person, ts)`` so DuckDB's zone maps let a step's scan skip every row group
of other names.

Freshness: before a query reads the model, ``ensure_fresh`` compares a cheap signature
of the source — the events' count, count on a profile and latest ``received_at``, and
the merges' count and undo count — with the one it was built from:

- unchanged → nothing to do (three aggregates over ``events`` and two over ``merges``);
- only new events (every event received after the last build is new, and the counts
  moved by exactly those rows) → they are appended;
- rows gone (erasure) → rebuilt in full at once: no trace of an erased person stays;
- anything else rewrote ``events.profile_id`` — stitching (the count on a profile
  moves), merges and unmerges (``merges`` rows / ``undone_at``) → rebuilt in full,
  unless the last rebuild in this process was slow (≥ 1 s, i.e. a large store): then
  the new events are appended at once and the rebuild runs on a background thread,
  at most every ``CXM_JOURNEYS_REATTRIBUTE_SECONDS`` (default 300); queries meanwhile
  read the model as it stands. On a live store the stitcher attributes events every
  half second and identifies cause merges all the time, so rebuilding in the request
  would make dashboard views pay the 5–10 s rebuild of 10M events; the price is that,
  for up to five minutes, a person's events from before a stitch or merge count under
  their earlier (anonymous) key.

The rule assumes what the collect and identity stages do today: events are only
inserted, deleted, or get a new ``profile_id``. Writers never update this table;
it is derived data and can be dropped and rebuilt at any time.

The person is a 64-bit hash (DuckDB ``hash``, PostgreSQL ``hashtextextended``): with
100k persons the chance of any two colliding is about 3·10⁻¹⁰.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from cxm.store import Database, Transaction

log = logging.getLogger(__name__)
TABLE = "journey_events"
CHANNEL_DAYS = "journey_channel_days"
JOURNEY_GAP_DAYS = 7  # the gap journey_channel_days' journeys are split at
NAMES = "journey_event_names"
STATE = "journey_read_state"
PERSON_TEXT = "coalesce(profile_id, anonymous_id, user_id)"
UNKNOWN_CODE = -1  # a name no event has: matches no row
ACTION_TYPES = ("track", "page", "screen")

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
# A rebuild at least this slow (seconds) counts as expensive: re-attribution rebuilds are
# then spaced by CXM_JOURNEYS_REATTRIBUTE_SECONDS. Small stores rebuild at once.
_SLOW_REBUILD_SECONDS = 1.0
# database url -> (monotonic time the last full rebuild ended, how long it took)
_last_rebuild: dict[str, tuple[float, float]] = {}
_rebuilding: set[str] = set()  # database urls with a background rebuild under way
_threads: dict[str, threading.Thread] = {}
# Stored as the profiled count when re-attribution is owed: no real count matches it,
# so the next check does not take the model for fresh.
_OWED = -1


def reattribute_seconds() -> float:
    raw = os.environ.get("CXM_JOURNEYS_REATTRIBUTE_SECONDS", "300")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 300.0


def person_hash(dialect: str, text: str = PERSON_TEXT) -> str:
    """SQL: the 64-bit person key of a text id (the same expression on every table, so
    a ``lifecycle_stages.profile_id`` hashes to the person of that profile's events)."""
    if dialect == "duckdb":
        # hash() is an unsigned 64-bit value; dropping one bit keeps it a BIGINT.
        return f"CAST(hash({text}) >> 1 AS BIGINT)"
    return f"hashtextextended({text}, 0)"


def source_signature(tx: Transaction | Database) -> tuple[int, int, Any, int, int]:
    events, profiled, received = tx.query(
        "SELECT count(*), count(profile_id), max(received_at) FROM events"
    )[0]
    merges, undone = tx.query("SELECT count(*), count(undone_at) FROM merges")[0]
    return int(events), int(profiled), received, int(merges), int(undone)


def _stored(tx: Transaction | Database, lock: bool) -> tuple[int, int, Any, int, int]:
    suffix = " FOR UPDATE" if lock else ""
    row = tx.query(
        f"SELECT events, profiled, received_max, merges, undone FROM {STATE} WHERE id = 1{suffix}"
    )[0]
    return int(row[0]), int(row[1]), row[2], int(row[3]), int(row[4])


def _lock_for(database: Database) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(database.url, threading.Lock())


def ensure_fresh(database: Database) -> str:
    """Bring ``journey_events`` up to date with ``events``; returns what it did
    (``fresh``, ``appended``, ``rebuilt``, ``re-attribution owed``, ``rebuilding in
    background`` or ``refreshing elsewhere``)."""
    if source_signature(database) == _stored(database, lock=False):
        return "fresh"
    # One refresh at a time per process (DuckDB would fail the second writer with a
    # conflict); across PostgreSQL processes the state row's FOR UPDATE serialises it,
    # and the signature is read again once the lock is held. While a background rebuild
    # holds the lock, a query reads the model as it stands rather than wait seconds.
    lock = _lock_for(database)
    if not lock.acquire(blocking=False):
        if database.url in _rebuilding and not _rows_deleted(database):
            return "refreshing elsewhere"
        lock.acquire()  # an erasure is never served from the old model: wait
    try:
        with database.transaction() as tx:
            outcome = _refresh(tx, database)
    finally:
        lock.release()
    if outcome == "rebuilding in background":
        _start_background_rebuild(database)
    return outcome


def _rows_deleted(database: Database) -> bool:
    """Are events the model holds gone from ``events`` (an erasure), or is there no model?"""
    stored = _stored(database, lock=False)
    if stored[0] < 0 or stored[2] is None:
        return True
    kept = database.scalar("SELECT count(*) FROM events WHERE received_at <= ?", [stored[2]])
    return int(kept or 0) < stored[0]


def _refresh(tx: Transaction, database: Database) -> str:
    stored = _stored(tx, lock=database.dialect == "postgresql")
    current = source_signature(tx)
    if current == stored:
        return "fresh"
    new, new_profiled = _received_after(tx, stored[2])
    if stored[0] < 0 or stored[2] is None or current[0] < stored[0] + new:
        outcome = _rebuild(tx, database)  # first build, or rows deleted (erasure)
    elif current[3:] == stored[3:] and current[1] == stored[1] + new_profiled:
        _append(tx, database.dialect, stored[2])
        outcome = "appended"
    elif _slow(database):
        # Re-attribution on a large store: new events now, the rebuild off this request.
        if new:
            _append(tx, database.dialect, stored[2])
        current = (current[0], _OWED, *current[2:])
        due = time.monotonic() - _last_rebuild[database.url][0] >= reattribute_seconds()
        outcome = "rebuilding in background" if due else "re-attribution owed"
    else:
        outcome = _rebuild(tx, database)
    _save_state(tx, current)
    return outcome


def _save_state(tx: Transaction, signature: tuple[int, int, Any, int, int]) -> None:
    tx.execute(
        f"UPDATE {STATE} SET events = ?, profiled = ?, received_max = ?, merges = ?, "
        "undone = ?, built_at = ? WHERE id = 1",
        [*signature, datetime.now(UTC)],
    )


def _start_background_rebuild(database: Database) -> None:
    with _locks_guard:
        if database.url in _rebuilding:
            return
        _rebuilding.add(database.url)
    thread = threading.Thread(
        target=_background_rebuild, args=(database,), name="cxm-journeys-rebuild", daemon=True
    )
    _threads[database.url] = thread
    thread.start()


def _background_rebuild(database: Database) -> None:
    try:
        with _lock_for(database), database.transaction() as tx:
            _stored(tx, lock=database.dialect == "postgresql")
            current = source_signature(tx)
            _rebuild(tx, database)
            _save_state(tx, current)
    except Exception:  # the next query retries; a closed database ends it quietly
        log.exception("journeys read model: background rebuild failed")
    finally:
        with _locks_guard:
            _rebuilding.discard(database.url)


def wait_for_background_rebuild(database: Database, timeout: float = 60.0) -> None:
    """Block until a background rebuild of this database (if any) has finished."""
    thread = _threads.get(database.url)
    if thread is not None:
        thread.join(timeout)


def _received_after(tx: Transaction, received_max: Any) -> tuple[int, int]:
    """Events (and those on a profile) received after the last build's latest."""
    if received_max is None:
        return 0, 0
    new, profiled = tx.query(
        "SELECT count(*), count(profile_id) FROM events WHERE received_at > ?", [received_max]
    )[0]
    return int(new), int(profiled)


def _append(tx: Transaction, dialect: str, received_max: Any) -> None:
    _insert(tx, dialect, "received_at > ?", [received_max], sort=False)
    # Only the persons with new events have new channel days.
    touched = (
        f"person IN (SELECT {person_hash(dialect)} FROM events "
        "WHERE received_at > ? AND profile_id IS NOT NULL)"
    )
    _channel_days(tx, touched, [received_max])


def _rebuild(tx: Transaction, database: Database) -> str:
    started = time.monotonic()
    tx.execute(f"DELETE FROM {TABLE}")
    _insert(tx, database.dialect, "TRUE", [], sort=True)
    _channel_days(tx, "TRUE", [])
    ended = time.monotonic()
    _last_rebuild[database.url] = (ended, ended - started)
    return "rebuilt"


def _slow(database: Database) -> bool:
    """Did this process's last full rebuild of this database take long?"""
    last = _last_rebuild.get(database.url)
    return last is not None and last[1] >= _SLOW_REBUILD_SECONDS


def _insert(tx: Transaction, dialect: str, where: str, params: list[Any], *, sort: bool) -> None:
    name = "coalesce(event, type)"
    # New names get the next free codes (existing codes never change).
    tx.execute(
        f"INSERT INTO {NAMES} (code, name) SELECT (SELECT coalesce(max(code), 0) FROM {NAMES}) "
        f"+ row_number() OVER (ORDER BY n), n FROM (SELECT DISTINCT {name} AS n FROM events "
        f"WHERE {where}) d WHERE n NOT IN (SELECT name FROM {NAMES})",
        params,
    )
    actions = ", ".join(f"'{t}'" for t in ACTION_TYPES)
    order = " ORDER BY c.code, person, e.timestamp" if sort else ""
    tx.execute(
        f"INSERT INTO {TABLE} (person, name, ts, channel, action, profiled) "
        f"SELECT {person_hash(dialect)} AS person, c.code, e.timestamp, e.channel, "
        f"e.type IN ({actions}), e.profile_id IS NOT NULL "
        f"FROM events e JOIN {NAMES} c ON c.name = {name} WHERE {where}{order}",
        params,
    )


def channel_days_sql(journey_gap_days: int, where: str = "TRUE") -> str:
    """SQL (a CTE list ending in ``marked``) of profiled persons' channel days with the
    previous day and channel and the journey number; ``where`` filters the persons."""
    day = "CAST(floor(extract(epoch FROM ts) / 86400) AS INTEGER)"
    return f"""
days AS (
    SELECT person, {day} AS d, channel, min(ts) AS first_ts, max(ts) AS last_ts,
           count(*) AS events
    FROM {TABLE} WHERE profiled AND {where} GROUP BY person, {day}, channel
),
ordered AS (
    SELECT person, d, channel, first_ts, last_ts, events,
           lag(d) OVER w AS prev_d, lag(channel) OVER w AS prev_channel
    FROM days WINDOW w AS (PARTITION BY person ORDER BY first_ts, channel)
),
marked AS (
    SELECT person, d, channel, first_ts, last_ts, events, prev_d, prev_channel,
           sum(CASE WHEN prev_d IS NULL OR d - prev_d > {int(journey_gap_days)} THEN 1 ELSE 0 END)
             OVER (PARTITION BY person ORDER BY first_ts, channel ROWS UNBOUNDED PRECEDING)
             AS journey
    FROM ordered
)"""


def _channel_days(tx: Transaction, where: str, params: list[Any]) -> None:
    tx.execute(f"DELETE FROM {CHANNEL_DAYS} WHERE {where}", params)
    tx.execute(
        f"INSERT INTO {CHANNEL_DAYS} (person, d, channel, first_ts, last_ts, events, prev_d, "
        f"prev_channel, journey) WITH {channel_days_sql(JOURNEY_GAP_DAYS, where)} "
        "SELECT person, d, channel, first_ts, last_ts, events, prev_d, prev_channel, journey "
        "FROM marked",
        params,
    )


def name_codes(database: Database, names: Iterable[str]) -> dict[str, int]:
    """Codes of the given event names (``UNKNOWN_CODE`` for a name no event has)."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return {}
    rows = database.query(
        f"SELECT name, code FROM {NAMES} WHERE name IN ({', '.join('?' for _ in wanted)})",
        wanted,
    )
    found = {str(n): int(c) for n, c in rows}
    return {n: found.get(n, UNKNOWN_CODE) for n in wanted}


def code_names(database: Database) -> dict[int, str]:
    return {int(c): str(n) for c, n in database.query(f"SELECT code, name FROM {NAMES}")}
