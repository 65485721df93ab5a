"""Tree path attributions add up exactly to scikit-learn's own log-odds."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from cxm.predict.explain import flatten, path_contributions


def test_contributions_sum_to_the_decision_function() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 5))
    x[rng.random(x.shape) < 0.2] = np.nan  # missing values take the learnt branch
    signal = np.nan_to_num(x[:, 0]) * 2 + np.nan_to_num(x[:, 1]) * np.nan_to_num(x[:, 2])
    y = (signal + rng.normal(size=3000) > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=15, random_state=0)
    model.fit(x, y)
    contrib, bias = path_contributions(flatten(model), x)
    raw = float(np.ravel(model._baseline_prediction)[0]) + bias + contrib.sum(axis=1)
    np.testing.assert_allclose(raw, model.decision_function(x), atol=1e-9)
    # The feature the label depends on most carries the most attribution; noise little.
    strength = np.abs(contrib).mean(axis=0)
    assert strength.argmax() == 0
    assert strength[4] < strength[0] / 5


def test_node_expectations_are_leaf_means() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, 3))
    y = (x[:, 0] + rng.normal(size=2000) > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=5, max_leaf_nodes=8, random_state=0)
    model.fit(x, y)
    for tree, (predictor,) in zip(flatten(model).trees, model._predictors, strict=True):
        nodes = predictor.nodes
        leaves = nodes["is_leaf"].astype(bool)
        mean = (nodes["count"][leaves] * nodes["value"][leaves]).sum() / nodes["count"][
            leaves
        ].sum()
        assert abs(tree.root_expected - mean) < 1e-12
