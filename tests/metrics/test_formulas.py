"""The committed formulas against hand-computed and published figures."""

from __future__ import annotations

import math

import pytest

from cxm.metrics.formulas import (
    ces,
    churn_rate,
    compare_nps,
    compare_rates,
    csat,
    kano,
    kano_category,
    kano_from_counts,
    nps,
    nps_from_counts,
    nps_group,
    rate,
    retention_rate,
    wilson_interval,
)


def test_nps_score_and_margin_by_hand() -> None:
    # 50 promoters, 30 passives, 20 detractors: NPS 30; p + d − (p − d)² = 0.7 − 0.09 = 0.61,
    # margin = 1.96·100·√(0.61/100) = 196 · 0.0781025 = 15.3081
    result = nps_from_counts(50, 30, 20)
    assert result.score == pytest.approx(30.0)
    assert result.n == 100
    assert result.margin_of_error == pytest.approx(196 * math.sqrt(0.0061))
    assert result.margin_of_error == pytest.approx(15.3081, abs=1e-4)
    assert (result.low, result.high) == pytest.approx((14.6919, 45.3081), abs=1e-4)


def test_nps_from_raw_answers_groups_by_the_standard_cut_points() -> None:
    result = nps([10, 9, 8, 7, 6, 0, 10])
    assert (result.promoters, result.passives, result.detractors) == (3, 2, 2)
    assert result.score == pytest.approx(100 * (3 - 2) / 7)
    assert [nps_group(s) for s in (0, 6, 7, 8, 9, 10)] == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
    ]
    with pytest.raises(ValueError, match="score"):
        nps_group(11)


def test_nps_of_nothing_is_zero_with_no_margin() -> None:
    assert nps([]).n == 0
    assert nps([]).margin_of_error == 0


def test_compare_nps_by_hand() -> None:
    # a: NPS 30, variance 0.61; b: 40/30/30 → NPS 10, variance 0.7 − 0.01 = 0.69.
    # se = 100·√(0.0061 + 0.0069) = 11.4018; z = 20/11.4018 = 1.7541; two-sided p = 0.0794.
    comparison = compare_nps(nps_from_counts(50, 30, 20), nps_from_counts(40, 30, 30))
    assert comparison.difference == pytest.approx(20.0)
    assert comparison.z == pytest.approx(1.7541, abs=1e-4)
    assert comparison.p_value == pytest.approx(0.0794, abs=1e-4)
    assert not comparison.significant()


def test_wilson_interval_matches_the_published_example() -> None:
    # 8 of 10: Wilson 95% interval (0.4902, 0.9433) (Newcombe 1998, table I style figures).
    assert wilson_interval(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert rate(0, 0).n == 0


def test_difference_of_proportions_matches_newcombe_1998() -> None:
    # Newcombe (1998), example (a): 56/70 − 48/80 = 0.2000, method 10 CI 0.0524 to 0.3339.
    comparison = compare_rates(56, 70, 48, 80)
    assert comparison.difference == pytest.approx(20.0)
    assert comparison.low == pytest.approx(5.24, abs=0.01)
    assert comparison.high == pytest.approx(33.39, abs=0.01)


def test_csat_is_the_top_two_box_share() -> None:
    result = csat([5, 4, 3, 2, 1, 5])
    assert result.percent == pytest.approx(50.0)
    assert (result.successes, result.n) == (3, 6)
    assert csat([7, 6, 5], scale=7).percent == pytest.approx(200 / 3)
    with pytest.raises(ValueError, match="score"):
        csat([6])


def test_ces_mean_and_share_agreeing() -> None:
    result = ces([7, 6, 5, 4, 3, 2, 1])
    assert result.mean == pytest.approx(4.0)
    assert result.agree.percent == pytest.approx(300 / 7)
    with pytest.raises(ValueError, match="score"):
        ces([0])


def test_kano_evaluation_table() -> None:
    assert kano_category("like", "dislike") == "O"
    assert kano_category("like", "neutral") == "A"
    assert kano_category("like", "live-with") == "A"
    assert kano_category("neutral", "dislike") == "M"
    assert kano_category("must-be", "dislike") == "M"
    assert kano_category("neutral", "neutral") == "I"
    assert kano_category("dislike", "like") == "R"
    assert kano_category("like", "like") == "Q"
    assert kano_category("dislike", "dislike") == "Q"
    with pytest.raises(ValueError, match="functional"):
        kano_category("love", "dislike")


def test_kano_better_worse_by_hand() -> None:
    result = kano_from_counts({"A": 3, "O": 2, "M": 4, "I": 1, "R": 1})
    assert result.category == "M"
    assert result.better == pytest.approx(0.5)  # (3 + 2) / 10
    assert result.worse == pytest.approx(-0.6)  # −(2 + 4) / 10
    assert result.n == 11


def test_kano_ties_go_to_must_be_then_one_dimensional() -> None:
    assert kano_from_counts({"A": 2, "M": 2}).category == "M"
    assert kano_from_counts({"A": 2, "O": 2}).category == "O"
    result = kano([("like", "dislike"), ("like", "neutral"), ("like", "neutral")])
    assert result.category == "A"
    assert result.category_name == "Attractive"


def test_retention_rate_uses_customers_at_start_as_denominator() -> None:
    # S = 200, E = 210, N = 30 → (210 − 30)/200 = 90% (the misprint, /N, would give 600%).
    assert retention_rate(200, 210, 30) == pytest.approx(90.0)
    with pytest.raises(ValueError, match="customers_at_start"):
        retention_rate(0, 10, 1)


def test_churn_rate() -> None:
    assert churn_rate(200, 30) == pytest.approx(15.0)
    with pytest.raises(ValueError, match="customers_lost"):
        churn_rate(10, 11)
