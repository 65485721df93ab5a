"""Cross-channel continuity: channel switching, repeat contacts, channels before churn.

- **Journeys** are a person's (``profile_id``) active days, split where more than
  ``journey_gap_days`` (default 7) pass without any event. A journey **switches
  channel** when it touches two or more touchpoint channels (web, app, store,
  email, contact centre…). **Hand-offs** are consecutive channel changes inside a
  journey (at day resolution: a person's channels of one day are ordered by their
  first event that day).
- **Repeat contacts**: help-desk tickets opened by the same person within
  ``repeat_days`` (default 7) of their previous ticket; "same need" also requires
  the same ticket topic (``raw.topic`` as imported; without topics, the same subject).
- **Channel sequences before churn**: for each customer (≥ 1 ``Order Completed``)
  whose first order is older than ``churn_days`` (default 90) before the last event
  in the data, the last three distinct channels they used (consecutive repeats
  collapsed) up to their last activity; a customer has **churned** when their last
  order is more than ``churn_days`` before the end of the data. Sequences are ranked
  by churned customers and shown with their churn rate against the overall rate.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from cxm.journeys.read_model import (
    CHANNEL_DAYS,
    JOURNEY_GAP_DAYS,
    TABLE,
    channel_days_sql,
    ensure_fresh,
    name_codes,
)
from cxm.journeys.sql import interval
from cxm.store import Database, Transaction

ORDER_EVENT = "Order Completed"


@dataclass(frozen=True)
class Handoff:
    from_channel: str
    to_channel: str
    count: int


@dataclass(frozen=True)
class RepeatContacts:
    tickets: int
    repeat_within_days: int
    repeats: int
    same_need_repeats: int
    by_channel: tuple[tuple[str, int, int], ...]  # channel, tickets, repeats

    @property
    def repeat_rate(self) -> float | None:
        return self.repeats / self.tickets if self.tickets else None

    @property
    def same_need_rate(self) -> float | None:
        return self.same_need_repeats / self.tickets if self.tickets else None


@dataclass(frozen=True)
class ChurnSequence:
    sequence: tuple[str, ...]
    customers: int
    churned: int

    @property
    def churn_rate(self) -> float | None:
        return self.churned / self.customers if self.customers else None


@dataclass(frozen=True)
class Continuity:
    journeys: int
    switching_journeys: int
    handoffs: tuple[Handoff, ...]
    repeat_contacts: RepeatContacts | None
    customers: int
    churned: int
    churn_days: int
    churn_sequences: tuple[ChurnSequence, ...]

    @property
    def switch_share(self) -> float | None:
        return self.switching_journeys / self.journeys if self.journeys else None

    @property
    def churn_rate(self) -> float | None:
        return self.churned / self.customers if self.customers else None


def compute_continuity(
    database: Database,
    *,
    journey_gap_days: int = 7,
    repeat_days: int = 7,
    churn_days: int = 90,
    max_handoffs: int = 12,
    max_sequences: int = 10,
    min_customers: int = 5,
) -> Continuity:
    """All three continuity views in one call (see the module docstring).

    The per-person channel days (a grouped scan of every event plus two window
    passes) are the read model's ``journey_channel_days``, kept up to date with the
    events, for the default 7-day journey gap; another gap computes them once into a
    temporary table. The three views only aggregate them.
    """
    ensure_fresh(database)
    order_code = name_codes(database, [ORDER_EVENT])[ORDER_EVENT]
    kept = journey_gap_days == JOURNEY_GAP_DAYS
    table = CHANNEL_DAYS if kept else f"journey_channel_days_{uuid.uuid4().hex[:12]}"
    with database.transaction() as tx:
        if not kept:
            tx.execute(
                f"CREATE TEMPORARY TABLE {table} AS WITH {channel_days_sql(journey_gap_days)} "
                "SELECT * FROM marked"
            )
        try:
            # A journey starts at a row with no previous day or a gap; it switches
            # channel when one of its later rows changed channel from the row before.
            # Counting those rows (and grouping only the changes) is the same as
            # count(DISTINCT channel) per journey, without grouping 1.6M rows.
            gap = int(journey_gap_days)
            journeys = tx.query(
                f"SELECT (SELECT count(*) FROM {table} "
                f"WHERE prev_d IS NULL OR d - prev_d > {gap}), "
                f"(SELECT count(*) FROM (SELECT person, journey FROM {table} "
                f"WHERE prev_channel <> channel AND d - prev_d <= {gap} "
                "GROUP BY person, journey) c)"
            )[0]
            handoffs = tx.query(
                f"SELECT prev_channel, channel, count(*) AS n FROM {table} "
                f"WHERE prev_channel IS NOT NULL AND prev_channel <> channel "
                f"AND d - prev_d <= {int(journey_gap_days)} "
                "GROUP BY prev_channel, channel ORDER BY n DESC, prev_channel, channel "
                f"LIMIT {int(max_handoffs)}"
            )
            customers, churned, sequences = _churn_sequences(
                tx,
                f"marked AS (SELECT * FROM {table})",
                order_code,
                churn_days,
                max_sequences,
                min_customers,
            )
        finally:
            if not kept:
                tx.execute(f"DROP TABLE {table}")
    return Continuity(
        journeys=int(journeys[0]),
        switching_journeys=int(journeys[1]),
        handoffs=tuple(Handoff(str(a), str(b), int(n)) for a, b, n in handoffs),
        repeat_contacts=repeat_contacts(database, repeat_days),
        customers=customers,
        churned=churned,
        churn_days=churn_days,
        churn_sequences=sequences,
    )


def _churn_sequences(
    database: Transaction,
    channel_days: str,
    order_code: int,
    churn_days: int,
    limit: int,
    min_customers: int,
) -> tuple[int, int, tuple[ChurnSequence, ...]]:
    gap = interval(churn_days * 86400)
    sql = f"""
