"""Per-customer feature contributions from the boosted trees' decision paths.

Saabas' path attribution ("Interpreting random forests", 2014; the cheap relative
of TreeSHAP): every node gets its *expected value* — the count-weighted mean of the
leaf values below it (what the tree predicts knowing only the splits above). As a
customer's row falls from the root to a leaf, each split on feature j adds
``expected(child) − expected(parent)`` to j's contribution. Per tree the
contributions sum exactly to ``leaf value − expected(root)``, so over all trees

    raw log-odds = baseline + Σ_trees expected(root) + Σ_j contribution_j

(``tests/predict/test_explain.py`` checks this identity against scikit-learn's
``decision_function``). The reference point is the average training customer, so
a contribution reads "this feature moves the risk away from a typical customer's
by …". Known limitation: path attribution over-credits features split near the
root (TreeSHAP averages over orders; it costs ~depth² more). Each leaf's path
contributions are computed once per model; scoring then only needs each row's leaf
per tree (scikit-learn's compiled predictor with leaf numbers as values) and one
sparse product, where the occlusion approach first tried here (re-predicting each
customer once per feature) needed minutes at a million customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FlatTree:
    """One tree: its leaf finder and, per leaf, the contributions of its path."""

    leaf_finder: TreePredictor  # the tree with leaf values replaced by leaf numbers
    leaf_of_node: Ints  # node index -> leaf number (-1 for split nodes)
    leaf_table: Floats  # leaves × features: Σ along the path of E[child] − E[parent]
    root_expected: float


@dataclass(frozen=True)
class Explainer:
    trees: list[FlatTree]
    table: sparse.csr_matrix  # all leaves × features
    offsets: Ints  # first row of each tree's leaves in ``table``
    bias: float  # Σ expected(root)
    known_cat_bitsets: npt.NDArray[np.uint32]
    f_idx_map: npt.NDArray[np.uint32]


def _expected(nodes: npt.NDArray[np.void]) -> Floats:
    leaf = nodes["is_leaf"].astype(bool)
    count = nodes["count"].astype(np.float64)
    expected = np.where(leaf, nodes["value"], 0.0).astype(np.float64)
    left = nodes["left"].astype(np.int64)
    right = nodes["right"].astype(np.int64)
    # Children have larger indices than their parent (depth-first numbering).
    for n in range(len(nodes) - 1, -1, -1):
        if not leaf[n]:
            lo, hi = left[n], right[n]
            total = count[lo] + count[hi]
            expected[n] = (
                (count[lo] * expected[lo] + count[hi] * expected[hi]) / total if total else 0.0
            )
    return expected


def flatten(estimator: HistGradientBoostingClassifier) -> Explainer:
    """Precompute, per tree, each leaf's path contributions and a leaf finder."""
    width = int(estimator.n_features_in_)
    trees = []
    tables = []
    for (predictor,) in estimator._predictors:
        nodes = predictor.nodes
        if np.any(nodes["is_categorical"]):
            raise ValueError("categorical splits are not supported by the path attribution")
        expected = _expected(nodes)
        leaf = nodes["is_leaf"].astype(bool)
        leaf_of_node = np.full(len(nodes), -1, dtype=np.int64)
        leaf_of_node[leaf] = np.arange(int(leaf.sum()))
        path = np.zeros((len(nodes), width))
        for n in range(len(nodes)):  # parents before children
            if not leaf[n]:
                f = int(nodes["feature_idx"][n])
                for child in (int(nodes["left"][n]), int(nodes["right"][n])):
                    path[child] = path[n]
                    path[child, f] += expected[child] - expected[n]
        finder_nodes = nodes.copy()
        finder_nodes["value"] = np.where(leaf, leaf_of_node, 0).astype(finder_nodes["value"].dtype)
        finder = TreePredictor(
            finder_nodes, predictor.binned_left_cat_bitsets, predictor.raw_left_cat_bitsets
        )
        trees.append(FlatTree(finder, leaf_of_node, path[leaf], float(expected[0])))
        tables.append(path[leaf])
    sizes = np.array([len(t) for t in tables], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    bitsets, f_idx_map = estimator._bin_mapper.make_known_categories_bitsets()
    return Explainer(
        trees=trees,
        table=sparse.csr_matrix(np.vstack(tables) if tables else np.zeros((0, width))),
        offsets=offsets,
        bias=float(sum(t.root_expected for t in trees)),
        known_cat_bitsets=bitsets,
        f_idx_map=f_idx_map,
    )


def path_contributions(
    explainer: Explainer, matrix: Floats, chunk: int = 100_000
) -> tuple[Floats, float]:
    """(n × features contributions in log-odds, Σ expected(root) over trees).

    Per tree, scikit-learn's compiled predictor finds each row's leaf (its values
    swapped for leaf numbers); the contributions are then one sparse product
    (rows × all leaves, one 1 per tree) @ (all leaves × features).
    """
    n, width = matrix.shape
    out = np.zeros((n, width))
    trees = len(explainer.trees)
    if not trees or not n:
        return out, explainer.bias
    data = np.ascontiguousarray(matrix, dtype=np.float64)
    for start in range(0, n, chunk):
        part = data[start : start + chunk]
        rows = len(part)
        columns = np.empty((rows, trees), dtype=np.int64)
        for t, tree in enumerate(explainer.trees):
            leaf = tree.leaf_finder.predict(
                part, explainer.known_cat_bitsets, explainer.f_idx_map, 1
            )
            columns[:, t] = leaf.astype(np.int64) + explainer.offsets[t]
        indicator = sparse.csr_matrix(
            (np.ones(rows * trees), columns.ravel(), np.arange(0, rows * trees + 1, trees)),
            shape=(rows, explainer.table.shape[0]),
        )
        out[start : start + rows] = (indicator @ explainer.table).toarray()
    return out, explainer.bias
