"""The trained recommendation model: item-level arrays plus each person's small state.

Item-level parts (item index, ALS item factors, co-occurrence top-N, trending and
popularity scores, item names) hold no personal data and are stored as one blob;
each person's part (ALS user factors, items bought, last item) is a row keyed by
``profile_id`` so erase and merge find it (see ``cxm.recommend.storage``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float32]
WEIGHTINGS = ("bm25", "none")
Indices = npt.NDArray[np.int32]


@dataclass(frozen=True)
class TrainParams:
    """Training settings (defaults chosen on the demo data; see docs/recommend.md)."""

    factors: int = 4
    regularization: float = 0.5
    alpha: float = 1.0
    weighting: str = "bm25"  # or "none": the summed interaction weights as they are
    iterations: int = 15
    random_state: int = 42
    threads: int = 1
    half_life_days: float = 14.0
    related_top_n: int = 50

    def check(self) -> None:
        """Raise ValueError naming the first out-of-range setting."""
        for name, value, low in (
            ("factors", self.factors, 1),
            ("iterations", self.iterations, 1),
            ("threads", self.threads, 0),
            ("related_top_n", self.related_top_n, 1),
        ):
            if value < low:
                raise ValueError(f"{name}: must be at least {low}, got {value}")
        for fname, fvalue in (
            ("regularization", self.regularization),
            ("alpha", self.alpha),
            ("half_life_days", self.half_life_days),
        ):
            if not fvalue > 0:
                raise ValueError(f"{fname}: must be greater than 0, got {fvalue}")
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting: {self.weighting!r} is not one of {', '.join(WEIGHTINGS)}")


@dataclass(frozen=True)
class PersonState:
    """What serving needs about one person: taste vector, bought items, last item."""

    factors: Floats | None
    bought: frozenset[int]
    last_item: int | None
    interactions: int


@dataclass
class Model:
    version: str
    trained_at: datetime
    until: datetime | None
    params: TrainParams
    items: list[str]
    item_names: dict[str, str]
    item_factors: Floats  # (items, factors)
    related_index: Indices  # (items, top_n), -1 pads
    related_score: Floats  # (items, top_n)
    trending: Floats  # (items,) decayed interaction weight
    popularity: Floats  # (items,) distinct persons
    people: dict[str, PersonState] = field(default_factory=dict)
    _positions: dict[str, int] = field(default_factory=dict, repr=False)

    def position(self, item: str) -> int | None:
        """The index of an item id, or None when the model has never seen it."""
        if not self._positions:
            self._positions = {item_id: i for i, item_id in enumerate(self.items)}
        return self._positions.get(item)

    @property
    def size(self) -> int:
        return len(self.items)
