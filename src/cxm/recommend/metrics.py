"""Top-k ranking metrics with binary relevance (standard definitions).

- precision@k = |top-k ∩ relevant| / k (a list shorter than k still divides by k);
- recall@k = |top-k ∩ relevant| / |relevant|;
- NDCG@k = DCG@k / IDCG@k with DCG@k = Σ_{i=1..k} rel_i / log2(i + 1) and IDCG@k
  the DCG of a perfect list (min(k, |relevant|) hits on top) — Järvelin &
  Kekäläinen (2002), "Cumulated gain-based evaluation of IR techniques".
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence


def precision_at_k(recommended: Sequence[str], relevant: Collection[str], k: int) -> float:
    if k <= 0:
        raise ValueError("k: must be at least 1")
    return sum(1 for item in recommended[:k] if item in relevant) / k


def recall_at_k(recommended: Sequence[str], relevant: Collection[str], k: int) -> float:
    if not relevant:
        return 0.0
    return sum(1 for item in recommended[:k] if item in relevant) / len(relevant)


def dcg_at_k(recommended: Sequence[str], relevant: Collection[str], k: int) -> float:
    return sum(
        1.0 / math.log2(position + 1)
        for position, item in enumerate(recommended[:k], start=1)
        if item in relevant
    )


def ndcg_at_k(recommended: Sequence[str], relevant: Collection[str], k: int) -> float:
    ideal = sum(1.0 / math.log2(position + 1) for position in range(1, min(k, len(relevant)) + 1))
    return dcg_at_k(recommended, relevant, k) / ideal if ideal else 0.0
