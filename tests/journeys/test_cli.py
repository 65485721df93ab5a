"""``cxm journeys`` commands on a DuckDB file of the test's own."""

from __future__ import annotations

import json
from pathlib import Path

from cxm.store import open_database
from tests.journeys.fixtures import Ev, add_events, at
from tests.support.cli import cxm


def _load(path: Path) -> None:
    database = open_database(f"duckdb:///{path}")
    add_events(
        database,
        [
            Ev("k1", "A", at(0)), Ev("k1", "B", at(1)), Ev("k1", "C", at(2)),
            Ev("k2", "A", at(0)), Ev("k2", "C", at(1)), Ev("k2", "B", at(2)),
            Ev("k3", "A", at(7)), Ev("k3", "A", at(15)),
        ],
    )  # fmt: skip
    database.close()


def test_funnel_and_retention_json(database_file: Path) -> None:
    _load(database_file)
    code, output = cxm("journeys", "funnel", "--steps", "A,B,C", "--json")
    assert code == 0, output
    assert [s["persons"] for s in json.loads(output)["step_stats"]] == [3, 2, 1]
    code, output = cxm("journeys", "funnel", "--steps", "A,B,C", "--order", "any", "--json")
    assert [s["persons"] for s in json.loads(output)["step_stats"]] == [3, 2, 2]
    code, output = cxm("journeys", "funnel", "--steps", "A,B,C", "--by", "week", "--json")
    assert [(p["period"], p["entered"]) for p in json.loads(output)["trend"]] == [
        ("2025-01-06", 2),
        ("2025-01-13", 1),
    ]
    code, output = cxm(
        "journeys", "retention", "--start-event", "A", "--return-event", "A",
        "--period", "week", "--json",
    )  # fmt: skip
    assert code == 0, output
    cohorts = json.loads(output)["cohorts"]
    assert [(c["cohort"], c["size"], c["retained"][:2]) for c in cohorts] == [
        ("2025-01-06", 2, [2, 0]),
        ("2025-01-13", 1, [1, 1]),  # k3 did A again on d15 (next week)
    ]
    code, output = cxm("journeys", "stages", "refresh", "--json")
    assert code == 0, output


def test_bad_options_name_the_option(database_file: Path) -> None:
    _load(database_file)
    code, output = cxm("journeys", "funnel", "--steps", "A,B", "--order", "random")
    assert code == 2 and "--order" in output
    code, output = cxm("journeys", "funnel", "--steps", "A,B", "--window", "x")
    assert code == 2 and "--window" in output
    code, output = cxm(
        "journeys", "retention", "--start-event", "A", "--return-event", "A", "--period", "year"
    )
    assert code == 2 and "--period" in output
