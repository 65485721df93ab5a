"""Fit the four recommenders from interactions.

- Personalised: implicit-feedback matrix factorisation (Hu, Koren & Volinsky 2008,
  "Collaborative Filtering for Implicit Feedback Datasets") with the ``implicit``
  library's CPU ALS; the person × item matrix holds the summed interaction weights,
  BM25-weighted (Robertson's Okapi BM25 over persons as documents, ``implicit``'s
  ``bm25_weight``, K1 = 100, B = 0.8: damps very active persons and very popular
  items), which ``alpha`` turns into confidence.
- Related: item-to-item cosine similarity of co-occurrence over persons,
  ``sim(i, j) = |P_i ∩ P_j| / sqrt(|P_i| · |P_j|)`` (Linden, Smith & York 2003,
  Amazon item-to-item), top N per item.
- Trending: popularity with exponential time decay,
  ``score_i = Σ_e w_e · 2^(−(t_ref − t_e) / half_life)`` with ``t_ref`` the end of the
  training data.
- Popularity (the evaluation baseline): distinct persons per item, no decay.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from cxm.recommend.interactions import ANONYMOUS_PREFIX, KIND_CODE, PURCHASE, Interactions
from cxm.recommend.model import Floats, Indices, Model, PersonState, TrainParams

MICROS_PER_DAY = 86_400_000_000


def _codes(values: np.ndarray) -> tuple[list[str], np.ndarray]:
    labels, codes = np.unique(values.astype(str), return_inverse=True)
    return [str(v) for v in labels], codes.astype(np.int32)


BM25_K1, BM25_B = 100.0, 0.8


def _als(matrix: sp.csr_matrix, params: TrainParams) -> tuple[Floats, Floats]:
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import bm25_weight

    if params.weighting == "bm25":
        matrix = bm25_weight(matrix, K1=BM25_K1, B=BM25_B).tocsr().astype(np.float32)

    # implicit runs its own threads; a multi-threaded BLAS underneath only contends.
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=params.iterations,
            random_state=params.random_state,
            num_threads=params.threads,
        )
        model.fit(matrix, show_progress=False)
    return (
        np.asarray(model.user_factors, dtype=np.float32),
        np.asarray(model.item_factors, dtype=np.float32),
    )


def related_items(binary: sp.csr_matrix, top_n: int) -> tuple[Indices, Floats]:
    """Cosine co-occurrence top-N per item from a person × item 0/1 matrix."""
    items = binary.shape[1]
    counts = np.asarray(binary.sum(axis=0)).ravel().astype(np.float64)
    co = (binary.T @ binary).tocsr().astype(np.float64)
    co.setdiag(0)
    co.eliminate_zeros()
    norm = np.sqrt(np.maximum(counts, 1.0))
    co = sp.diags(1.0 / norm) @ co @ sp.diags(1.0 / norm)
    co = co.tocsr()
    width = min(top_n, max(items - 1, 1))
    index = np.full((items, width), -1, dtype=np.int32)
    score = np.zeros((items, width), dtype=np.float32)
    for row in range(items):
        start, end = co.indptr[row], co.indptr[row + 1]
        cols, vals = co.indices[start:end], co.data[start:end]
        if len(cols) == 0:
            continue
        # Ties broken by item index so the order is reproducible.
        order = np.lexsort((cols, -vals))[:width]
        index[row, : len(order)] = cols[order]
        score[row, : len(order)] = vals[order]
    return index, score


def trending_scores(
    item_codes: np.ndarray, weight: np.ndarray, at: np.ndarray, items: int, half_life_days: float
) -> Floats:
    """Σ weight · 2^(−age / half-life), age measured back from the newest interaction."""
    if len(at) == 0:
        return np.zeros(items, dtype=np.float32)
    age_days = (int(at.max()) - at).astype(np.float64) / MICROS_PER_DAY
    decayed = weight * np.power(0.5, age_days / half_life_days)
    return np.bincount(item_codes, weights=decayed, minlength=items).astype(np.float32)


def train(
    interactions: Interactions, params: TrainParams | None = None, until: datetime | None = None
) -> Model:
    """A model from interactions (time-sorted); raises ValueError when there are none."""
    params = params or TrainParams()
    params.check()
    if len(interactions) == 0:
        raise ValueError("interactions: no Product Viewed/Added or Order Completed events to learn")
    persons, person_codes = _codes(interactions.person)
    items, item_codes = _codes(interactions.item)
    shape = (len(persons), len(items))
    weights = sp.csr_matrix(
        (interactions.weight.astype(np.float32), (person_codes, item_codes)), shape=shape
    )
    weights.sum_duplicates()
    user_factors, item_factors = _als(weights, params)
    binary = weights.copy()
    binary.data[:] = 1.0
    related_index, related_score = related_items(binary, params.related_top_n)
    trending = trending_scores(
        item_codes, interactions.weight, interactions.at, len(items), params.half_life_days
    )
    popularity = np.asarray(binary.sum(axis=0)).ravel().astype(np.float32)

    bought: dict[int, set[int]] = {}
    purchase = interactions.kind == KIND_CODE[PURCHASE]
    for p, i in zip(person_codes[purchase].tolist(), item_codes[purchase].tolist(), strict=True):
        bought.setdefault(p, set()).add(i)
    last_item: dict[int, int] = {}
    for p, i in zip(person_codes.tolist(), item_codes.tolist(), strict=True):
        last_item[p] = i  # time-sorted: the last write is the latest interaction
    per_person = np.bincount(person_codes, minlength=len(persons))
    people = {
        person: PersonState(
            factors=user_factors[code],
            bought=frozenset(bought.get(code, ())),
            last_item=last_item.get(code),
            interactions=int(per_person[code]),
        )
        for code, person in enumerate(persons)
        if not person.startswith(ANONYMOUS_PREFIX)
    }
    names = {
        item: interactions.item_names[item] for item in items if item in interactions.item_names
    }
    return Model(
        version=uuid.uuid4().hex[:12],
        trained_at=datetime.now(UTC),
        until=until,
        params=params,
        items=items,
        item_names=names,
        item_factors=item_factors,
        related_index=related_index,
        related_score=related_score,
        trending=trending,
        popularity=popularity,
        people=people,
    )
