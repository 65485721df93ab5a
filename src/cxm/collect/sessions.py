"""Server-side sessionisation: rebuild ``sessions`` and ``person_touch`` from ``events``.

A person is ``coalesce(anonymous_id, user_id)``; only page, screen and track
events at the web and app touchpoints take part (a session is a visit to a site
or app, as in GA4; an e-mail open or a store visit is not one). A new session
starts

- at a person's first event;
- after ``timeout_minutes`` without an event (GA4's default is 30);
- when a page/screen view carries a campaign (its utm_source / utm_medium /
  utm_campaign combination) different from the session's current one, once the
  session has had a page/screen view. This is the "new campaign, new session"
  rule of Universal Analytics that CXM keeps on purpose (a mid-visit ad click
  is a new touch worth its own session); GA4 itself no longer splits on it.

The whole rebuild is one transaction of set-based SQL (window functions only,
in the subset DuckDB and PostgreSQL share), so readers see either the old or the
new sessions and nothing is read into Python.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from cxm.store import Database
from cxm.store.database import Transaction

_SESSION_COLUMNS = (
    "session_id, person_key, anonymous_id, user_id, started_at, ended_at, event_count, "
    "channel, traffic_channel, utm_source, utm_medium, utm_campaign, referrer_host, "
    "landing_url, profile_id"
)
_TOUCH_COLUMNS = (
    "person_key, first_session_id, first_channel, first_seen_at, last_session_id, "
    "last_channel, last_seen_at, sessions, profile_id"
)
# Ties on the timestamp are broken by the event's key (a UUID, so both databases
# order it the same way, unlike text under PostgreSQL's locale collation).
_ORDER = 'ORDER BY "timestamp", event_key'
_VIEW = "type IN ('page', 'screen')"
_PG_SESSIONS_LOCK = 7_142_002


@dataclass(frozen=True)
class SessionStats:
    """What one rebuild produced."""

    events: int
    sessions: int
    persons: int
    seconds: float


def _next_sessions_sql(timeout_minutes: int) -> str:
    """SELECT of the sessions the events imply, with ``sessions``' column names.

    Written for speed on a million events: three sorts by (person, time) carry
    only narrow columns; the wide ones (URLs, referrer, channels) are fetched
    afterwards by event key for three events per session.
    """
    # ts > previous + gap, not ts - previous > gap: DuckDB's TIMESTAMPTZ subtraction
    # builds a calendar interval per row and was 10x slower.
    gap = f"INTERVAL '{timeout_minutes} minutes'"
    by_time = f"OVER (PARTITION BY person_key {_ORDER}"
    # An ordinal padded to sort as text, then the event key: min() of it picks the
    # earliest event of a session (PostgreSQL has no arg_min, nor max(uuid)).
    earliest = "lpad(CAST(ordinal AS TEXT), 12, '0') || CAST(event_key AS TEXT)"
    return f"""
WITH base AS (
    SELECT coalesce(anonymous_id, user_id) AS person_key, anonymous_id, user_id, profile_id,
           event_key, "timestamp",
           CASE WHEN {_VIEW} THEN 1 ELSE 0 END AS is_view,
           traffic_channel IS NOT NULL AS has_channel,
           page_url IS NOT NULL AS has_url,
           CASE WHEN {_VIEW} AND (utm_source IS NOT NULL OR utm_medium IS NOT NULL
                                  OR utm_campaign IS NOT NULL)
                THEN coalesce(utm_source, '') || chr(31) || coalesce(utm_medium, '')
                     || chr(31) || coalesce(utm_campaign, '')
           END AS campaign_key
    FROM events
    WHERE type IN ('page', 'screen', 'track')
      AND channel IN ('web', 'app')
      AND coalesce(anonymous_id, user_id) IS NOT NULL
), campaign_views AS (
    -- Each campaign-carrying view with the campaign view before it (any session).
    SELECT event_key,
           lag(campaign_key) {by_time}) AS previous_campaign,
           lag("timestamp") {by_time}) AS previous_campaign_at
    FROM base
    WHERE campaign_key IS NOT NULL
), gaps AS (
    SELECT *,
           CASE WHEN lag("timestamp") {by_time}) IS NULL
                  OR "timestamp" > lag("timestamp") {by_time}) + {gap}
                THEN 1 ELSE 0 END AS after_gap,
           row_number() {by_time}) AS ordinal
    FROM base
), segments AS (
    -- A segment is a run of events without an inactivity gap.
    SELECT *,
           max(CASE WHEN after_gap = 1 THEN "timestamp" END)
               {by_time} ROWS UNBOUNDED PRECEDING) AS segment_start,
           max(CASE WHEN is_view = 1 THEN "timestamp" END)
               {by_time} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_view_at
    FROM (SELECT g.*, c.previous_campaign, c.previous_campaign_at
          FROM gaps g LEFT JOIN campaign_views c ON c.event_key = g.event_key) joined
), starts AS (
    -- The session's current campaign is the segment's last one, or none.
    SELECT *,
           CASE WHEN after_gap = 1 THEN 1
                WHEN campaign_key IS NOT NULL AND previous_view_at >= segment_start
                     AND (previous_campaign_at IS NULL OR previous_campaign_at < segment_start
                          OR previous_campaign IS DISTINCT FROM campaign_key)
                THEN 1 ELSE 0 END AS starts_session
    FROM segments
), numbered AS (
    SELECT *, sum(starts_session) {by_time} ROWS UNBOUNDED PRECEDING) AS session_no
    FROM starts
), grouped AS (
    -- Every campaign-carrying view of a session has the same campaign (else it splits).
    SELECT person_key, max(anonymous_id) AS anonymous_id, max(user_id) AS user_id,
           min("timestamp") AS started_at, max("timestamp") AS ended_at,
           count(*) AS event_count, max(profile_id) AS profile_id,
           max(campaign_key) AS campaign_key,
           max(CASE WHEN starts_session = 1 THEN CAST(event_key AS TEXT) END) AS first_key,
           min(CASE WHEN has_channel THEN {earliest} END) AS attributed,
           min(CASE WHEN has_url THEN {earliest} END) AS landing
    FROM numbered
    GROUP BY person_key, session_no
)
SELECT md5(g.person_key || chr(31) || g.first_key) AS session_id,
       g.person_key, g.anonymous_id, g.user_id, g.started_at, g.ended_at,
       CAST(g.event_count AS INTEGER) AS event_count,
       f.channel,
       coalesce(a.traffic_channel, 'Direct') AS traffic_channel,
       nullif(split_part(g.campaign_key, chr(31), 1), '') AS utm_source,
       nullif(split_part(g.campaign_key, chr(31), 2), '') AS utm_medium,
       nullif(split_part(g.campaign_key, chr(31), 3), '') AS utm_campaign,
       CASE WHEN g.attributed IS NULL THEN f.referrer_host ELSE a.referrer_host END
           AS referrer_host,
       l.page_url AS landing_url,
       g.profile_id
