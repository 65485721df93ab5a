"""Behavioural features per profile, built strictly AS OF a cutoff time.

Every query filters on ``< cutoff`` so a model trained with features at cutoff C and
labels from (C, C + H] never sees the future (``tests/predict/test_features.py``
appends rows after the cutoff and checks nothing changes). Sources: ``events``,
``orders``, ``tickets``, ``reviews``, ``customer_records``, and when those stages'
tables exist ``survey_answers`` (NPS, CES, sentiment) and ``review_analyses``
(sentiment). Missing values stay NaN: the gradient-boosted model handles them.

Each feature belongs to a *cause* (inactivity — including no longer opening
e-mails —, service problems, poor experience, price) or to "profile" (descriptive:
tenure, spend, systems): the per-customer reasons roll up into a churn cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc

from cxm.predict.currency import to_reporting
from cxm.store import Database

Floats = npt.NDArray[np.float64]

CHANNELS = ("web", "app", "store", "email", "messaging", "social")


@dataclass(frozen=True)
class Feature:
    name: str
    cause: str
    # How a reason reads: {value} is the customer's value; "higher"/"lower" than usual.
    text: str


FEATURES: tuple[Feature, ...] = (
    Feature("days_since_last_activity", "inactivity", "{value:.0f} days since last activity"),
    Feature("days_since_last_order", "inactivity", "{value:.0f} days since last order"),
    Feature("events_last_30d", "inactivity", "{value:.0f} interactions in the last 30 days"),
    Feature("events_prior_90d", "inactivity", "{value:.0f} interactions in the 90 days before"),
    Feature(
        "activity_trend", "inactivity", "activity trend {value:+.2f}/day (last 30 vs prior 90)"
    ),
    Feature("orders_total", "profile", "{value:.0f} orders in total"),
    Feature("orders_last_90d", "inactivity", "{value:.0f} orders in the last 90 days"),
    Feature("tenure_days", "profile", "customer for {value:.0f} days"),
    Feature("spend_total", "profile", "total spend {value:.0f}"),
    Feature("avg_order_value", "profile", "average order {value:.0f}"),
    Feature("aov_trend", "price", "last order {value:+.0%} vs their average"),
    Feature("checkouts_abandoned_90d", "price", "{value:.0f} checkouts abandoned in 90 days"),
    Feature("tickets_180d", "service problems", "{value:.0f} support tickets in 180 days"),
    Feature("tickets_reopened_180d", "service problems", "{value:.0f} reopened tickets"),
    Feature("ticket_contacts_avg", "service problems", "{value:.1f} contacts per ticket"),
    Feature("ticket_hours_to_resolve", "service problems", "{value:.0f} h to resolve a ticket"),
    Feature("ticket_low_csat_180d", "service problems", "{value:.0f} tickets rated CSAT ≤ 2"),
    Feature("help_views_90d", "service problems", "{value:.0f} help-centre visits in 90 days"),
    Feature("review_rating_avg", "poor experience", "average review rating {value:.1f}"),
    Feature("negative_reviews_180d", "poor experience", "{value:.0f} negative reviews"),
    Feature("nps_score", "poor experience", "last NPS answer {value:.0f}"),
    Feature("nps_detractor", "poor experience", "NPS detractor"),
    Feature("ces_avg", "poor experience", "customer effort {value:.1f}"),
    Feature("sentiment_avg", "poor experience", "sentiment of their words {value:+.2f}"),
    Feature("email_opens_90d", "inactivity", "{value:.0f} e-mails opened in 90 days"),
    Feature("email_clicks_90d", "inactivity", "{value:.0f} e-mail clicks in 90 days"),
    *(Feature(f"share_{c}", "profile", f"{{value:.0%}} of interactions via {c}") for c in CHANNELS),
    Feature("channels_used", "profile", "{value:.0f} channels used"),
    Feature("sources", "profile", "known in {value:.0f} customer systems"),
)
FEATURE_NAMES = tuple(f.name for f in FEATURES)
FEATURE_BY_NAME = {f.name: f for f in FEATURES}
# Causes a customer's risk is grouped into; "profile" features (tenure, spend, how
# many systems know them) explain risk but are not a cause anyone can act on.
CAUSES = ("inactivity", "service problems", "poor experience", "price")
ALL_GROUPS = (*CAUSES, "profile")


@dataclass(frozen=True)
class FeatureFrame:
    profiles: list[str]
    matrix: Floats  # len(profiles) × len(FEATURE_NAMES)
    cutoff: datetime

    def column(self, name: str) -> Floats:
        return self.matrix[:, FEATURE_NAMES.index(name)]


def profile_ids(database: Database) -> list[str]:
    rows = database.query(
        "SELECT profile_id FROM profiles WHERE merged_into IS NULL ORDER BY profile_id"
    )
    return [r[0] for r in rows]


class _Frame:
    """Fills a NaN matrix from per-profile query results."""

    def __init__(self, profiles: Sequence[str]) -> None:
        self.index = {p: i for i, p in enumerate(profiles)}
        self.matrix = np.full((len(profiles), len(FEATURE_NAMES)), np.nan)

    def fill(self, database: Database, sql: str, params: Sequence[object]) -> None:
        columns, rows = database.query_with_columns(sql, params)
        positions = [FEATURE_NAMES.index(c) if c in FEATURE_NAMES else -1 for c in columns]
        for row in rows:
            i = self.index.get(row[0])
            if i is None:
                continue
            for pos, value in zip(positions[1:], row[1:], strict=True):
                if pos >= 0 and value is not None:
                    self.matrix[i, pos] = float(value)

    def set(self, name: str, values: Floats) -> None:
        self.matrix[:, FEATURE_NAMES.index(name)] = values

    def get(self, name: str) -> Floats:
        return self.matrix[:, FEATURE_NAMES.index(name)]


def _days(cutoff: datetime, column: str) -> str:
    return (
        "(EXTRACT(EPOCH FROM CAST(? AS TIMESTAMPTZ)) - "
        f"EXTRACT(EPOCH FROM MAX({column}))) / 86400.0"
    )


def build_features(
    database: Database, cutoff: datetime, profiles: Sequence[str] | None = None
) -> FeatureFrame:
    """Features of every (or the given) profile from data strictly before ``cutoff``."""
    profiles = list(profiles) if profiles is not None else profile_ids(database)
    frame = _Frame(profiles)
    tables = set(database.table_names())
    c = cutoff
    d30, d90, d120, d180 = (c - timedelta(days=n) for n in (30, 90, 120, 180))
    frame.fill(
        database,
        "SELECT profile_id, "
        f"{_days(c, 'timestamp')} AS days_since_last_activity, "
        "SUM(CASE WHEN timestamp >= ? THEN 1 ELSE 0 END) AS events_last_30d, "
        "SUM(CASE WHEN timestamp >= ? AND timestamp < ? THEN 1 ELSE 0 END) AS events_prior_90d, "
        "(EXTRACT(EPOCH FROM CAST(? AS TIMESTAMPTZ)) - EXTRACT(EPOCH FROM MIN(timestamp))) "
        "/ 86400.0 AS tenure_days, "
        "SUM(CASE WHEN timestamp >= ? AND event = 'Help Center Viewed' THEN 1 ELSE 0 END) "
        "AS help_views_90d, "
        "SUM(CASE WHEN timestamp >= ? AND event = 'Email Opened' THEN 1 ELSE 0 END) "
        "AS email_opens_90d, "
        "SUM(CASE WHEN timestamp >= ? AND event = 'Email Clicked' THEN 1 ELSE 0 END) "
        "AS email_clicks_90d, "
        "SUM(CASE WHEN timestamp >= ? AND event = 'Checkout Started' THEN 1 ELSE 0 END) "
        "AS checkouts_abandoned_90d "
        "FROM events WHERE profile_id IS NOT NULL AND timestamp < ? GROUP BY profile_id",
        [c, d30, d120, d30, c, d90, d90, d90, d90, c],
    )
    # Channel mix over the last 180 days.
    shares = np.zeros((len(profiles), len(CHANNELS)))
    rows = database.query(
        "SELECT profile_id, channel, COUNT(*) FROM events WHERE profile_id IS NOT NULL "
        "AND timestamp < ? AND timestamp >= ? GROUP BY profile_id, channel",
        [c, d180],
    )
    for pid, channel, count in rows:
        i = frame.index.get(pid)
        if i is not None and channel in CHANNELS:
            shares[i, CHANNELS.index(channel)] = float(count)
    totals = shares.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mix = np.where(totals > 0, shares / np.maximum(totals, 1), np.nan)
    for j, channel in enumerate(CHANNELS):
        frame.set(f"share_{channel}", mix[:, j])
    frame.set("channels_used", (shares > 0).sum(axis=1).astype(np.float64))

    _order_features(database, frame, c, d90)
    frame.fill(
        database,
        "SELECT profile_id, "
        "SUM(CASE WHEN created_at >= ? THEN 1 ELSE 0 END) AS tickets_180d, "
        "SUM(CASE WHEN created_at >= ? AND reopened THEN 1 ELSE 0 END) AS tickets_reopened_180d, "
        "AVG(contacts_count) AS ticket_contacts_avg, "
        "AVG(CASE WHEN resolved_at < ? THEN (EXTRACT(EPOCH FROM resolved_at) "
        "- EXTRACT(EPOCH FROM created_at)) / 3600.0 END) AS ticket_hours_to_resolve, "
        "SUM(CASE WHEN created_at >= ? AND csat <= 2 THEN 1 ELSE 0 END) AS ticket_low_csat_180d "
        "FROM tickets WHERE profile_id IS NOT NULL AND created_at < ? GROUP BY profile_id",
        [d180, d180, c, d180, c],
    )
    if "reviews" in tables:
        frame.fill(
            database,
            "SELECT profile_id, AVG(rating) AS review_rating_avg, "
            "SUM(CASE WHEN posted_at >= ? AND rating <= 2 THEN 1 ELSE 0 END) "
            "AS negative_reviews_180d "
            "FROM reviews WHERE profile_id IS NOT NULL AND posted_at < ? GROUP BY profile_id",
            [d180, c],
        )
    _survey_features(database, frame, c, tables)
    # Records are a static trait (how many of the company's systems know the person):
    # their import time is when the file was loaded, not when the customer joined, so
    # they are not cut at the cutoff.
    frame.fill(
        database,
        "SELECT profile_id, COUNT(*) AS sources FROM customer_records "
        "WHERE profile_id IS NOT NULL GROUP BY profile_id",
        [],
    )
    # Counts are 0, not unknown, for someone with no rows of that kind.
    for name in (
        "events_last_30d",
        "events_prior_90d",
        "help_views_90d",
        "email_opens_90d",
        "email_clicks_90d",
        "orders_total",
        "orders_last_90d",
        "checkouts_abandoned_90d",
        "tickets_180d",
        "tickets_reopened_180d",
        "ticket_low_csat_180d",
        "negative_reviews_180d",
        "sources",
    ):
        values = frame.get(name)
        frame.set(name, np.where(np.isnan(values), 0.0, values))
    # Checkouts started (the events query) minus orders placed, in the last 90 days.
    abandoned = frame.get("checkouts_abandoned_90d") - frame.get("orders_last_90d")
    frame.set("checkouts_abandoned_90d", np.maximum(abandoned, 0.0))
    frame.set(
        "activity_trend",
        frame.get("events_last_30d") / 30.0 - frame.get("events_prior_90d") / 90.0,
    )
    return FeatureFrame(profiles, frame.matrix, cutoff)


def _order_features(database: Database, frame: _Frame, c: datetime, d90: datetime) -> None:
    table = database.query_arrow(
        "SELECT profile_id, EXTRACT(EPOCH FROM timestamp) AS epoch, amount, currency "
        "FROM orders WHERE profile_id IS NOT NULL AND timestamp < ?",
        [c],
    )
    if table.num_rows == 0:
        return
    epoch = np.asarray(table.column("epoch").to_numpy(zero_copy_only=False), dtype=np.float64)
    several = len(pc.unique(table.column("currency"))) > 1
    amount = to_reporting(
        np.asarray(table.column("amount").to_numpy(zero_copy_only=False), dtype=np.float64),
        table.column("currency").to_pylist() if several else [],
    )
    # Profile ids to row numbers once per distinct id (Arrow dictionary), not per order.
    encoded = table.column("profile_id").combine_chunks().dictionary_encode()
    lookup = np.array(
        [frame.index.get(p, -1) for p in encoded.dictionary.to_pylist()], dtype=np.int64
    )
    rows = lookup[np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)]
    keep = rows >= 0
    rows, epoch, amount = rows[keep], epoch[keep], amount[keep]
    n = len(frame.index)
    count = np.bincount(rows, minlength=n).astype(np.float64)
    spend = np.bincount(rows, weights=amount, minlength=n)
    last = np.full(n, -np.inf)
    np.maximum.at(last, rows, epoch)
    recent = np.bincount(rows[epoch >= d90.timestamp()], minlength=n).astype(np.float64)
    # Amount of the latest order per profile (ties: any of them).
    order = np.lexsort((epoch, rows))
    last_amount = np.full(n, np.nan)
    last_amount[rows[order]] = amount[order]
    with np.errstate(invalid="ignore", divide="ignore"):
        aov = np.where(count > 0, spend / np.maximum(count, 1), np.nan)
        frame.set(
            "days_since_last_order", np.where(count > 0, (c.timestamp() - last) / 86400, np.nan)
        )
        frame.set("aov_trend", np.where(count > 1, last_amount / aov - 1.0, np.nan))
    frame.set("orders_total", count)
    frame.set("orders_last_90d", recent)
    frame.set("spend_total", np.asarray(spend, dtype=np.float64))
    frame.set("avg_order_value", aov)


def _survey_features(database: Database, frame: _Frame, c: datetime, tables: set[str]) -> None:
    if "survey_answers" in tables:
        frame.fill(
            database,
            "SELECT profile_id, "
            "AVG(CASE WHEN question_type = 'ces' THEN score END) AS ces_avg, "
            "AVG(sentiment_score) AS sentiment_avg "
            "FROM survey_answers WHERE profile_id IS NOT NULL AND answered_at < ? "
            "GROUP BY profile_id",
            [c],
        )
        rows = database.query(
            "SELECT profile_id, score FROM ("
            "SELECT profile_id, score, ROW_NUMBER() OVER (PARTITION BY profile_id "
            "ORDER BY answered_at DESC) AS n FROM survey_answers "
            "WHERE profile_id IS NOT NULL AND question_type = 'nps' AND score IS NOT NULL "
            "AND answered_at < ?) latest WHERE n = 1",
            [c],
        )
        nps = np.full(len(frame.index), np.nan)
        for pid, score in rows:
            i = frame.index.get(pid)
            if i is not None:
                nps[i] = float(score)
        frame.set("nps_score", nps)
        frame.set("nps_detractor", np.where(np.isnan(nps), np.nan, (nps <= 6).astype(float)))
    if "review_analyses" in tables:
        # Review sentiment counts where surveys gave none.
        rows = database.query(
            "SELECT a.profile_id, AVG(a.score) FROM review_analyses a JOIN reviews r "
            "ON r.source = a.source AND r.review_id = a.review_id "
            "WHERE a.profile_id IS NOT NULL AND r.posted_at < ? GROUP BY a.profile_id",
            [c],
        )
        current = frame.get("sentiment_avg")
        for pid, score in rows:
            i = frame.index.get(pid)
            if i is not None and np.isnan(current[i]) and score is not None:
                current[i] = float(score)
        frame.set("sentiment_avg", current)
