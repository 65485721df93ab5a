"""Server-side sessionisation: rebuild ``sessions`` and ``person_touch`` from ``events``.

A person is ``coalesce(anonymous_id, user_id)``; only page, screen and track
events take part. A new session starts

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

_SESSION_COLUMNS = (
    "session_id, person_key, anonymous_id, user_id, started_at, ended_at, event_count, "
    "channel, traffic_channel, utm_source, utm_medium, utm_campaign, referrer_host, "
    "landing_url, profile_id"
)
# Ties on the timestamp are broken by the event's key so the result is deterministic.
_ORDER = 'ORDER BY "timestamp", source_id, message_id'
_VIEW = "type IN ('page', 'screen')"


@dataclass(frozen=True)
class SessionStats:
    """What one rebuild produced."""

    events: int
    sessions: int
    persons: int
    seconds: float


def _sessions_sql(timeout_minutes: int) -> str:
    gap = f"INTERVAL '{timeout_minutes} minutes'"
    person = "PARTITION BY person_key"
    segment = "PARTITION BY person_key, segment_no"
    session = "PARTITION BY person_key, session_no"
    return f"""
INSERT INTO sessions ({_SESSION_COLUMNS})
WITH base AS (
    SELECT coalesce(anonymous_id, user_id) AS person_key, anonymous_id, user_id,
           source_id, message_id, "timestamp", channel, traffic_channel, utm_source,
           utm_medium, utm_campaign, referrer_host, page_url, profile_id,
           CASE WHEN {_VIEW} THEN 1 ELSE 0 END AS is_view,
           CASE WHEN {_VIEW} AND (utm_source IS NOT NULL OR utm_medium IS NOT NULL
                                  OR utm_campaign IS NOT NULL)
                THEN coalesce(utm_source, '') || chr(31) || coalesce(utm_medium, '')
                     || chr(31) || coalesce(utm_campaign, '')
           END AS campaign_key
    FROM events
    WHERE type IN ('page', 'screen', 'track')
      AND coalesce(anonymous_id, user_id) IS NOT NULL
), gaps AS (
    SELECT *, CASE WHEN lag("timestamp") OVER ({person} {_ORDER}) IS NULL
                     OR "timestamp" - lag("timestamp") OVER ({person} {_ORDER}) > {gap}
                   THEN 1 ELSE 0 END AS after_gap
    FROM base
), segments AS (
    -- A segment is a run of events without an inactivity gap.
    SELECT *, sum(after_gap) OVER ({person} {_ORDER} ROWS UNBOUNDED PRECEDING) AS segment_no
    FROM gaps
), campaign_runs AS (
    -- campaign_no counts campaign-carrying views so far; each run shares one campaign.
    SELECT *,
           count(campaign_key) OVER ({segment} {_ORDER} ROWS UNBOUNDED PRECEDING)
               AS campaign_no,
           sum(is_view) OVER ({segment} {_ORDER} ROWS UNBOUNDED PRECEDING) - is_view
               AS views_before
    FROM segments
), carried AS (
    SELECT *, max(campaign_key) OVER (PARTITION BY person_key, segment_no, campaign_no)
               AS campaign_now
    FROM campaign_runs
), starts AS (
    SELECT *, CASE WHEN after_gap = 1 THEN 1
                   WHEN campaign_key IS NOT NULL AND views_before > 0
                        AND campaign_key IS DISTINCT FROM
                            lag(campaign_now) OVER ({segment} {_ORDER})
                   THEN 1 ELSE 0 END AS starts_session
    FROM carried
), numbered AS (
    SELECT *, sum(starts_session) OVER ({person} {_ORDER} ROWS UNBOUNDED PRECEDING)
               AS session_no
    FROM starts
), ranked AS (
    SELECT *,
           row_number() OVER ({session} {_ORDER}) AS position,
           row_number() OVER ({session} ORDER BY
               CASE WHEN traffic_channel IS NULL THEN 1 ELSE 0 END,
               "timestamp", source_id, message_id) AS attribution_rank,
           row_number() OVER ({session} ORDER BY
               CASE WHEN page_url IS NULL THEN 1 ELSE 0 END,
               "timestamp", source_id, message_id) AS landing_rank
    FROM numbered
)
SELECT md5(person_key || chr(31) || max(CASE WHEN position = 1 THEN source_id END)
           || chr(31) || max(CASE WHEN position = 1 THEN message_id END)),
       person_key, max(anonymous_id), max(user_id), min("timestamp"), max("timestamp"),
       count(*),
       max(CASE WHEN position = 1 THEN channel END),
       coalesce(max(CASE WHEN attribution_rank = 1 THEN traffic_channel END), 'Direct'),
       max(CASE WHEN campaign_key IS NOT NULL THEN utm_source END),
       max(CASE WHEN campaign_key IS NOT NULL THEN utm_medium END),
       max(CASE WHEN campaign_key IS NOT NULL THEN utm_campaign END),
       max(CASE WHEN attribution_rank = 1 THEN referrer_host END),
       max(CASE WHEN landing_rank = 1 THEN page_url END),
       max(profile_id)
FROM ranked
GROUP BY person_key, session_no
"""


_PERSON_TOUCH_SQL = """
INSERT INTO person_touch (person_key, first_session_id, first_channel, first_seen_at,
                          last_session_id, last_channel, last_seen_at, sessions, profile_id)
WITH ordered AS (
    SELECT person_key, session_id, traffic_channel, started_at, ended_at, profile_id,
           row_number() OVER (PARTITION BY person_key ORDER BY started_at, session_id)
               AS from_first,
           row_number() OVER (PARTITION BY person_key
                              ORDER BY started_at DESC, session_id DESC) AS from_last
    FROM sessions
)
SELECT person_key,
       max(CASE WHEN from_first = 1 THEN session_id END),
       max(CASE WHEN from_first = 1 THEN traffic_channel END),
       min(started_at),
       max(CASE WHEN from_last = 1 THEN session_id END),
       max(CASE WHEN from_last = 1 THEN traffic_channel END),
       max(ended_at),
       count(*),
       max(profile_id)
FROM ordered
GROUP BY person_key
"""


def build_sessions(database: Database, timeout_minutes: int = 30) -> SessionStats:
    """Rebuild ``sessions`` and ``person_touch`` from ``events`` in one transaction."""
    if isinstance(timeout_minutes, bool) or not isinstance(timeout_minutes, int):
        raise ValueError("timeout_minutes: must be a whole number of minutes")
    if not 1 <= timeout_minutes <= 24 * 60:
        raise ValueError("timeout_minutes: must be between 1 and 1440 (one day)")
    started = time.perf_counter()
    with database.transaction() as tx:
        tx.execute("DELETE FROM person_touch")
        tx.execute("DELETE FROM sessions")
        tx.execute(_sessions_sql(timeout_minutes))
        tx.execute(_PERSON_TOUCH_SQL)
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
