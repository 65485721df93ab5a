"""Value assessment (spend, RFM) and lifecycle stage of one person, from their orders.

RFM scoring uses fixed, declared thresholds rather than population quintiles, so a
profile is scored in one query, the score of one person does not move when others
buy, and the rules can be read here:

=====  ==========================  =====================  ================================
score  recency (days since last)   frequency (orders)     monetary (spend, main currency)
=====  ==========================  =====================  ================================
5      ≤ 30                        ≥ 10                   ≥ 1000
4      ≤ 90                        ≥ 6                    ≥ 500
3      ≤ 180                       ≥ 3                    ≥ 200
2      ≤ 365                       2                      ≥ 75
1      > 365                       1                      less
=====  ==========================  =====================  ================================

Monetary thresholds are in EUR/USD/GBP-sized units; currencies with a different
scale multiply them by ``CURRENCY_SCALE`` (a rough size factor, not an exchange
rate). Spend is reported per currency; the *main* currency is the one with most
orders, and totals/averages/M are in it.

The tier follows the widely used R×F grid: champions (R≥4, F≥4), loyal (R=3, F≥4),
potential loyalist (R≥4, F 2–3), new (R≥4, F=1), promising (R=3, F=1), needs attention
(R=3, F 2–3), can't lose them (R≤2, F=5), at risk (R≤2, F 3–4), hibernating (R=2,
F≤2), lost (R=1, F≤2); "no orders" without purchases.

Lifecycle stage (``LifecycleRules``): prospect (no order yet), new (first order
within 90 days), active (last order within 180 days), at risk (last order 181–365
days ago), lapsed (none for more than 365 days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cxm.profiles.model import Lifecycle, SpendByCurrency, ValueAssessment

RECENCY_DAYS = (30, 90, 180, 365)
FREQUENCY_ORDERS = (10, 6, 3, 2)
MONETARY_AMOUNTS = (1000.0, 500.0, 200.0, 75.0)
CURRENCY_SCALE = {"CNY": 7.5, "JPY": 150.0, "KRW": 1400.0, "INR": 90.0, "HKD": 8.0}


@dataclass(frozen=True)
class LifecycleRules:
    new_days: int = 90
    active_days: int = 180
    lapsed_days: int = 365


def recency_score(days: int) -> int:
    for score, limit in zip((5, 4, 3, 2), RECENCY_DAYS, strict=True):
        if days <= limit:
            return score
    return 1


def frequency_score(orders: int) -> int:
    for score, limit in zip((5, 4, 3, 2), FREQUENCY_ORDERS, strict=True):
        if orders >= limit:
            return score
    return 1


def monetary_score(amount: float, currency: str | None) -> int:
    scale = CURRENCY_SCALE.get((currency or "").upper(), 1.0)
    for score, limit in zip((5, 4, 3, 2), MONETARY_AMOUNTS, strict=True):
        if amount >= limit * scale:
            return score
    return 1


def rfm_tier(recency: int | None, frequency: int | None) -> str:
    if recency is None or frequency is None:
        return "no orders"
    if recency >= 4:
        return "champions" if frequency >= 4 else "potential loyalist" if frequency >= 2 else "new"
    if recency == 3:
        return "loyal" if frequency >= 4 else "needs attention" if frequency >= 2 else "promising"
    if frequency == 5:
        return "can't lose them"
    if frequency >= 3:
        return "at risk"
    return "hibernating" if recency == 2 else "lost"


def _days(later: datetime, earlier: datetime) -> int:
    return max(0, (later - earlier).days)


def assess_value(
    spend: list[SpendByCurrency],
    first_order_at: datetime | None,
    last_order_at: datetime | None,
    first_seen_at: datetime | None,
    now: datetime,
) -> ValueAssessment:
    order_count = sum(s.orders for s in spend)
    main = max(spend, key=lambda s: (s.orders, s.total)) if spend else None
    total = round(main.total, 2) if main else 0.0
    r = f = m = None
    if main is not None and last_order_at is not None:
        r = recency_score(_days(now, last_order_at))
        f = frequency_score(order_count)
        m = monetary_score(main.total, main.currency)
    return ValueAssessment(
        order_count=order_count,
        currency=main.currency if main else None,
        total_spend=total,
        average_spend=round(main.total / main.orders, 2) if main and main.orders else None,
        spend_by_currency=tuple(sorted(spend, key=lambda s: -s.orders)),
        first_order_at=first_order_at,
        last_order_at=last_order_at,
        first_seen_at=first_seen_at,
        tenure_days=_days(now, first_seen_at) if first_seen_at else None,
        recency_score=r,
        frequency_score=f,
        monetary_score=m,
        rfm_tier=rfm_tier(r, f),
    )


def lifecycle_stage(
    value: ValueAssessment, now: datetime, rules: LifecycleRules | None = None
) -> Lifecycle:
    rules = rules or LifecycleRules()
    if value.order_count == 0 or value.last_order_at is None or value.first_order_at is None:
        return Lifecycle("prospect", "no order yet")
    since_first = _days(now, value.first_order_at)
    since_last = _days(now, value.last_order_at)
    if since_first <= rules.new_days:
        return Lifecycle("new", f"first order {since_first} days ago")
    if since_last <= rules.active_days:
        return Lifecycle("active", f"last order {since_last} days ago")
    if since_last <= rules.lapsed_days:
        return Lifecycle("at risk", f"no order for {since_last} days")
    return Lifecycle("lapsed", f"no order for {since_last} days")
