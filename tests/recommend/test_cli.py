"""cxm recommend train | export | evaluate against a DuckDB file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from cxm.store import open_database
from tests.recommend.shop import build_shop
from tests.support.cli import cxm, database_file  # noqa: F401  (fixture)


def _shop(path: Path) -> None:
    database = open_database(f"duckdb:///{path}")
    build_shop(database)
    database.close()


def test_train_export_evaluate(database_file: Path, tmp_path: Path) -> None:  # noqa: F811
    _shop(database_file)
    code, output = cxm("recommend", "export", "--kind", "combined", "--out", str(tmp_path / "x"))
    assert code == 1 and "model" in output and "cxm recommend train" in output
    code, output = cxm("recommend", "train", "--until", "2026-05-30")
    assert code == 0, output
    assert "8 items" in output and "until 2026-05-30" in output

    out = tmp_path / "recs.csv"
    code, output = cxm("recommend", "export", "--kind", "trending", "--k", "3", "--out", str(out))
    assert code == 0, output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:3] == ["profile_id", "rank", "item_id"]
    profiles = {row["profile_id"] for row in rows}
    assert len(profiles) == 10  # every known profile, p-new included
    a1 = [row for row in rows if row["profile_id"] == "p-a1"]
    assert [row["rank"] for row in a1] == ["1", "2", "3"]
    assert "A1" not in {row["item_id"] for row in a1}  # bought
    assert a1[0]["identifiers"] == "email:a1@example.com"

    code, output = cxm("recommend", "evaluate", "--split-date", "2026-05-27", "--k", "2", "--json")
    assert code == 0, output
    figures = json.loads(output)
    assert figures["persons_evaluated"] == 8
    assert set(figures["kinds"]["popularity"]) == {"precision@2", "recall@2", "ndcg@2"}


def test_bad_options_name_the_option(database_file: Path, tmp_path: Path) -> None:  # noqa: F811
    _shop(database_file)
    for args, option in (
        (("train", "--until", "yesterday"), "--until"),
        (("train", "--factors", "0"), "--factors"),
        (("export", "--kind", "best", "--out", str(tmp_path / "x.csv")), "--kind"),
        (("evaluate", "--split-date", "2026-05-27", "--k", "0"), "--k"),
        (("evaluate", "--split-date", "1999-01-01"), "--split-date"),
    ):
        code, output = cxm("recommend", *args)
        assert code != 0 and option in output, (args, output)