WITH {channel_days},
data_end AS (SELECT max(ts) AS t FROM {TABLE}),
buyers AS (
    SELECT person, min(ts) AS first_order, max(ts) AS last_order
    FROM {TABLE} WHERE name = {int(order_code)} AND profiled GROUP BY person
),
customers AS (
    SELECT b.person, CASE WHEN b.last_order < e.t - {gap} THEN 1 ELSE 0 END AS churned
    FROM buyers b CROSS JOIN data_end e WHERE b.first_order < e.t - {gap}
),
changes AS (
    SELECT m.person, m.channel, m.first_ts FROM marked m JOIN customers c ON c.person = m.person
    WHERE m.prev_channel IS NULL OR m.prev_channel <> m.channel
),
last3 AS (
    SELECT person, channel, row_number() OVER (PARTITION BY person ORDER BY first_ts DESC) AS r
    FROM changes
),
seqs AS (
    SELECT person, string_agg(channel, ' > ' ORDER BY r DESC) AS seq FROM last3
    WHERE r <= 3 GROUP BY person
)
SELECT s.seq, count(*) AS customers, sum(c.churned) AS churned
FROM seqs s JOIN customers c ON c.person = s.person GROUP BY s.seq
"""
    rows = database.query(sql)
    customers = sum(int(r[1]) for r in rows)
    churned = sum(int(r[2]) for r in rows)
    ranked = sorted(
        (
            ChurnSequence(tuple(str(seq).split(" > ")), int(n), int(c))
            for seq, n, c in rows
            if int(n) >= min_customers
        ),
        key=lambda s: (-s.churned, -(s.churn_rate or 0), s.sequence),
    )
    return customers, churned, tuple(ranked[:limit])


def repeat_contacts(database: Database, repeat_days: int = 7) -> RepeatContacts | None:
    """Tickets opened within ``repeat_days`` of the same person's previous ticket."""
    if "tickets" not in database.table_names():
        return None
    window = interval(repeat_days * 86400)
    rows: list[Any] = database.query(
        f"""
WITH t AS (
    SELECT profile_id, created_at, coalesce(channel, 'other') AS channel,
           coalesce(raw ->> 'topic', subject) AS need,
           lag(created_at) OVER (PARTITION BY profile_id ORDER BY created_at) AS prev_at,
           lag(created_at) OVER (PARTITION BY profile_id, coalesce(raw ->> 'topic', subject)
                                 ORDER BY created_at) AS prev_same_at
    FROM tickets WHERE profile_id IS NOT NULL
)
SELECT channel, count(*),
       sum(CASE WHEN prev_at IS NOT NULL AND created_at <= prev_at + {window} THEN 1 ELSE 0 END),
       sum(CASE WHEN prev_same_at IS NOT NULL AND created_at <= prev_same_at + {window}
                THEN 1 ELSE 0 END)
FROM t GROUP BY channel ORDER BY 2 DESC, channel
"""
    )
    return RepeatContacts(
        tickets=sum(int(r[1]) for r in rows),
        repeat_within_days=repeat_days,
        repeats=sum(int(r[2] or 0) for r in rows),
        same_need_repeats=sum(int(r[3] or 0) for r in rows),
        by_channel=tuple((str(r[0]), int(r[1]), int(r[2] or 0)) for r in rows),
    )
