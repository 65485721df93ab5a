"""The predict stage's part of the demo: train churn, score every profile, check truth.

The generator (``cxm.demo.population``) makes about a fifth of customers churners:
their activity fades to nothing before the window ends, after more help-centre
visits, more and slower tickets, lower CSAT and worse reviews. Nothing in the
imported data says who they are; the demo trains the non-contractual ``inactive``
label (no interaction in the 90 days after the cutoff), scores every profile and,
since the generator wrote ground truth, reports how well the risk ranks the true
churners (AUC against ``truth/persons.csv``) and which causes it gave them.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any

import numpy as np

from cxm.demo.files import DemoFiles
from cxm.store import Database

LABEL = "inactive"
HORIZON_DAYS = 90


def truth_profiles(database: Database, files: DemoFiles) -> dict[str, bool]:
    """profile_id -> true churner flag, for profiles whose records belong to one person."""
    path = files.directory / "truth" / "persons.csv"
    if not path.exists():
        return {}
    owner: dict[tuple[str, str], tuple[str, bool]] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            flag = row["churner"] == "true"
            person = row["person_id"]
            if row["crm_id"]:
                owner[("crm", row["crm_id"])] = (person, flag)
            for shop in filter(None, row["shop_ids"].split(";")):
                owner[("shop", shop)] = (person, flag)
            if row["loyalty_card"]:
                owner[("loyalty", row["loyalty_card"])] = (person, flag)
    persons: dict[str, set[str]] = {}
    flags: dict[str, bool] = {}
    for source, record_id, profile_id in database.query(
        "SELECT source, record_id, profile_id FROM customer_records WHERE profile_id IS NOT NULL"
    ):
        found = owner.get((source, record_id))
        if found:
            persons.setdefault(profile_id, set()).add(found[0])
            flags[found[0]] = found[1]
    return {pid: flags[next(iter(ps))] for pid, ps in persons.items() if len(ps) == 1}


def truth_report(database: Database, files: DemoFiles) -> dict[str, Any]:
    """AUC of churn risk against the generator's churner flag, and causes of true churners."""
    from sklearn.metrics import roc_auc_score

    truth = truth_profiles(database, files)
    if not truth:
        return {}
    rows = database.query(
        "SELECT profile_id, churn_risk, churn_cause FROM profile_scores "
        "WHERE churn_risk IS NOT NULL AND is_customer"
    )
    y: list[bool] = []
    p: list[float] = []
    causes_true: dict[str, int] = {}
    causes_false: dict[str, int] = {}
    for pid, risk, cause in rows:
        if pid in truth:
            y.append(truth[pid])
            p.append(risk)
            bucket = causes_true if truth[pid] else causes_false
            bucket[cause or "none"] = bucket.get(cause or "none", 0) + 1
    if len(set(y)) < 2:
        return {}
    ys, ps = np.array(y, dtype=float), np.array(p, dtype=float)
    k = max(1, len(ps) // 10)
    top = np.argsort(-ps)[:k]
    return {
        "customers_matched": len(y),
        "true_churners": int(ys.sum()),
        "auc_vs_truth": float(roc_auc_score(ys, ps)),
        "precision_top_decile_vs_truth": float(ys[top].mean()),
        "causes_of_true_churners": causes_true,
        "causes_of_others": causes_false,
    }


def run(database: Database, files: DemoFiles, say: Callable[[str], None]) -> str:
    """Train the churn model, score every profile, compare with the ground truth."""
    from cxm.predict.churn import ChurnError, train_churn
    from cxm.predict.scoring import score_profiles

    say("predict: training the churn model")
    auc = ""
    try:
        trained = train_churn(database, LABEL, HORIZON_DAYS)
        auc = f"CV AUC {trained.report['cv_auc']:.2f}, "
    except (ChurnError, ValueError) as error:
        # The demo goes on without a churn model rather than failing as a whole.
        say(f"predict: churn model not trained ({error}); risk = 1 − P(alive)")
    say("predict: scoring profiles (CLV, P(alive), churn risk, reasons)")
    run_ = score_profiles(database)
    truth = truth_report(database, files)
    check = f", AUC vs truth {truth['auc_vs_truth']:.2f}" if truth else ""
    return (
        f"predict: {run_.profiles:,} profiles scored ({run_.customers:,} customers, "
        f"{run_.at_risk:,} at risk), {auc}{run_.seconds:.1f} s{check}"
    )
