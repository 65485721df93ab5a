"""`cxm predict churn train` and `cxm predict score`, the issue's exact commands."""

from __future__ import annotations

import json
from pathlib import Path

from cxm.store import open_database
from tests.predict.world import build_world
from tests.support.cli import cxm


def test_churn_train_and_score_commands(database_file: Path) -> None:
    database = open_database(f"duckdb:///{database_file}")
    try:
        build_world(database, n=120)
    finally:
        database.close()
    code, output = cxm("predict", "churn", "train", "--label", "inactive", "--json")
    assert code == 0, output
    report = json.loads(output)
    assert report["cv_auc"] > 0.8 and report["top_drivers"]
    assert report["model_version"].startswith("churn-")
    code, output = cxm("predict", "score", "--json")
    assert code == 0, output
    run = json.loads(output)
    assert run["profiles"] == 120 and run["churn_model"] == report["model_version"]
    code, output = cxm("predict", "churn", "train", "--label", "nonsense")
    assert code != 0 and "--label" in output
    code, output = cxm("predict", "score", "--discount-rate", "1.5")
    assert code != 0 and "--discount-rate" in output
