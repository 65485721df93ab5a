"""Related, trending, ranking and ALS training on hand-made data (no storage)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cxm.recommend.interactions import Interactions
from cxm.recommend.model import TrainParams
from cxm.recommend.rank import blend, personalised, top_k
from cxm.recommend.train import MICROS_PER_DAY, related_items, train, trending_scores


def test_related_is_cosine_of_co_occurrence_over_persons() -> None:
    # p0: i0 i1 · p1: i0 i1 i2 · p2: i2. Each item has 2 persons.
    # cos(i0, i1) = 2 / sqrt(2 * 2) = 1.0; cos(i0, i2) = cos(i1, i2) = 1 / 2.
    binary = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 1], [0, 0, 1]], dtype=np.float32))
    index, score = related_items(binary, top_n=5)
    assert index[0].tolist() == [1, 2]
    assert score[0].tolist() == pytest.approx([1.0, 0.5])
    # A tie (i0 and i1 both 0.5 to i2) is broken by item index.
    assert index[2].tolist() == [0, 1]
    assert score[2].tolist() == pytest.approx([0.5, 0.5])


def test_trending_halves_an_interaction_per_half_life() -> None:
    day = MICROS_PER_DAY
    items = np.array([0, 0, 1])
    weights = np.array([1.0, 3.0, 5.0])
    at = np.array([0, 2 * day, 1 * day])  # the newest is the reference time
    # item 0: 1 * 2^-2 + 3 * 2^0 = 3.25; item 1: 5 * 2^-1 = 2.5.
    assert trending_scores(items, weights, at, 3, half_life_days=1.0).tolist() == pytest.approx(
        [3.25, 2.5, 0.0]
    )


def test_top_k_skips_excluded_items_and_breaks_ties_by_index() -> None:
    scores = np.array([0.5, 0.9, 0.5, np.nan, 0.1], dtype=np.float32)
    assert [i for i, _ in top_k(scores, 3)] == [1, 0, 2]
    assert [i for i, _ in top_k(scores, 3, exclude={1})] == [0, 2, 4]


def test_blend_is_weighted_reciprocal_rank_fusion() -> None:
    fused = blend({"personalised": [(7, 9.0), (3, 1.0)], "trending": [(3, 5.0)]}, 5)
    # item 3: 0.5/(60+2) + 0.4/(60+1) = 0.014622; item 7: 0.5/61 = 0.008197.
    assert [i for i, _ in fused] == [3, 7]
    assert fused[0][1] == pytest.approx(0.5 / 62 + 0.4 / 61)


def _two_tastes() -> Interactions:
    persons, items, kinds = [], [], []
    for group in ("a", "b"):
        for n in range(8):
            for item in range(4):
                if (item + n) % 4 == 3:
                    continue  # everyone misses one item of their taste
                persons.append(f"p-{group}{n}")
                items.append(f"{group.upper()}{item}")
                kinds.append(2 if item == n % 4 else 0)
    kind = np.array(kinds, dtype=np.int8)
    return Interactions(
        person=np.array(persons, dtype=object),
        item=np.array(items, dtype=object),
        kind=kind,
        weight=np.array([1.0, 3.0, 5.0])[kind],
        at=np.arange(len(persons), dtype=np.int64) * 1_000_000,
        item_names={"A0": "Linen Quilt"},
    )


def test_als_learns_each_taste_and_filters_what_was_bought() -> None:
    model = train(_two_tastes(), TrainParams(factors=4, iterations=20))
    for who, own in (("p-a1", "A"), ("p-b2", "B")):
        person = model.people[who]
        bought = {model.items[i] for i in person.bought}
        assert len(bought) == 1
        ranked = [model.items[i] for i, _ in personalised(model, person, 3, person.bought)]
        assert not bought & set(ranked)
        # An item of their own taste comes first.
        assert ranked[0].startswith(own), ranked
    assert model.item_names == {"A0": "Linen Quilt"}


def test_als_without_bm25_learns_the_tastes_too() -> None:
    model = train(_two_tastes(), TrainParams(factors=4, iterations=20, weighting="none"))
    person = model.people["p-b3"]
    ranked = [model.items[i] for i, _ in personalised(model, person, 2, person.bought)]
    assert all(item.startswith("B") for item in ranked), ranked


def test_training_is_reproducible() -> None:
    first = train(_two_tastes(), TrainParams(factors=4))
    second = train(_two_tastes(), TrainParams(factors=4))
    assert np.array_equal(first.item_factors, second.item_factors)


def test_training_refuses_bad_settings_and_empty_data() -> None:
    with pytest.raises(ValueError, match="factors"):
        train(_two_tastes(), TrainParams(factors=0))
    with pytest.raises(ValueError, match="weighting"):
        train(_two_tastes(), TrainParams(weighting="tf-idf"))
    empty = _two_tastes().select(np.zeros(len(_two_tastes()), dtype=bool))
    with pytest.raises(ValueError, match="interactions"):
        train(empty)
