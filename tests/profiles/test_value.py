from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cxm.profiles import SpendByCurrency
from cxm.profiles.value import (
    assess_value,
    frequency_score,
    lifecycle_stage,
    monetary_score,
    recency_score,
    rfm_tier,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_rfm_scores_follow_documented_thresholds() -> None:
    assert [recency_score(d) for d in (0, 30, 31, 90, 180, 365, 366)] == [5, 5, 4, 4, 3, 2, 1]
    assert [frequency_score(n) for n in (1, 2, 3, 6, 10, 50)] == [1, 2, 3, 4, 5, 5]
    assert [monetary_score(a, "EUR") for a in (10, 75, 200, 500, 1000)] == [1, 2, 3, 4, 5]


def test_monetary_score_scales_thresholds_by_currency_size() -> None:
    assert monetary_score(1000, "EUR") == 5
    assert monetary_score(1000, "CNY") == 2  # 1000 CNY is not a 1000 EUR customer
    assert monetary_score(7500, "CNY") == 5


def test_rfm_tier_grid() -> None:
    assert rfm_tier(5, 5) == "champions"
    assert rfm_tier(4, 1) == "new"
    assert rfm_tier(3, 4) == "loyal"
    assert rfm_tier(1, 5) == "can't lose them"
    assert rfm_tier(2, 3) == "at risk"
    assert rfm_tier(2, 1) == "hibernating"
    assert rfm_tier(1, 1) == "lost"
    assert rfm_tier(None, None) == "no orders"


def test_value_uses_main_currency_and_counts_all_orders() -> None:
    spend = [SpendByCurrency("EUR", 300.0, 3), SpendByCurrency("USD", 50.0, 1)]
    value = assess_value(
        spend, NOW - timedelta(days=200), NOW - timedelta(days=10), NOW - timedelta(days=500), NOW
    )
    assert value.order_count == 4
    assert value.currency == "EUR"
    assert value.total_spend == 300.0
    assert value.average_spend == 100.0
    assert value.tenure_days == 500
    assert (value.recency_score, value.frequency_score, value.monetary_score) == (5, 3, 3)
    assert value.rfm_tier == "potential loyalist"


def test_lifecycle_stages() -> None:
    def stage(first_days: int | None, last_days: int | None) -> str:
        if first_days is None or last_days is None:
            value = assess_value([], None, None, None, NOW)
        else:
            value = assess_value(
                [SpendByCurrency("EUR", 10.0, 2)],
                NOW - timedelta(days=first_days),
                NOW - timedelta(days=last_days),
                None,
                NOW,
            )
        return lifecycle_stage(value, NOW).stage

    assert stage(None, None) == "prospect"
    assert stage(20, 5) == "new"
    assert stage(400, 100) == "active"
    assert stage(400, 300) == "at risk"
    assert stage(900, 400) == "lapsed"
