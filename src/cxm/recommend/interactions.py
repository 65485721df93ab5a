"""Interactions: who touched which item, how strongly, when.

Read from the one event log, Segment e-commerce naming:

- ``Product Viewed`` and ``Product Added``: the item is ``properties.product_id``;
- ``Order Completed``: the items are ``properties.products[].product_id`` (how the
  orders importer and the Segment spec write them), plus ``properties.product_id``
  when a sender puts a single item there.

The person is the event's ``profile_id`` (identity fills it), else
``anon:<anonymous_id>`` so a not-yet-stitched visitor still teaches co-occurrence
and trending. Each event has a weight by type — view 1 < add 3 < purchase 5
(``WEIGHTS``): buying says more about taste than looking.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import orjson

from cxm.store import Database

VIEW, ADD, PURCHASE = "Product Viewed", "Product Added", "Order Completed"
WEIGHTS: dict[str, float] = {VIEW: 1.0, ADD: 3.0, PURCHASE: 5.0}
KIND_CODE = {VIEW: 0, ADD: 1, PURCHASE: 2}
ANONYMOUS_PREFIX = "anon:"


@dataclass(frozen=True)
class Interactions:
    """One row per (event, item), sorted by time. ``kind``: 0 view, 1 add, 2 purchase."""

    person: npt.NDArray[np.object_]
    item: npt.NDArray[np.object_]
    kind: npt.NDArray[np.int8]
    weight: npt.NDArray[np.float64]
    at: npt.NDArray[np.int64]  # epoch microseconds
    item_names: dict[str, str]

    def __len__(self) -> int:
        return len(self.item)

    def select(self, mask: npt.NDArray[np.bool_]) -> Interactions:
        return Interactions(
            self.person[mask],
            self.item[mask],
            self.kind[mask],
            self.weight[mask],
            self.at[mask],
            self.item_names,
        )


def _epoch_us(dialect: str) -> str:
    if dialect == "duckdb":
        return "epoch_us(timestamp)"
    return "CAST(floor(extract(epoch FROM timestamp) * 1000000) AS BIGINT)"


def _text(dialect: str, key: str) -> str:
    if dialect == "duckdb":
        return f"json_extract_string(properties, '$.{key}')"
    return f"properties->>'{key}'"


def load_interactions(database: Database, until: datetime | None = None) -> Interactions:
    """Every interaction strictly before ``until`` (all of them when None)."""
    dialect = database.dialect
    person = f"coalesce(profile_id, '{ANONYMOUS_PREFIX}' || anonymous_id)"
    window = " AND timestamp < ?" if until is not None else ""
    params: list[object] = [until] if until is not None else []
    rows = database.query(
        f"SELECT {person}, event, {_text(dialect, 'product_id')}, {_epoch_us(dialect)}, "
        f"{_text(dialect, 'name')} FROM events "
        f"WHERE event IN ('{VIEW}', '{ADD}') AND {person} IS NOT NULL{window}",
        params,
    )
    orders = database.query(
        f"SELECT {person}, CAST(properties AS TEXT), {_epoch_us(dialect)} FROM events "
        f"WHERE event = '{PURCHASE}' AND {person} IS NOT NULL{window}",
        params,
    )
    persons: list[str] = []
    items: list[str] = []
    kinds: list[int] = []
    times: list[int] = []
    names: Counter[tuple[str, str]] = Counter()
    for who, event, item, at, name in rows:
        if not item:
            continue
        persons.append(who)
        items.append(str(item))
        kinds.append(KIND_CODE[event])
        times.append(int(at))
        if name:
            names[(str(item), str(name))] += 1
    for who, properties, at in orders:
        for item in purchased_items(properties):
            persons.append(who)
            items.append(item)
            kinds.append(KIND_CODE[PURCHASE])
            times.append(int(at))
    order = np.argsort(np.array(times, dtype=np.int64), kind="stable")
    kind = np.array(kinds, dtype=np.int8)[order]
    weight = np.array([WEIGHTS[VIEW], WEIGHTS[ADD], WEIGHTS[PURCHASE]])[kind]
    return Interactions(
        person=np.array(persons, dtype=object)[order],
        item=np.array(items, dtype=object)[order],
        kind=kind,
        weight=weight.astype(np.float64),
        at=np.array(times, dtype=np.int64)[order],
        item_names=_most_common_names(names),
    )


def _most_common_names(counts: Counter[tuple[str, str]]) -> dict[str, str]:
    """Each item's most frequent name in the events (shops send one per language)."""
    best: dict[str, tuple[int, str]] = {}
    for (item, name), count in counts.items():
        if item not in best or (count, name) > best[item]:
            best[item] = (count, name)
    return {item: name for item, (_, name) in best.items()}


def purchased_items(properties: str | None) -> list[str]:
    """Item ids of one ``Order Completed`` event's properties (JSON text); bad entries skipped."""
    if not properties:
        return []
    try:
        value = orjson.loads(properties)
    except orjson.JSONDecodeError:
        return []
    if not isinstance(value, dict):
        return []
    found: list[str] = []
    products = value.get("products")
    if isinstance(products, list):
        for product in products:
            if isinstance(product, dict) and product.get("product_id") not in (None, ""):
                found.append(str(product["product_id"]))
    single = value.get("product_id")
    if single not in (None, "") and str(single) not in found:
        found.append(str(single))
    return found
