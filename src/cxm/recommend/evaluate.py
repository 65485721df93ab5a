"""Offline evaluation with a time split.

Train on interactions before the split date; for each person the model knows who
interacted after it, the relevant set is the items they touched after the split
(``relevant="any"``: viewed, added or bought; ``"purchase"``: bought) minus the
items they had already bought before it (every list filters those out, so they
could never be hits). Each kind's top-k list is scored with precision@k, recall@k
and NDCG@k (``cxm.recommend.metrics``), averaged over those persons, next to the
popularity baseline (most persons first, bought items filtered the same way).

The model is judged as a model: consent is not applied here (it changes what a
person is shown, not how good the ranking is), and no list is written anywhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from cxm.recommend import rank
from cxm.recommend.interactions import KIND_CODE, PURCHASE, load_interactions
from cxm.recommend.metrics import ndcg_at_k, precision_at_k, recall_at_k
from cxm.recommend.model import TrainParams
from cxm.recommend.service import RecommendError, check_k, rank_for
from cxm.recommend.train import train
from cxm.store import Database

BASELINE = "popularity"
RELEVANCE = ("any", "purchase")


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    ndcg: float


@dataclass(frozen=True)
class Evaluation:
    split_date: datetime
    k: int
    relevant: str
    train_interactions: int
    test_interactions: int
    persons: int
    train_seconds: float
    kinds: dict[str, Scores] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "split_date": self.split_date.isoformat(),
            "k": self.k,
            "relevant": self.relevant,
            "train_interactions": self.train_interactions,
            "test_interactions": self.test_interactions,
            "persons_evaluated": self.persons,
            "train_seconds": round(self.train_seconds, 3),
            "kinds": {
                kind: {
                    f"precision@{self.k}": round(s.precision, 5),
                    f"recall@{self.k}": round(s.recall, 5),
                    f"ndcg@{self.k}": round(s.ndcg, 5),
                }
                for kind, s in self.kinds.items()
            },
        }


def evaluate(
    database: Database,
    split_date: datetime,
    k: int = 10,
    *,
    relevant: str = "any",
    params: TrainParams | None = None,
) -> Evaluation:
    check_k(k)
    if relevant not in RELEVANCE:
        raise RecommendError("relevant", f"{relevant!r} is not one of {', '.join(RELEVANCE)}")
    everything = load_interactions(database)
    cutoff = int(split_date.timestamp() * 1_000_000)
    before = everything.at < cutoff
    training, test = everything.select(before), everything.select(~before)
    if len(training) == 0:
        raise RecommendError("split_date", "no interactions before the split date to train on")
    if len(test) == 0:
        raise RecommendError("split_date", "no interactions on or after the split date to test")
    started = time.perf_counter()
    model = train(training, params, split_date)
    seconds = time.perf_counter() - started

    wanted = np.ones(len(test), dtype=bool)
    if relevant == "purchase":
        wanted = test.kind == KIND_CODE[PURCHASE]
    truth: dict[str, set[str]] = {}
    for person, item in zip(test.person[wanted].tolist(), test.item[wanted].tolist(), strict=True):
        if person in model.people:
            truth.setdefault(person, set()).add(item)

    totals = {kind: np.zeros(3) for kind in (*rank.KINDS, BASELINE)}
    persons = 0
    for person_id, items in sorted(truth.items()):
        state = model.people[person_id]
        items -= {model.items[i] for i in state.bought}
        if not items:
            continue
        persons += 1
        lists = {kind: rank_for(model, state, kind, k, personal=True)[0] for kind in rank.KINDS}
        lists[BASELINE] = rank.popular(model, k, state.bought)
        for kind, ranked in lists.items():
            ids = [model.items[i] for i, _ in ranked]
            totals[kind] += (
                precision_at_k(ids, items, k),
                recall_at_k(ids, items, k),
                ndcg_at_k(ids, items, k),
            )
    kinds = {
        kind: Scores(*(float(v) for v in (total / persons if persons else total)))
        for kind, total in totals.items()
    }
    return Evaluation(split_date, k, relevant, len(training), len(test), persons, seconds, kinds)
