"""Ranking metrics against hand-computed examples."""

from __future__ import annotations

import math

import pytest

from cxm.recommend.metrics import dcg_at_k, ndcg_at_k, precision_at_k, recall_at_k

RECOMMENDED = ["a", "b", "c", "d", "e"]
RELEVANT = {"b", "d", "x"}


def test_precision_counts_hits_in_the_top_k_over_k() -> None:
    assert precision_at_k(RECOMMENDED, RELEVANT, 5) == pytest.approx(2 / 5)
    assert precision_at_k(RECOMMENDED, RELEVANT, 2) == pytest.approx(1 / 2)
    # A list shorter than k still divides by k.
    assert precision_at_k(["b"], RELEVANT, 10) == pytest.approx(0.1)


def test_recall_divides_by_the_number_of_relevant_items() -> None:
    assert recall_at_k(RECOMMENDED, RELEVANT, 5) == pytest.approx(2 / 3)
    assert recall_at_k(RECOMMENDED, RELEVANT, 3) == pytest.approx(1 / 3)
    assert recall_at_k(RECOMMENDED, set(), 3) == 0.0


def test_ndcg_hand_computed() -> None:
    # Hits at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068 = 1.06161.
    # Ideal with 3 relevant items: 1 + 1/log2(3) + 1/2 = 2.13093.
    assert dcg_at_k(RECOMMENDED, RELEVANT, 5) == pytest.approx(1.061606, abs=1e-6)
    assert ndcg_at_k(RECOMMENDED, RELEVANT, 5) == pytest.approx(1.061606 / 2.130930, abs=1e-6)
    # k = 2: one hit at rank 2 (0.63093) over the ideal 1 + 0.63093.
    assert ndcg_at_k(RECOMMENDED, RELEVANT, 2) == pytest.approx(
        (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    )
    assert ndcg_at_k(["b", "d", "x"], RELEVANT, 3) == pytest.approx(1.0)
    assert ndcg_at_k(RECOMMENDED, set(), 5) == 0.0


def test_precision_refuses_k_below_one() -> None:
    with pytest.raises(ValueError, match="k"):
        precision_at_k(RECOMMENDED, RELEVANT, 0)
