"""Benchmark: predict — BG/NBD fit speed vs lifetimes, scoring at 1M, churn model quality.

Run alone with ``python -m benchmarks.bench_predict [customers]``; ``run()`` returns
the figures for the benchmark runner.

* **CDNOW fit**: our BG/NBD (and Gamma-Gamma) on the CDNOW summary vs
  ``lifetimes`` in the same process, best of 7 runs each, and the ratio.
* **Scoring 1,000,000 customers**: a DuckDB store with 1M profiles and ~2.5M
  synthetic orders (generated in SQL); a churn model trained on a 20k-profile store
  from the same generator is copied in; ``score_profiles`` is timed end to end
  (orders read, BG/NBD + Gamma-Gamma fit and CLV, features from SQL, calibrated churn
  risk, reasons, RFM tiers, deciles, lead scores, both tables rewritten).
* **Churn model on the demo** (default size, generated and loaded if missing):
  cross-validated AUC, precision/recall at the top decile and Brier of the
  ``inactive`` label, and AUC of the scores against the generator's truth.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

TITLE = "Predict (CLV, churn risk, scoring)"
TARGETS = {
    "ratio ours / lifetimes": "BG/NBD fit on CDNOW <= the time lifetimes takes (ratio <= 1)",
    "score seconds": "scoring 1,000,000 customers <= 60 s",
    "cv auc": "reported (no target); the demo's churners are generated, truth AUC checks it",
}
NOTES = """
The machine has 2 cores shared by 7 engineers working at the same time; every
figure here is noisy (load averages of 5-10 were common during these runs), so
times are best-of-N where repeated and single runs otherwise. Four runs of the
1M scoring with the final code took 42.6, 58.7, 56.0 and 28.6 s (the last one on a
quieter machine): the target is met, without much margin when the machine is
loaded; the phase figures show where the time goes. The demo's train/score
seconds swing 2-14 s / 1.7-8 s between runs for the same reason. Scoring runs with
scikit-learn's OpenMP pinned to one thread (``single_thread()``): on the shared
machine spinning OpenMP threads made training 7x slower. The 1M-customer store has
orders only (no events or tickets), so behavioural features are mostly empty and
reasons come from the order features; explaining is limited to customers with
risk >= 0.2.
"""


def _best(fn: Any, repeat: int = 7) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_cdnow() -> dict[str, Any]:
    import warnings

    from cxm.predict import bgnbd, gammagamma

    warnings.filterwarnings("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value

    data = load_cdnow_summary_data_with_monetary_value()
    x = data["frequency"].to_numpy(dtype=float)
    t_x = data["recency"].to_numpy(dtype=float)
    T = data["T"].to_numpy(dtype=float)
    z = data["monetary_value"].to_numpy(dtype=float)
    ours = _best(lambda: bgnbd.fit(x, t_x, T))
    theirs = _best(lambda: BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"]))
    repeat = data[data["frequency"] > 0]
    ours_gg = _best(lambda: gammagamma.fit(x, z))
    theirs_gg = _best(lambda: GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"]))
    fit = bgnbd.fit(x, t_x, T)
    return {
        "customers": len(x),
        "ours seconds": ours,
        "lifetimes seconds": theirs,
        "ratio ours / lifetimes": ours / theirs,
        "gamma-gamma ours seconds": ours_gg,
        "gamma-gamma lifetimes seconds": theirs_gg,
        "r, alpha, a, b": f"{fit.r:.3f}, {fit.alpha:.3f}, {fit.a:.3f}, {fit.b:.3f}",
        "log-likelihood": round(fit.log_likelihood, 1),
    }


def _synthetic_store(url: str, customers: int, seed: int) -> None:
    """Profiles and orders generated in DuckDB SQL (hash-based randomness)."""
    from cxm.store import open_database

    database = open_database(url)
    try:
        database.execute(
            "INSERT INTO profiles SELECT 'p' || i, TIMESTAMPTZ '2024-01-01', "
            "TIMESTAMPTZ '2024-01-01', NULL FROM range(?) t(i)",
            [customers],
        )
        # Each customer: 1-5 orders; a third stop buying halfway through the window.
        database.execute(
            "INSERT INTO orders (source, order_id, customer_id, timestamp, amount, currency, "
            "imported_at, profile_id) "
            "SELECT 'shop', 'o' || i || '-' || k, 'p' || i, "
            "TIMESTAMPTZ '2024-01-01' + to_seconds(CAST((hash(i, k, ?) % 1000) / 1000.0 * "
            "CASE WHEN hash(i, ?) % 3 = 0 THEN 360 ELSE 720 END * 86400 AS BIGINT)), "
            "5 + (hash(k, i, ?) % 20000) / 100.0, 'EUR', TIMESTAMPTZ '2026-01-01', 'p' || i "
            "FROM range(?) t(i), range(5) s(k) WHERE k <= hash(i) % 5",
            [seed, seed, seed, customers],
        )
    finally:
        database.close()


def bench_scoring(customers: int = 1_000_000) -> dict[str, Any]:
    from cxm.predict.churn import train_churn
    from cxm.predict.model_store import latest_model, save_model
    from cxm.predict.scoring import score_profiles
    from cxm.store import open_database

    with tempfile.TemporaryDirectory() as tmp:
        small_url = f"duckdb:///{Path(tmp) / 'small.duckdb'}"
        _synthetic_store(small_url, 20_000, seed=1)
        small = open_database(small_url)
        try:
            trained = train_churn(small, "no-purchase", 90)
            model = latest_model(small, "churn")
        finally:
            small.close()
        assert model is not None
        url = f"duckdb:///{Path(tmp) / 'big.duckdb'}"
        start = time.perf_counter()
        _synthetic_store(url, customers, seed=2)
        built = time.perf_counter() - start
        database = open_database(url)
        try:
            orders = database.scalar("SELECT COUNT(*) FROM orders")
            save_model(database, "churn", model.settings, model.report, model.payload)
            start = time.perf_counter()
            run = score_profiles(database)
            seconds = time.perf_counter() - start
            with_reasons = database.scalar(
                "SELECT COUNT(*) FROM profile_scores WHERE churn_reasons <> '[]'"
            )
        finally:
            database.close()
    return {
        "customers": run.customers,
        "orders": orders,
        "store built seconds": built,
        "score seconds": seconds,
        "customers per second": run.customers / seconds,
        "profiles with reasons": with_reasons,
        "at risk": run.at_risk,
        "churn model cv auc (20k store)": trained.report["cv_auc"],
        **{f"phase {name} seconds": value for name, value in run.phases.items()},
    }


def bench_demo_model() -> dict[str, Any]:
    import os
    import shutil

    from cxm.demo import stage_predict
    from cxm.demo.config import DemoConfig
    from cxm.demo.files import read_manifest
    from cxm.demo.generate import ensure_generated
    from cxm.demo.load import load
    from cxm.predict.churn import train_churn
    from cxm.predict.scoring import score_profiles
    from cxm.store import open_database

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "demo.duckdb"
        # CXM_BENCH_PREDICT_DEMO="<loaded demo .duckdb>:<its data directory>" reuses a
        # loaded default demo (copied, so the original is untouched); else load one.
        reuse = os.environ.get("CXM_BENCH_PREDICT_DEMO", "")
        files = None
        if reuse:
            db_path, _, data_dir = reuse.partition(":")
            shutil.copy(db_path, target)
            files = read_manifest(Path(data_dir))
        database = open_database(f"duckdb:///{target}")
        try:
            if files is None:
                files, _ = ensure_generated(
                    DemoConfig(), Path(tempfile.gettempdir()) / "cxm-bench-demo"
                )
                load(database, files)
            start = time.perf_counter()
            report = train_churn(database, stage_predict.LABEL, stage_predict.HORIZON_DAYS).report
            trained = time.perf_counter() - start
            run = score_profiles(database)
            truth = stage_predict.truth_report(database, files)
        finally:
            database.close()
    drivers = ", ".join(d["feature"] for d in report["top_drivers"][:5])
    return {
        "label": f"{report['label']} ({report['horizon_days']} days)",
        "profiles in training": report["profiles"],
        "churn rate": report["churn_rate"],
        "cv auc": report["cv_auc"],
        "precision top decile": report["precision_top_decile"],
        "recall top decile": report["recall_top_decile"],
        "brier": report["brier"],
        "train seconds": trained,
        "demo score seconds": run.seconds,
        "auc vs truth (customers)": truth.get("auc_vs_truth", float("nan")),
        "precision top decile vs truth": truth.get("precision_top_decile_vs_truth", float("nan")),
        "true churners with cause service problems": truth.get("causes_of_true_churners", {}).get(
            "service problems", 0
        ),
        "top drivers": drivers,
    }


def run() -> dict[str, dict[str, Any]]:
    customers = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 1_000_000
    np.seterr(all="ignore")
    return {
        "BG/NBD + Gamma-Gamma fit on CDNOW (2,357 customers)": bench_cdnow(),
        f"score_profiles on {customers:,} customers": bench_scoring(customers),
        "churn model on the default demo (inactive, 90 days)": bench_demo_model(),
    }


if __name__ == "__main__":
    import json

    sys.argv.insert(1, "predict")
    print(json.dumps(run(), indent=2, default=str))
