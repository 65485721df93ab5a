"""One stitch batch against the stored graph: which profile each identifier joins.

Reads what the database already knows about the batch's identifiers (their
profiles, shared flags, blocked links, the limited identifiers those profiles
hold), marks identifiers linked to too many people as shared, runs the component
search with guard rails, and writes identifiers, links and new profiles.
Merging itself (moves and the merge log) is left to ``merge_log``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from cxm.identity.graph import GraphInput, resolve
from cxm.identity.normalise import ANONYMOUS_ID, EMAIL, PHONE, USER_ID
from cxm.identity.rows import stage
from cxm.settings import get_settings
from cxm.store import Transaction

BATCH_STAGE = "identity_batch_stage"
EDGE_STAGE = "identity_edge_stage"
REFUSED_STAGE = "identity_refused_stage"


def new_profile_id() -> str:
    return new_profile_ids(1)[0]


def new_profile_ids(count: int) -> list[str]:
    """``count`` new profile ids from one read of the OS random source (a uuid4
    each cost more than the rest of profile creation)."""
    # Time-ordered, so sorting ids roughly sorts profiles by creation.
    prefix = f"p{int(datetime.now().timestamp() * 1000):012x}"
    random = os.urandom(6 * count).hex()
    return [prefix + random[i : i + 12] for i in range(0, 12 * count, 12)]


# Datetimes, or datetime64[us] in UTC from the vectorised stitch path.
Seen = Sequence[datetime] | npt.NDArray[np.datetime64]
TIMESTAMP = pa.timestamp("us", tz="UTC")


def _timestamps(seen: Seen) -> pa.Array:
    return pa.array(seen, TIMESTAMP)


@dataclass(frozen=True)
class BatchIdentifiers:
    pairs: list[tuple[str, str]]  # node -> (id_type, id_value)
    first_seen: Seen
    last_seen: Seen
    left: list[int]  # links between nodes, strongest first
    right: list[int]
    edge_seen: Seen
    origin: str
    primary: list[int]  # per fact row: its strongest identifier's node
    scores: list[float] | None = None  # per link, for probabilistic and reviewed links

    # Column forms of ``pairs``, built once: staging, link tables and writes all take
    # from them, and per-node Python lists were a large share of a bulk pass.
    @cached_property
    def type_array(self) -> pa.Array:
        return pa.array([p[0] for p in self.pairs], pa.string())

    @cached_property
    def value_array(self) -> pa.Array:
        return pa.array([p[1] for p in self.pairs], pa.string())

    @property
    def rule(self) -> str:
        return self.origin if self.origin in ("probabilistic", "review") else "deterministic"


@dataclass(frozen=True)
class MergeDecision:
    kept: str
    merged: str
    cause: str
    rule: str = "deterministic"
    score: float | None = None


@dataclass
class BatchOutcome:
    now: datetime
    profile_of: list[str]  # node -> profile id
    merges: list[MergeDecision] = field(default_factory=list)
    identifiers_new: int = 0
    profiles_new: int = 0
    refused: int = 0
    shared_marked: int = 0


def limits_for(types: list[str]) -> np.ndarray:
    settings = get_settings()
    fixed = {
        EMAIL: settings.identity_max_emails,
        PHONE: settings.identity_max_phones,
        USER_ID: settings.identity_max_user_ids,
    }
    return np.array(
        [fixed.get(t, settings.identity_max_records_per_source) for t in types], dtype=np.int32
    )


def _limited(id_type: str) -> bool:
    return id_type in (EMAIL, PHONE, USER_ID) or id_type.startswith("record:")


def label(pair: tuple[str, str]) -> str:
    return f"{pair[0]}:{pair[1]}"


def _stage_batch(tx: Transaction, batch: BatchIdentifiers) -> None:
    data = pa.table(
        {
            "node": pa.array(np.arange(len(batch.pairs), dtype=np.int64)),
            "id_type": batch.type_array,
            "id_value": batch.value_array,
        }
    )
    stage(tx, BATCH_STAGE, "node BIGINT, id_type TEXT, id_value TEXT", data)


@dataclass(frozen=True)
class Known:
    """Batch nodes already stored, as parallel arrays (Arrow from the store: a bulk
    batch's second half can know most of its million identifiers)."""

    nodes: npt.NDArray[np.int64]
    profiles: pa.Array  # profile id per known node (null: none)
    shared: npt.NDArray[np.bool_]

    def mask(self, size: int) -> npt.NDArray[np.bool_]:
        found = np.zeros(size, dtype=bool)
        found[self.nodes] = True
        return found


def _known(tx: Transaction) -> Known:
    """Batch nodes already stored: their profile and shared flag."""
    table = tx.query_arrow(
        f"SELECT s.node, i.profile_id, i.shared FROM identifiers i "
        f"JOIN {BATCH_STAGE} s ON s.id_type = i.id_type AND s.id_value = i.id_value"
    )
    if table.num_rows == 0:
        return Known(np.array([], dtype=np.int64), pa.array([], pa.string()), np.array([], bool))
    return Known(
        np.asarray(table.column(0).combine_chunks().cast(pa.int64()), dtype=np.int64),
        table.column(1).combine_chunks().cast(pa.string()),
        np.asarray(table.column(2).combine_chunks().cast(pa.bool_()), dtype=bool),
    )


def _link_table(batch: BatchIdentifiers, profile_of: list[str] | None) -> pa.Table:
    left = pa.array(batch.left, pa.int64())
    right = pa.array(batch.right, pa.int64())
    types, values = batch.type_array, batch.value_array
    columns = {
        "left_type": types.take(left),
        "left_value": values.take(left),
        "right_type": types.take(right),
        "right_value": values.take(right),
    }
    if profile_of:
        columns |= {
            "origin": pa.array([batch.origin] * len(batch.left), pa.string()),
            "first_seen_at": _timestamps(batch.edge_seen),
            "profile_id": pa.array(profile_of, pa.string()).take(left),
            "score": pa.array(
                batch.scores if batch.scores else [None] * len(batch.left), pa.float64()
            ),
        }
    return pa.table(columns)


def _blocked_links(tx: Transaction, batch: BatchIdentifiers) -> set[tuple[str, str, str, str]]:
    if not batch.left:
        return set()
    stage(
        tx,
        EDGE_STAGE,
        "left_type TEXT, left_value TEXT, right_type TEXT, right_value TEXT",
        _link_table(batch, None),
    )
    rows = tx.query(
        f"SELECT l.left_type, l.left_value, l.right_type, l.right_value FROM identity_links l "
        f"JOIN {EDGE_STAGE} s ON s.left_type = l.left_type AND s.left_value = l.left_value "
        f"AND s.right_type = l.right_type AND s.right_value = l.right_value "
        f"WHERE l.blocked IS NOT NULL"
    )
    return {(r[0], r[1], r[2], r[3]) for r in rows}


def _shared(tx: Transaction, batch: BatchIdentifiers) -> set[tuple[str, str]]:
    """Batch identifiers linked (stored links plus this batch's) to more distinct
    identifiers of one person-level type than the threshold. Anonymous ids do not
    count: one person has many browsers and app installs."""
    threshold = get_settings().identity_shared_threshold
    suspects, found = _batch_neighbours(batch, threshold)
    rows = tx.query(
        f"SELECT s.id_type, s.id_value FROM {BATCH_STAGE} s "
        f"JOIN identity_links l ON l.left_type = s.id_type AND l.left_value = s.id_value "
        f"WHERE l.right_type <> 'anonymous_id' "
        f"GROUP BY s.id_type, s.id_value, l.right_type HAVING count(*) > ? "
        f"UNION "
        f"SELECT s.id_type, s.id_value FROM {BATCH_STAGE} s "
        f"JOIN identity_links l ON l.right_type = s.id_type AND l.right_value = s.id_value "
        f"WHERE l.left_type <> 'anonymous_id' "
        f"GROUP BY s.id_type, s.id_value, l.left_type HAVING count(*) > ?",
        [threshold // 2, threshold // 2],
    )
    suspects |= {(r[0], r[1]) for r in rows}
    if not suspects:
        return found
    return found | _stored_shared(tx, batch, suspects, threshold)


def _batch_neighbours(
    batch: BatchIdentifiers, threshold: int
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Identifiers linked in this batch to more than half the threshold (suspects)
    and more than the threshold (shared) distinct identifiers of one non-anonymous type."""
    if not batch.left:
        return set(), set()
    encoded = pc.dictionary_encode(batch.type_array)
    code = {t: i for i, t in enumerate(encoded.dictionary.to_pylist())}
    kinds = np.asarray(encoded.indices, dtype=np.int64)
    left = np.asarray(batch.left, dtype=np.int64)
    right = np.asarray(batch.right, dtype=np.int64)
    n = len(batch.pairs)
    x = np.concatenate([left, right])
    y = np.concatenate([right, left])
    if ANONYMOUS_ID in code:
        named = kinds[y] != code[ANONYMOUS_ID]
        x, y = x[named], y[named]
    # Counting with repeats first (a bincount, no sort) can only over-count, so only
    # the few identifiers over half the threshold need the exact distinct count;
    # sorting every link of a million-link batch was the costliest step here.
    group = x * len(code) + kinds[y]
    rough = np.bincount(group, minlength=n * len(code))
    over = rough[group] > threshold // 2
    if not over.any():
        return set(), set()
    distinct = np.unique(x[over] * n + y[over])
    ends_x, ends_y = distinct // n, distinct % n
    groups, counts = np.unique(ends_x * len(code) + kinds[ends_y], return_counts=True)
    nodes = groups // len(code)
    suspects = {batch.pairs[i] for i in nodes[counts > threshold // 2].tolist()}
    found = {batch.pairs[i] for i in nodes[counts > threshold].tolist()}
    return suspects, found


def _stored_shared(
    tx: Transaction,
    batch: BatchIdentifiers,
    suspects: set[tuple[str, str]],
    threshold: int,
) -> set[tuple[str, str]]:
    """Exact distinct-neighbour counts for the few suspects, stored and new links."""
    result: set[tuple[str, str]] = set()
    new_neighbours: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for a, b in zip(batch.left, batch.right, strict=True):
        new_neighbours.setdefault(batch.pairs[a], set()).add(batch.pairs[b])
        new_neighbours.setdefault(batch.pairs[b], set()).add(batch.pairs[a])
    for id_type, id_value in suspects:
        rows = tx.query(
            "SELECT right_type, right_value FROM identity_links "
            "WHERE left_type = ? AND left_value = ? "
            "UNION SELECT left_type, left_value FROM identity_links "
            "WHERE right_type = ? AND right_value = ?",
            [id_type, id_value, id_type, id_value],
        )
        linked = {(r[0], r[1]) for r in rows} | new_neighbours.get((id_type, id_value), set())
        per_type: dict[str, int] = {}
        for kind, _ in linked:
            if kind != ANONYMOUS_ID:
                per_type[kind] = per_type.get(kind, 0) + 1
        if per_type and max(per_type.values()) > threshold:
            result.add((id_type, id_value))
    return result


def _profile_facts(
    tx: Transaction, owners: pa.Array, types: list[str]
) -> tuple[np.ndarray, list[str]]:
    """Limited identifiers each owner profile holds, and its creation time."""
    counts = np.zeros((len(owners), len(types)), dtype=np.int32)
    if not len(owners):
        return counts, []
    stage(tx, "identity_owner_stage", "profile_id TEXT", pa.table({"profile_id": owners}))
    held = tx.query_arrow(
        "SELECT i.profile_id, i.id_type, count(*) FROM identifiers i "
        "JOIN identity_owner_stage o ON o.profile_id = i.profile_id "
        "WHERE NOT i.shared GROUP BY i.profile_id, i.id_type"
    )
    if held.num_rows:
        row = _positions(held.column(0), owners)
        column = _positions(held.column(1), pa.array(types, pa.string()))
        number = np.asarray(held.column(2).combine_chunks().cast(pa.int64()))
        wanted = column >= 0  # one row per (profile, type): plain assignment is exact
        counts[row[wanted], column[wanted]] = number[wanted]
    created = tx.query_arrow(
        "SELECT p.profile_id, CAST(p.created_at AS TEXT) FROM profiles p "
        "JOIN identity_owner_stage o ON o.profile_id = p.profile_id"
    )
    ages = np.full(len(owners), "", dtype=object)
    if created.num_rows:
        ages[_positions(created.column(0), owners)] = np.array(
            created.column(1).to_pylist(), dtype=object
        )
    return counts, ages.tolist()


def _positions(values: pa.ChunkedArray | pa.Array, among: pa.Array) -> npt.NDArray[np.int64]:
    """Index of each value in ``among`` (-1 where absent)."""
    found = pc.index_in(values.cast(pa.string()), value_set=among)
    return np.asarray(found.fill_null(-1), dtype=np.int64)


def resolve_batch(tx: Transaction, batch: BatchIdentifiers, now: datetime) -> BatchOutcome:
    _stage_batch(tx, batch)
    known = _known(tx)
    blocked = _blocked_links(tx, batch)
    shared_new = _shared(tx, batch)
    n = len(batch.pairs)
    shared_new_nodes = (
        [i for i, p in enumerate(batch.pairs) if p in shared_new] if shared_new else []
    )
    shared = np.zeros(n, dtype=bool)
    shared[known.nodes[known.shared]] = True
    shared[shared_new_nodes] = True
    owned = np.asarray(known.profiles.is_valid(), dtype=bool)
    owners_array = pc.unique(known.profiles.filter(owned)).sort()
    owners: list[str] = owners_array.to_pylist()
    present = pc.unique(batch.type_array).to_pylist()
    types = sorted({t for t in present if _limited(t)} | {EMAIL, PHONE, USER_ID})
    profile_counts, ages = _profile_facts(tx, owners_array, types)

    owner = np.full(n, -1, dtype=np.int64)
    owner[known.nodes[owned]] = n + _positions(known.profiles.filter(owned), owners_array)
    counts = np.zeros((n + len(owners), len(types)), dtype=np.int32)
    counts[n:] = profile_counts
    kind = np.asarray(
        pc.index_in(batch.type_array, value_set=pa.array(types, pa.string())).fill_null(-1),
        dtype=np.int64,
    )
    counted = np.flatnonzero((owner < 0) & (kind >= 0) & ~shared)
    counts[counted, kind[counted]] = 1
    unshared = (~shared).tolist()
    usable = (
        [
            i
            for i, (a, b) in enumerate(zip(batch.left, batch.right, strict=True))
            if unshared[a] and unshared[b] and (*batch.pairs[a], *batch.pairs[b]) not in blocked
        ]
        if shared.any() or blocked
        else list(range(len(batch.left)))
    )
    graph = GraphInput(
        identifiers=n,
        profiles=len(owners),
        left=np.asarray(batch.left, dtype=np.int64)[usable],
        right=np.asarray(batch.right, dtype=np.int64)[usable],
        owner=owner,
        counts=counts,
        limits=limits_for(types),
        profile_age=ages,
    )
    result = resolve(graph)
    outcome = BatchOutcome(now=now, profile_of=[""] * n)
    node_profile = {len(batch.pairs) + i: p for i, p in enumerate(owners)}
    survivor: dict[str, str] = {}
    for kept, merged, edge in result.merges:
        a, b = batch.left[usable[edge]], batch.right[usable[edge]]
        cause = f"{label(batch.pairs[a])} ~ {label(batch.pairs[b])}"
        score = batch.scores[usable[edge]] if batch.scores else None
        outcome.merges.append(
            MergeDecision(node_profile[kept], node_profile[merged], cause, batch.rule, score)
        )
        survivor[node_profile[merged]] = node_profile[kept]

    def final(profile_id: str) -> str:
        while profile_id in survivor:
            profile_id = survivor[profile_id]
        return profile_id

    # One decision per component, then spread to its nodes by index: components are
    # far fewer than nodes.
    components, node_component = np.unique(result.component[:n], return_inverse=True)
    chosen: list[str | None] = [
        final(node_profile[k]) if (k := result.kept_profile.get(c)) is not None else None
        for c in components.tolist()
    ]
    waiting = [i for i, profile in enumerate(chosen) if profile is None]
    fresh = new_profile_ids(len(waiting))
    for i, profile_id in zip(waiting, fresh, strict=True):
        chosen[i] = profile_id
    outcome.profile_of = np.array(chosen, dtype=object)[node_component].tolist()
    _write(tx, batch, known, shared_new_nodes, outcome, fresh)
    _block_refused(tx, batch, [(usable[e], types[t]) for e, t in result.refused])
    outcome.refused = len(result.refused)
    return outcome


def _block_refused(
    tx: Transaction, batch: BatchIdentifiers, refused: list[tuple[int, str]]
) -> None:
    """Mark each refused link (batch link index, limited type) blocked, in one UPDATE."""
    if not refused:
        return
    ends = [(batch.pairs[batch.left[e]], batch.pairs[batch.right[e]]) for e, _ in refused]
    data = pa.table(
        {
            "blocked": [f"limit:{kind}" for _, kind in refused],
            "left_type": [a[0] for a, _ in ends],
            "left_value": [a[1] for a, _ in ends],
            "right_type": [b[0] for _, b in ends],
            "right_value": [b[1] for _, b in ends],
        }
    )
    stage(
        tx,
        REFUSED_STAGE,
        "blocked TEXT, left_type TEXT, left_value TEXT, right_type TEXT, right_value TEXT",
        data,
    )
    tx.execute(
        f"UPDATE identity_links SET blocked = s.blocked FROM {REFUSED_STAGE} s "
        "WHERE identity_links.left_type = s.left_type "
        "AND identity_links.left_value = s.left_value "
        "AND identity_links.right_type = s.right_type "
        "AND identity_links.right_value = s.right_value"
    )


def _write(
    tx: Transaction,
    batch: BatchIdentifiers,
    known: Known,
    shared_new: list[int],
    outcome: BatchOutcome,
    new_profiles: list[str],
) -> None:
    timestamp = pa.timestamp("us", tz="UTC")
    if new_profiles:
        now = [outcome.now] * len(new_profiles)
        tx.append(
            "profiles",
            pa.table(
                {
                    "profile_id": new_profiles,
                    "created_at": pa.array(now, timestamp),
                    "updated_at": pa.array(now, timestamp),
                }
            ),
        )
    is_new = ~known.mask(len(batch.pairs))
    new_nodes = pa.array(np.flatnonzero(is_new))
    is_shared_new = np.zeros(len(batch.pairs), dtype=bool)
    is_shared_new[shared_new] = True
    if len(new_nodes):
        tx.append(
            "identifiers",
            pa.table(
                {
                    "id_type": batch.type_array.take(new_nodes),
                    "id_value": batch.value_array.take(new_nodes),
                    "profile_id": pa.array(outcome.profile_of, pa.string()).take(new_nodes),
                    "first_seen_at": _timestamps(batch.first_seen).take(new_nodes),
                    "last_seen_at": _timestamps(batch.last_seen).take(new_nodes),
                    "shared": pa.array(is_shared_new).take(new_nodes),
                }
            ),
            conflict_columns=["id_type", "id_value"],
        )
    was_shared = known.mask(len(batch.pairs))
    was_shared[known.nodes[~known.shared]] = False
    newly_shared_known = [i for i in shared_new if not is_new[i] and not was_shared[i]]
    for id_type, id_value in (batch.pairs[i] for i in newly_shared_known):
        tx.execute(
            "UPDATE identifiers SET shared = TRUE WHERE id_type = ? AND id_value = ?",
            [id_type, id_value],
        )
    if batch.left:
        tx.append(
            "identity_links",
            _link_table(batch, outcome.profile_of),
            conflict_columns=["left_type", "left_value", "right_type", "right_value"],
        )
    outcome.identifiers_new = len(new_nodes)
    outcome.profiles_new = len(new_profiles)
    outcome.shared_marked = sum(1 for i in shared_new if not was_shared[i])
