"""Recommendations for one person: what the API, pages, export and demo call.

``recommend(database, profile_id, kind, k)`` answers from the newest stored model,
held in memory by ``ModelCache`` (keyed by model version; the version and the number
of person rows are re-read at most once a second, so a new model or an erase is seen
within a second without retraining or restarting).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from cxm.errors import FieldError
from cxm.recommend import rank
from cxm.recommend.consent import CONSENT, ConsentCache
from cxm.recommend.interactions import load_interactions
from cxm.recommend.model import Model, PersonState, TrainParams
from cxm.recommend.storage import PEOPLE, latest_version, load_model, save_model, tables_exist
from cxm.recommend.train import train
from cxm.store import Database

MAX_K = 100


class RecommendError(FieldError):
    """Bad input or no model; ``field`` names what to fix."""


@dataclass(frozen=True)
class Item:
    rank: int
    item_id: str
    name: str | None
    score: float


@dataclass(frozen=True)
class Recommendation:
    profile_id: str
    kind: str
    k: int
    items: list[Item]
    served: list[str]  # the kinds that actually produced the list
    personalised_allowed: bool
    consent_reason: str
    model_version: str
    anchor_item: str | None = None  # the item a related list is about
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TrainSummary:
    version: str
    interactions: int
    people: int
    items: int
    seconds: float
    until: datetime | None


def check_kind(kind: str) -> str:
    if kind not in rank.KINDS:
        raise RecommendError("kind", f"{kind!r} is not one of {', '.join(rank.KINDS)}")
    return kind


def check_k(k: int) -> int:
    if not 1 <= k <= MAX_K:
        raise RecommendError("k", f"must be between 1 and {MAX_K}, got {k}")
    return k


def train_and_save(
    database: Database, until: datetime | None = None, params: TrainParams | None = None
) -> TrainSummary:
    """Read interactions before ``until``, fit every recommender, store the model."""
    if not tables_exist(database):
        raise RecommendError("database", "recommendation tables missing: run cxm migrate")
    started = time.perf_counter()
    interactions = load_interactions(database, until)
    try:
        model = train(interactions, params, until)
    except ValueError as error:
        field_name, _, reason = str(error).partition(": ")
        raise RecommendError(field_name, reason) from None
    save_model(database, model, len(interactions))
    MODELS.forget(database)
    return TrainSummary(
        model.version,
        len(interactions),
        len(model.people),
        model.size,
        time.perf_counter() - started,
        until,
    )


class ModelCache:
    """The newest model of each database, in memory; refreshed when it changes."""

    def __init__(self, check_every: float = 1.0) -> None:
        self.check_every = check_every
        self._lock = threading.Lock()
        self._models: dict[str, tuple[tuple[str | None, int], Model | None, float]] = {}

    def _stamp(self, database: Database) -> tuple[str | None, int]:
        version = latest_version(database)
        if version is None:
            return None, 0
        count = database.scalar(f"SELECT count(*) FROM {PEOPLE} WHERE model_version = ?", [version])
        return version, int(count or 0)

    def get(self, database: Database) -> Model | None:
        now = time.monotonic()
        with self._lock:
            cached = self._models.get(database.url)
            # "No model yet" is never trusted from the cache: a train may have just run.
            if cached is not None and cached[1] is not None and now - cached[2] < self.check_every:
                return cached[1]
            stamp = self._stamp(database)
            if cached is not None and cached[0] == stamp:
                self._models[database.url] = (stamp, cached[1], now)
                return cached[1]
            model = load_model(database, stamp[0]) if stamp[0] else None
            self._models[database.url] = (stamp, model, now)
            return model

    def forget(self, database: Database) -> None:
        with self._lock:
            self._models.pop(database.url, None)


MODELS = ModelCache()


def _items(model: Model, ranked: rank.Ranked) -> list[Item]:
    return [
        Item(
            position, model.items[index], model.item_names.get(model.items[index]), round(score, 6)
        )
        for position, (index, score) in enumerate(ranked, start=1)
    ]


def rank_for(
    model: Model,
    person: PersonState | None,
    kind: str,
    k: int,
    *,
    personal: bool,
    item: int | None = None,
) -> tuple[rank.Ranked, list[str], list[str]]:
    """(ranked items, kinds served, notes) for one person; the fallbacks live here."""
    exclude = person.bought if person is not None else frozenset()
    notes: list[str] = []
    if kind == "personalised":
        if not personal:
            notes.append("no consent for personalisation: trending instead")
        elif person is None or person.factors is None:
            notes.append("no history yet: trending instead")
        else:
            return rank.personalised(model, person, k, exclude), ["personalised"], notes
        return rank.trending(model, k, exclude), ["trending"], notes
    if kind == "related":
        anchor = item if item is not None else (person.last_item if person else None)
        if anchor is None:
            notes.append("no item given and no history: trending instead")
            return rank.trending(model, k, exclude), ["trending"], notes
        found = rank.related(model, anchor, k, exclude)
        if found:
            return found, ["related"], notes
        notes.append("nobody else touched this item: trending instead")
        return rank.trending(model, k, exclude), ["trending"], notes
    if kind == "trending":
        return rank.trending(model, k, exclude), ["trending"], notes
    ranked, used = rank.combined(model, person, k, exclude, personal=personal)
    if not personal:
        notes.append("no consent for personalisation: related and trending only")
    return ranked, used, notes


def recommend(
    database: Database,
    profile_id: str,
    kind: str,
    k: int = 10,
    *,
    item: str | None = None,
    cache: ModelCache = MODELS,
    consent: ConsentCache = CONSENT,
) -> Recommendation:
    """Recommendations for a known profile id (resolve identifiers first)."""
    check_kind(kind)
    check_k(k)
    model = cache.get(database)
    if model is None:
        raise RecommendError("model", "no recommendation model yet: run cxm recommend train")
    anchor: int | None = None
    if item is not None:
        anchor = model.position(item)
        if anchor is None:
            raise RecommendError("item", f"{item!r} is not an item the model knows")
    personal, reason = consent.decide(database, profile_id)
    person = model.people.get(profile_id)
    ranked, served, notes = rank_for(model, person, kind, k, personal=personal, item=anchor)
    if anchor is None and kind == "related" and "related" in served and person is not None:
        anchor = person.last_item
    return Recommendation(
        profile_id=profile_id,
        kind=kind,
        k=k,
        items=_items(model, ranked),
        served=served,
        personalised_allowed=personal,
        consent_reason=reason,
        model_version=model.version,
        anchor_item=model.items[anchor] if anchor is not None else None,
        notes=notes,
    )
