"""Rank items for one person with a trained model (pure functions, no storage).

Every list leaves out ``exclude`` (the items the person already bought) and is
deterministic: ties are broken by item index.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from cxm.recommend.model import Floats, Model, PersonState

KINDS = ("personalised", "related", "trending", "combined")
# Weighted reciprocal-rank fusion (Cormack, Clarke & Büttcher 2009, k = 60).
RRF_K = 60.0
BLEND = {"personalised": 0.5, "related": 0.1, "trending": 0.4}

Ranked = list[tuple[int, float]]


def top_k(scores: Floats, k: int, exclude: Collection[int] = ()) -> Ranked:
    """The k best items by score (NaN and -inf never chosen), excluded items left out."""
    values = np.asarray(scores, dtype=np.float64).copy()
    if exclude:
        values[list(exclude)] = -np.inf
    values[np.isnan(values)] = -np.inf
    order = np.lexsort((np.arange(len(values)), -values))
    chosen = [int(i) for i in order[: k + len(exclude)] if np.isfinite(values[i])]
    return [(i, float(values[i])) for i in chosen[:k]]


def personalised(model: Model, person: PersonState, k: int, exclude: Collection[int]) -> Ranked:
    if person.factors is None:
        return []
    return top_k(model.item_factors @ person.factors, k, exclude)


def related(model: Model, item: int | None, k: int, exclude: Collection[int]) -> Ranked:
    if item is None or not 0 <= item < model.size:
        return []
    banned = set(exclude) | {item}
    found: Ranked = []
    for other, score in zip(model.related_index[item], model.related_score[item], strict=True):
        if other < 0:
            break
        if int(other) not in banned:
            found.append((int(other), float(score)))
            if len(found) == k:
                break
    return found


def trending(model: Model, k: int, exclude: Collection[int]) -> Ranked:
    return top_k(model.trending, k, exclude)


def popular(model: Model, k: int, exclude: Collection[int]) -> Ranked:
    """The evaluation baseline: most persons first, no decay, no personalisation."""
    return top_k(model.popularity, k, exclude)


def blend(lists: dict[str, Ranked], k: int) -> Ranked:
    """Weighted reciprocal-rank fusion of the given lists (weights in ``BLEND``)."""
    fused: dict[int, float] = {}
    for kind, ranked in lists.items():
        weight = BLEND[kind]
        for rank, (item, _) in enumerate(ranked, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (RRF_K + rank)
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))[:k]


def combined(
    model: Model, person: PersonState | None, k: int, exclude: Collection[int], *, personal: bool
) -> tuple[Ranked, list[str]]:
    """Blend personalised (when ``personal``), related to the last item, and trending.

    A new visitor (no state, no history) gets trending alone. Returns the list and
    the kinds that went into it.
    """
    if person is None:
        return trending(model, k, exclude), ["trending"]
    depth = max(k * 3, 30)
    lists: dict[str, Ranked] = {}
    if personal and person.factors is not None:
        lists["personalised"] = personalised(model, person, depth, exclude)
    if person.last_item is not None:
        lists["related"] = related(model, person.last_item, depth, exclude)
    lists["trending"] = trending(model, depth, exclude)
    used = [kind for kind, ranked in lists.items() if ranked]
    return blend(lists, k), used