FROM grouped g
JOIN events f ON f.event_key = CAST(g.first_key AS UUID)
LEFT JOIN events a ON a.event_key = CAST(substr(g.attributed, 13) AS UUID)
LEFT JOIN events l ON l.event_key = CAST(substr(g.landing, 13) AS UUID)
"""


_NEXT_TOUCH_SQL = """
WITH ordered AS (
    SELECT person_key, session_id, traffic_channel, started_at, ended_at, profile_id,
           row_number() OVER (PARTITION BY person_key ORDER BY started_at, session_id)
               AS from_first,
           row_number() OVER (PARTITION BY person_key
                              ORDER BY started_at DESC, session_id DESC) AS from_last
    FROM sessions
)
SELECT person_key,
       max(CASE WHEN from_first = 1 THEN session_id END) AS first_session_id,
       max(CASE WHEN from_first = 1 THEN traffic_channel END) AS first_channel,
       min(started_at) AS first_seen_at,
       max(CASE WHEN from_last = 1 THEN session_id END) AS last_session_id,
       max(CASE WHEN from_last = 1 THEN traffic_channel END) AS last_channel,
       max(ended_at) AS last_seen_at,
       CAST(count(*) AS INTEGER) AS sessions,
       max(profile_id) AS profile_id
FROM ordered
GROUP BY person_key
"""


def _replace_changed(tx: Transaction, table: str, key: str, columns: str, select: str) -> None:
    """Make ``table`` equal to ``select`` by deleting and inserting only changed rows.

    Why not delete everything and insert again: a rebuild mostly reproduces the
    rows it already has, and DuckDB's primary-key index makes deleting and
    re-inserting the same keys in one transaction very slow (about 10 s for
    200,000 sessions), while the anti-joins below take a fraction of a second.
    """
    staged = f"cxm_next_{table}"
    names = [c.strip() for c in columns.split(",")]
    unchanged = " AND ".join(f"n.{c} IS NOT DISTINCT FROM {table}.{c}" for c in names)
    tx.execute(f"DROP TABLE IF EXISTS {staged}")
    tx.execute(f"CREATE TEMPORARY TABLE {staged} AS {select}")
    tx.execute(
        f"DELETE FROM {table} WHERE NOT EXISTS "
        f"(SELECT 1 FROM {staged} n WHERE n.{key} = {table}.{key} AND {unchanged})"
    )
    tx.execute(
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staged} n "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{key} = n.{key})"
    )
    tx.execute(f"DROP TABLE {staged}")


def build_sessions(database: Database, timeout_minutes: int = 30) -> SessionStats:
    """Rebuild ``sessions`` and ``person_touch`` from ``events`` in one transaction."""
    if isinstance(timeout_minutes, bool) or not isinstance(timeout_minutes, int):
        raise ValueError("timeout_minutes: must be a whole number of minutes")
    if not 1 <= timeout_minutes <= 24 * 60:
        raise ValueError("timeout_minutes: must be between 1 and 1440 (one day)")
    started = time.perf_counter()
    with database.transaction() as tx:
        if database.dialect == "postgresql":
            # Two API workers rebuilding at once would insert the same new sessions.
            tx.execute("SELECT pg_advisory_xact_lock(?)", [_PG_SESSIONS_LOCK])
        _replace_changed(
            tx, "sessions", "session_id", _SESSION_COLUMNS, _next_sessions_sql(timeout_minutes)
        )
        _replace_changed(tx, "person_touch", "person_key", _TOUCH_COLUMNS, _NEXT_TOUCH_SQL)
        counts = tx.query(
            "SELECT coalesce(sum(event_count), 0), count(*), count(DISTINCT person_key) "
            "FROM sessions"
        )[0]
    return SessionStats(
        events=int(counts[0]),
        sessions=int(counts[1]),
        persons=int(counts[2]),
        seconds=time.perf_counter() - started,
    )
