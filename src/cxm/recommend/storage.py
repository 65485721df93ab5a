"""Save a trained model in the database and load the newest one (migration 0011).

``recommend_models.arrays`` is an ``.npz`` (numpy's own archive; no pickle) of the
item-level arrays; ``recommend_people`` has one row per person. Saving a model
deletes the person rows of older models (their taste vectors are personal data
nobody serves any more); the older model rows stay as a training history.
"""

from __future__ import annotations

import base64
import io
from dataclasses import asdict

import numpy as np
import orjson
import pyarrow as pa

from cxm.recommend.model import Model, PersonState, TrainParams
from cxm.store import Database

MODELS, PEOPLE = "recommend_models", "recommend_people"


def tables_exist(database: Database) -> bool:
    names = set(database.table_names())
    return MODELS in names and PEOPLE in names


def _arrays(model: Model) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        items=np.array(model.items, dtype=str),
        item_factors=model.item_factors,
        related_index=model.related_index,
        related_score=model.related_score,
        trending=model.trending,
        popularity=model.popularity,
        item_names=np.frombuffer(orjson.dumps(model.item_names), dtype=np.uint8),
    )
    return buffer.getvalue()


def _factors_text(factors: np.ndarray | None) -> str | None:
    if factors is None:
        return None
    return base64.b64encode(np.asarray(factors, dtype="<f4").tobytes()).decode("ascii")


def _people_table(model: Model) -> pa.Table:
    rows = sorted(model.people.items())
    return pa.table(
        {
            "model_version": pa.array([model.version] * len(rows), pa.string()),
            "profile_id": pa.array([p for p, _ in rows], pa.string()),
            "factors": pa.array([_factors_text(s.factors) for _, s in rows], pa.string()),
            "bought": pa.array(
                [orjson.dumps(sorted(model.items[i] for i in s.bought)).decode() for _, s in rows],
                pa.string(),
            ),
            "last_item": pa.array(
                [model.items[s.last_item] if s.last_item is not None else None for _, s in rows],
                pa.string(),
            ),
            "interactions": pa.array([s.interactions for _, s in rows], pa.int32()),
        }
    )


def save_model(database: Database, model: Model, interactions: int) -> None:
    """Store ``model`` as the newest one, in one transaction."""
    with database.transaction() as tx:
        tx.execute(
            f"INSERT INTO {MODELS} (model_version, trained_at, data_until, params, items, "
            "people, interactions, arrays) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                model.version,
                model.trained_at,
                model.until,
                orjson.dumps(asdict(model.params)).decode(),
                model.size,
                len(model.people),
                interactions,
                _arrays(model),
            ],
        )
        tx.execute(f"DELETE FROM {PEOPLE} WHERE model_version <> ?", [model.version])
        if model.people:
            tx.append(PEOPLE, _people_table(model))


def latest_version(database: Database) -> str | None:
    """The newest model's version, or None (also when migration 0011 is not applied)."""
    if not tables_exist(database):
        return None
    rows = database.query(
        f"SELECT model_version FROM {MODELS} ORDER BY trained_at DESC, model_version LIMIT 1"
    )
    return str(rows[0][0]) if rows else None


def load_model(database: Database, version: str | None = None) -> Model | None:
    """The model ``version`` (the newest when None) with its people, or None."""
    version = version or latest_version(database)
    if version is None:
        return None
    rows = database.query(
        f"SELECT trained_at, data_until, CAST(params AS TEXT), arrays FROM {MODELS} "
        "WHERE model_version = ?",
        [version],
    )
    if not rows:
        return None
    trained_at, until, params_text, blob = rows[0]
    with np.load(io.BytesIO(bytes(blob)), allow_pickle=False) as arrays:
        items = [str(v) for v in arrays["items"]]
        model = Model(
            version=version,
            trained_at=trained_at,
            until=until,
            params=TrainParams(**orjson.loads(params_text)),
            items=items,
            item_names=orjson.loads(arrays["item_names"].tobytes()),
            item_factors=arrays["item_factors"],
            related_index=arrays["related_index"],
            related_score=arrays["related_score"],
            trending=arrays["trending"],
            popularity=arrays["popularity"],
        )
    model.people = _load_people(database, model)
    return model


def _load_people(database: Database, model: Model) -> dict[str, PersonState]:
    people: dict[str, PersonState] = {}
    rows = database.query(
        f"SELECT profile_id, factors, CAST(bought AS TEXT), last_item, interactions "
        f"FROM {PEOPLE} WHERE model_version = ?",
        [model.version],
    )
    for profile_id, factors, bought, last_item, interactions in rows:
        known = people.get(profile_id)
        if known is not None and known.interactions >= interactions:
            continue  # two rows after a merge: keep the richer history
        vector = (
            np.frombuffer(base64.b64decode(factors), dtype="<f4").astype(np.float32)
            if factors
            else None
        )
        positions = (model.position(str(i)) for i in orjson.loads(bought or "[]"))
        people[profile_id] = PersonState(
            factors=vector,
            bought=frozenset(p for p in positions if p is not None),
            last_item=model.position(last_item) if last_item else None,
            interactions=int(interactions),
        )
    return people
