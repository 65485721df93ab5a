"""Value segments: RFM tiers, CLV deciles, and the prospect lead score.

RFM tiers: recency (days since last purchase, fewer is better), frequency (number
of purchase days) and monetary (total spend) are each scored 1–5 by quintile of
their rank among customers (ties share the average rank), then named:

==================  ==========================================
champions           R ≥ 4 and F ≥ 4
loyal               R ≥ 3 and F ≥ 3
new                 R ≥ 4 and a single purchase
promising           R ≥ 4 (other)
at risk             R ≤ 2 and F ≥ 3 (bought often, not lately)
hibernating         R ≤ 2 and F ≤ 2
needs attention     everything else
==================  ==========================================

Profiles without a purchase are ``prospect``.

Lead score (prospects only): a small gradient-boosted classifier learns, on
customers, which behaviour (interactions, e-mail engagement, channel mix, help
visits, systems that know them — no order features) goes with being a high-value
customer (top 20% CLV); a prospect's score is that probability for their behaviour
so far. It ranks look-alikes; it is not a calibrated conversion probability.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata
from sklearn.ensemble import HistGradientBoostingClassifier

from cxm.predict.features import FEATURE_NAMES

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

LEAD_FEATURES = (
    "events_last_30d",
    "events_prior_90d",
    "activity_trend",
    "days_since_last_activity",
    "tenure_days",
    "email_opens_90d",
    "email_clicks_90d",
    "help_views_90d",
    "share_web",
    "share_app",
    "share_store",
    "share_email",
    "share_messaging",
    "share_social",
    "channels_used",
    "sources",
)
HIGH_VALUE_SHARE = 0.2


def quintile(values: Floats, higher_is_better: bool = True) -> Ints:
    """Score 1–5 by rank quintile (5 = best)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    ranks = rankdata(values if higher_is_better else -values, method="average")
    return np.asarray(np.clip(np.ceil(ranks / len(values) * 5), 1, 5), dtype=np.int64)


def rfm_tiers(recency_days: Floats, purchases: Floats, spend: Floats) -> list[str]:
    r = quintile(recency_days, higher_is_better=False)
    f = quintile(purchases)
    _m = quintile(spend)  # kept for the tier table in docs; tiers use R and F
    out = []
    for ri, fi, count in zip(r, f, purchases, strict=True):
        if ri >= 4 and fi >= 4 and count > 1:
            out.append("champions")
        elif ri >= 3 and fi >= 3 and count > 1:
            out.append("loyal")
        elif ri >= 4 and count <= 1:
            out.append("new")
        elif ri >= 4:
            out.append("promising")
        elif ri <= 2 and fi >= 3 and count > 1:
            out.append("at risk")
        elif ri <= 2:
            out.append("hibernating")
        else:
            out.append("needs attention")
    return out


def deciles(values: Floats) -> Ints:
    """1–10 by rank (10 = highest value)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    ranks = rankdata(values, method="average")
    return np.asarray(np.clip(np.ceil(ranks / len(values) * 10), 1, 10), dtype=np.int64)


def lead_scores(matrix: Floats, is_customer: npt.NDArray[np.bool_], clv: Floats) -> Floats:
    """Look-alike score for non-customers (NaN for customers or when it cannot be fitted)."""
    out = np.full(len(matrix), np.nan)
    columns = [FEATURE_NAMES.index(n) for n in LEAD_FEATURES]
    x = matrix[:, columns]
    customers = np.flatnonzero(is_customer & np.isfinite(clv))
    prospects = np.flatnonzero(~is_customer)
    if len(customers) < 20 or len(prospects) == 0:
        return out
    threshold = np.quantile(clv[customers], 1 - HIGH_VALUE_SHARE)
    y = (clv[customers] >= threshold).astype(np.int64)
    if y.min() == y.max():
        return out
    train = x[customers].copy()
    train[:, np.isnan(train).all(axis=0)] = 0.0
    model = HistGradientBoostingClassifier(
        max_iter=60, learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=20, random_state=0
    ).fit(train, y)
    out[prospects] = model.predict_proba(x[prospects])[:, 1]
    return out
