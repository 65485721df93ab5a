"""Connected components of the identity graph, with guard rails.

Nodes are integers: the identifiers of a batch first, then the profiles they
already belong to. Components come from scipy's sparse connected components (a
million links in well under a second); only components that would merge two
existing profiles or break a per-person limit are replayed edge by edge through
a union-find that refuses a union breaking a limit and names each merge's cause.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class GraphInput:
    """One stitch batch as integer arrays.

    ``left``/``right`` are the batch's identifier links (node ids < ``identifiers``),
    strongest first. ``owner[i]`` is the profile node (>= ``identifiers``) identifier
    ``i`` already belongs to, or -1. ``counts`` holds the limited identifiers each
    node carries: a batch identifier one of its own type, a profile node what it
    already has; ``limits`` is the most of each limited type one person may have.
    """

    identifiers: int
    profiles: int
    left: IntArray
    right: IntArray
    owner: IntArray
    counts: npt.NDArray[np.int32]  # shape (identifiers + profiles, limited types)
    limits: npt.NDArray[np.int32]  # shape (limited types,)
    profile_age: Sequence[object]  # sortable creation key per profile node, oldest smallest


@dataclass
class GraphResult:
    component: IntArray  # per node: a component label (after refusals)
    kept_profile: dict[int, int]  # component label -> the profile node that survives
    merges: list[tuple[int, int, int]] = field(default_factory=list)  # kept, merged, edge
    refused: list[tuple[int, int]] = field(default_factory=list)  # edge index, limited type


def _components(total: int, left: IntArray, right: IntArray) -> IntArray:
    matrix = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(total, total))
    _, labels = connected_components(matrix, directed=False)
    return np.asarray(labels, dtype=np.int64)


def resolve(graph: GraphInput) -> GraphResult:
    """Assign every node a component and decide which profile survives in each."""
    total = graph.identifiers + graph.profiles
    owned = np.flatnonzero(graph.owner >= 0)
    left = np.concatenate([graph.left, owned])
    right = np.concatenate([graph.right, graph.owner[owned]])
    labels = _components(total, left, right)
    sums = np.zeros((total, graph.counts.shape[1]), dtype=np.int64)
    np.add.at(sums, labels, graph.counts)
    profile_nodes = np.arange(graph.identifiers, total)
    profiles_per = np.bincount(labels[profile_nodes], minlength=total)
    over_limit = (sums > graph.limits[None, :]).any(axis=1)
    careful = np.flatnonzero((profiles_per > 1) | over_limit)
    result = GraphResult(component=labels, kept_profile={})
    for node in profile_nodes:
        if profiles_per[labels[node]] == 1:
            result.kept_profile[int(labels[node])] = int(node)
    if len(careful):
        _replay(graph, labels, careful, result)
    return result


def _replay(graph: GraphInput, labels: IntArray, careful: IntArray, result: GraphResult) -> None:
    """Union-find with limits over the components that need it, in link order."""
    in_careful = np.isin(labels, careful)
    parent = {int(n): int(n) for n in np.flatnonzero(in_careful)}
    counts = {n: graph.counts[n].astype(np.int64) for n in parent}
    profile = {n: (n if n >= graph.identifiers else -1) for n in parent}

    def find(node: int) -> int:
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    def union(a: int, b: int, edge: int, on_refuse: Callable[[int], None] | None) -> None:
        ra, rb = find(a), find(b)
        if ra == rb:
            return
        combined = counts[ra] + counts[rb]
        if on_refuse is not None:
            broken = np.flatnonzero(combined > graph.limits)
            if len(broken):
                on_refuse(int(broken[0]))
                return
        survivor = _survivor(graph, profile[ra], profile[rb])
        if profile[ra] >= 0 and profile[rb] >= 0:
            merged = profile[rb] if survivor == profile[ra] else profile[ra]
            result.merges.append((survivor, merged, edge))
        parent[rb] = ra
        counts[ra] = combined
        profile[ra] = survivor

    for owned in np.flatnonzero(in_careful[: graph.identifiers]):
        if graph.owner[owned] >= 0:
            union(int(owned), int(graph.owner[owned]), -1, None)
    edge_mask = in_careful[graph.left]
    for found in np.flatnonzero(edge_mask):
        edge = int(found)

        def refuse(limited: int, edge: int = edge) -> None:
            result.refused.append((edge, limited))

        union(int(graph.left[edge]), int(graph.right[edge]), edge, refuse)
    offset = int(labels.max()) + 1
    for node in parent:
        root = find(node)
        result.component[node] = offset + root
        if profile[root] >= 0:
            result.kept_profile[offset + root] = profile[root]


def _survivor(graph: GraphInput, a: int, b: int) -> int:
    """The older of two profile nodes (-1 means none)."""
    if a < 0 or b < 0:
        return max(a, b)
    age_a = graph.profile_age[a - graph.identifiers]
    age_b = graph.profile_age[b - graph.identifiers]
    return a if (str(age_a), a) <= (str(age_b), b) else b
