"""Churn risk: labels on a time split, a calibrated gradient-boosted model, evaluation.

Time split (no leakage): features are built from data strictly before the cutoff C
(``features.build_features``); the label looks only at (C, C + H]. Default C is the
newest event/order time minus H, so the most recent labelled window is used.

Labels (``--label``):

* ``no-purchase`` (non-contractual): customers with an order before C; churned =
  no order in [C, C + H).
* ``inactive`` (non-contractual): known people (a customer record or an order)
  active in the 180 days before C; churned = no interaction at all in [C, C + H).
* an **event name** (contractual, e.g. ``Subscription Cancelled``): profiles active
  before C without the event before C; churned = the event occurs in [C, C + H).
* a **trait name** (contractual, e.g. ``churned``): truthy on a customer record or
  an identify call. If a date trait ``<name>_at``/``<name>_on`` exists, churn dated
  before C is excluded (already gone) and only churn inside the window counts;
  without a date the label is the trait's current value (see docs/predict.md).

Model: scikit-learn ``HistGradientBoostingClassifier`` (native NaN handling, fast
on 2 cores) and isotonic calibration fitted on 5-fold out-of-fold predictions — the
same as ``CalibratedClassifierCV(cv=5, ensemble=False)``, written out so that the
same out-of-fold predictions also give the evaluation (cross-fitted calibration,
so Brier and reliability are measured on data the calibrator did not see).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from cxm.errors import FieldError
from cxm.predict.explain import Explainer, flatten, path_contributions
from cxm.predict.features import FEATURE_BY_NAME, FEATURE_NAMES, FeatureFrame, build_features
from cxm.predict.model_store import StoredModel, save_model
from cxm.store import Database

Floats = npt.NDArray[np.float64]

NON_CONTRACTUAL = ("no-purchase", "inactive")
TRUTHY = ("true", "1", "yes", "y", "t")
MIN_CLASS = 10


class ChurnError(FieldError):
    pass


@dataclass
class ChurnModel:
    """What is pickled: the estimator, its calibration and its trees for explaining."""

    estimator: HistGradientBoostingClassifier
    calibrator: IsotonicRegression
    feature_names: tuple[str, ...]
    trees: Explainer
    label: str
    horizon_days: int

    def raw(self, matrix: Floats) -> Floats:
        return np.asarray(self.estimator.predict_proba(matrix)[:, 1], dtype=np.float64)

    def predict(self, matrix: Floats) -> Floats:
        return np.asarray(self.calibrator.predict(self.raw(matrix)), dtype=np.float64)

    def explain(self, matrix: Floats) -> tuple[Floats, Floats]:
        """(calibrated risk, per-feature contributions in probability points).

        Contributions are the trees' path attributions in log-odds (see
        ``cxm.predict.explain``), scaled by p(1 − p) of the uncalibrated risk — the
        slope of the logistic there — so they read as points of probability. The
        risk comes from the same pass (log-odds = baseline + bias + Σ contributions).
        """
        logit, bias = path_contributions(self.trees, matrix)
        base = float(np.ravel(self.estimator._baseline_prediction)[0]) + bias
        raw = 1.0 / (1.0 + np.exp(-(base + logit.sum(axis=1))))
        risk = np.asarray(self.calibrator.predict(raw), dtype=np.float64)
        return risk, logit * (raw * (1.0 - raw))[:, None]


def data_end(database: Database) -> datetime | None:
    """The newest event or order time: 'now' for the data in the store."""
    value = database.scalar(
        "SELECT MAX(t) FROM (SELECT MAX(timestamp) AS t FROM events "
        "UNION ALL SELECT MAX(timestamp) FROM orders) x"
    )
    return value if isinstance(value, datetime) else None


def _profiles_with(database: Database, sql: str, params: list[Any]) -> set[str]:
    return {r[0] for r in database.query(sql, params) if r[0] is not None}


def build_labels(
    database: Database, label: str, cutoff: datetime, horizon_days: int
) -> tuple[list[str], Floats, str]:
    """(eligible profiles, 0/1 labels, label kind) for the window [cutoff, cutoff + H)."""
    end = cutoff + timedelta(days=horizon_days)
    # Known people only: a customer record or an order before the cutoff. Anonymous
    # browser profiles "churn" whenever a cookie is cleared; learning that would
    # teach the model identity fragmentation, not customers leaving.
    known = _profiles_with(
        database,
        "SELECT profile_id FROM customer_records UNION "
        "SELECT profile_id FROM orders WHERE timestamp < ?",
        [cutoff],
    )
    active_before = known & _profiles_with(
        database,
        "SELECT DISTINCT profile_id FROM events WHERE timestamp < ? AND timestamp >= ?",
        [cutoff, cutoff - timedelta(days=180)],
    )
    if label == "no-purchase":
        eligible = _profiles_with(
            database, "SELECT DISTINCT profile_id FROM orders WHERE timestamp < ?", [cutoff]
        )
        positive_not = _profiles_with(
            database,
            "SELECT DISTINCT profile_id FROM orders WHERE timestamp >= ? AND timestamp < ?",
            [cutoff, end],
        )
        kind = "non-contractual: no purchase within horizon"
        churned = eligible - positive_not
    elif label == "inactive":
        eligible = active_before
        stayed = _profiles_with(
            database,
            "SELECT DISTINCT profile_id FROM events WHERE timestamp >= ? AND timestamp < ?",
            [cutoff, end],
        )
        kind = "non-contractual: no interaction within horizon"
        churned = eligible - stayed
    elif database.scalar("SELECT COUNT(*) FROM events WHERE event = ?", [label]):
        before = _profiles_with(
            database,
            "SELECT DISTINCT profile_id FROM events WHERE event = ? AND timestamp < ?",
            [label, cutoff],
        )
        eligible = active_before - before
        churned = eligible & _profiles_with(
            database,
            "SELECT DISTINCT profile_id FROM events WHERE event = ? AND timestamp >= ? "
            "AND timestamp < ?",
            [label, cutoff, end],
        )
        kind = f"contractual: event {label!r} within horizon"
    else:
        eligible, churned, kind = _trait_labels(database, label, cutoff, end, active_before)
    profiles = sorted(p for p in eligible if p is not None)
    y = np.array([1.0 if p in churned else 0.0 for p in profiles])
    return profiles, y, kind


def _trait_values(database: Database, name: str) -> dict[str, str]:
    """Latest value of a trait per profile from customer records and identify calls."""
    values: dict[str, str] = {}
    rows = database.query(
        "SELECT profile_id, traits->>CAST(? AS TEXT) FROM customer_records "
        "WHERE profile_id IS NOT NULL AND (traits->>CAST(? AS TEXT)) IS NOT NULL "
        "ORDER BY imported_at",
        [name, name],
    )
    rows += database.query(
        "SELECT profile_id, traits->>CAST(? AS TEXT) FROM events WHERE type = 'identify' "
        "AND profile_id IS NOT NULL AND (traits->>CAST(? AS TEXT)) IS NOT NULL "
        "ORDER BY timestamp",
        [name, name],
    )
    for pid, value in rows:
        values[pid] = str(value)
    return values


def _trait_labels(
    database: Database, name: str, cutoff: datetime, end: datetime, active_before: set[str]
) -> tuple[set[str], set[str], str]:
    values = _trait_values(database, name)
    if not values:
        raise ChurnError(
            "label",
            f"{name!r} is neither no-purchase, inactive, an event name nor a trait on any profile",
        )
    dates: dict[str, str] = {}
    for suffix in ("_at", "_on", "_date"):
        dates.update(_trait_values(database, name + suffix))
    churned: set[str] = set()
    excluded: set[str] = set()
    for pid, value in values.items():
        if value.strip().lower() not in TRUTHY:
            continue
        when = _parse_day(dates.get(pid))
        if when is None:
            churned.add(pid)
        elif when < cutoff:
            excluded.add(pid)
        elif when < end:
            churned.add(pid)
    eligible = (active_before | set(values)) - excluded
    dated = " (dated)" if dates else ""
    return eligible, churned & eligible, f"contractual: trait {name!r}{dated}"


def _parse_day(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _estimator() -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=80,
        learning_rate=0.1,
        max_leaf_nodes=15,
        min_samples_leaf=20,
        l2_regularization=1.0,
        random_state=0,
    )


def _fillable(x: Floats) -> Floats:
    """A copy with all-missing columns set to 0 (scikit-learn 1.9's binning fails on a
    column with no value at all — e.g. a rare feature absent from one CV fold). The
    trees never split on a constant column, so predictions are unaffected."""
    empty = np.isnan(x).all(axis=0)
    if not empty.any():
        return x
    out = x.copy()
    out[:, empty] = 0.0
    return out


def _top_decile(y: Floats, p: Floats) -> tuple[float, float]:
    """Precision and recall among the 10% highest predicted risks."""
    k = max(1, int(np.ceil(len(p) * 0.1)))
    top = np.argsort(-p, kind="stable")[:k]
    hits = float(y[top].sum())
    return hits / k, hits / max(float(y.sum()), 1.0)


def _reliability(y: Floats, p: Floats, bins: int = 10) -> list[dict[str, Any]]:
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            out.append(
                {
                    "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                    "count": int(mask.sum()),
                    "predicted": float(p[mask].mean()),
                    "observed": float(y[mask].mean()),
                }
            )
    return out


def contributions(model: ChurnModel, matrix: Floats) -> Floats:
    """Per-feature contributions (probability points) for each row."""
    return model.explain(matrix)[1]


@dataclass(frozen=True)
class TrainResult:
    stored: StoredModel
    model: ChurnModel
    report: dict[str, Any]


def single_thread() -> Any:
    """Run scikit-learn's OpenMP code on one thread.

    On a shared 2-core machine OpenMP threads spin against each other: a 700-row
    training took 21 s with the default threads and 2.9 s with one.
    """
    return threadpool_limits(1, "openmp")


def train_churn(
    database: Database,
    label: str,
    horizon_days: int = 90,
    cutoff: datetime | None = None,
    folds: int = 5,
) -> TrainResult:
    """Build features and labels on a time split, cross-validate, calibrate, persist."""
    with single_thread():
        return _train(database, label, horizon_days, cutoff, folds)


def _train(
    database: Database, label: str, horizon_days: int, cutoff: datetime | None, folds: int
) -> TrainResult:
    if horizon_days < 1:
        raise ChurnError("horizon_days", "must be at least 1")
    if not label.strip():
        raise ChurnError("label", "is empty")
    end = data_end(database)
    if end is None:
        raise ChurnError("label", "the store has no events or orders to learn from")
    cutoff = cutoff or end - timedelta(days=horizon_days)
    profiles, y, kind = build_labels(database, label, cutoff, horizon_days)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives < MIN_CLASS or negatives < MIN_CLASS:
        raise ChurnError(
            "label",
            f"{positives} churned and {negatives} retained profiles before "
            f"{cutoff:%Y-%m-%d}; need at least {MIN_CLASS} of each",
        )
    frame = build_features(database, cutoff, profiles)
    x = frame.matrix.copy()
    # A feature with no value at all (e.g. no surveys yet) becomes a constant the trees
    # never split on (scikit-learn's binning fails on an all-NaN column).
    x[:, np.isnan(x).all(axis=0)] = 0.0
    folds = max(2, min(folds, positives, negatives))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    oof = np.zeros(len(y))
    fold_auc = []
    fold_of = np.zeros(len(y), dtype=np.int64)
    for k, (train, test) in enumerate(splitter.split(x, y)):
        est = _estimator().fit(_fillable(x[train]), y[train])
        oof[test] = est.predict_proba(x[test])[:, 1]
        fold_of[test] = k
        fold_auc.append(float(roc_auc_score(y[test], oof[test])))
    # Cross-fitted calibration for the report: each fold calibrated by the others.
    calibrated = np.zeros(len(y))
    for k in range(folds):
        inside = fold_of != k
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(oof[inside], y[inside])
        calibrated[~inside] = iso.predict(oof[~inside])
    precision, recall = _top_decile(y, calibrated)
    estimator = _estimator().fit(_fillable(x), y)
    calibrator = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(oof, y)
    model = ChurnModel(
        estimator=estimator,
        calibrator=calibrator,
        feature_names=FEATURE_NAMES,
        trees=flatten(estimator),
        label=label,
        horizon_days=horizon_days,
    )
    drivers = _global_drivers(model, x)
    report: dict[str, Any] = {
        "label": label,
        "label_kind": kind,
        "horizon_days": horizon_days,
        "cutoff": cutoff.isoformat(),
        "profiles": len(y),
        "churned": positives,
        "churn_rate": positives / len(y),
        "cv_folds": folds,
        "cv_auc": float(np.mean(fold_auc)),
        "cv_auc_folds": fold_auc,
        "precision_top_decile": precision,
        "recall_top_decile": recall,
        "brier": float(brier_score_loss(y, calibrated)),
        "brier_uncalibrated": float(brier_score_loss(y, oof)),
        "reliability": _reliability(y, calibrated),
        "top_drivers": drivers[:10],
        "calibration": "isotonic on 5-fold out-of-fold predictions",
        "estimator": "HistGradientBoostingClassifier",
    }
    settings = {"label": label, "horizon_days": horizon_days, "cutoff": cutoff.isoformat()}
    stored = save_model(database, "churn", settings, report, model)
    report["model_version"] = stored.version
    return TrainResult(stored, model, report)


def _global_drivers(model: ChurnModel, x: Floats, sample: int = 20_000) -> list[dict[str, Any]]:
    """Mean |contribution| per feature (up to 20k training rows), with the direction of risk."""
    rng = np.random.default_rng(0)
    rows = rng.choice(len(x), size=min(sample, len(x)), replace=False)
    sub = x[rows]
    contrib = contributions(model, sub)
    out = []
    for j, name in enumerate(model.feature_names):
        c = contrib[:, j]
        strength = float(np.abs(c).mean())
        if strength <= 0:
            continue
        values = sub[:, j]
        raising = c > 0
        direction = ""
        if raising.any() and (~raising).any():
            hi = np.nanmean(values[raising]) if np.isfinite(values[raising]).any() else np.nan
            lo = np.nanmean(values[~raising]) if np.isfinite(values[~raising]).any() else np.nan
            if np.isfinite(hi) and np.isfinite(lo):
                direction = "higher adds risk" if hi > lo else "lower adds risk"
        out.append(
            {
                "feature": name,
                "cause": FEATURE_BY_NAME[name].cause,
                "importance": strength,
                "direction": direction,
            }
        )
    out.sort(key=lambda d: -float(d["importance"]))  # type: ignore[arg-type]
    return out


def reason_text(name: str, value: float) -> str:
    feature = FEATURE_BY_NAME[name]
    if np.isnan(value):
        return f"no data: {name.replace('_', ' ')}"
    if name == "nps_detractor":
        return "NPS detractor" if value >= 1 else "not an NPS detractor"
    try:
        return feature.text.format(value=value)
    except (ValueError, KeyError):
        return f"{name.replace('_', ' ')} = {value:g}"


def features_as_of(database: Database, when: datetime, profiles: list[str]) -> FeatureFrame:
    return build_features(database, when, profiles)
