"""The demo stage on a few hand-made people: journeys, segments, replay with holdout."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from cxm.demo.files import DemoFiles
from cxm.demo.stage_engage import run
from cxm.engage.journeys import list_journeys
from cxm.engage.report import journey_report
from cxm.store import Database
from tests.engage.people import add_event, add_profile


@pytest.mark.backends("duckdb")
def test_demo_stage_sets_up_live_journeys_and_a_replay(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CXM_ENGAGE_SINK_DIR", raising=False)
    for i in range(6):
        add_profile(database, f"p{i}", country="DE", email=f"p{i}@example.de")
        add_event(database, f"p{i}", "Order Completed", ago=timedelta(days=200))
        add_event(database, f"p{i}", "Checkout Started", ago=timedelta(days=3))
    database.execute(
        "INSERT INTO identifiers (id_type, id_value, profile_id, first_seen_at, last_seen_at) "
        "SELECT 'email', email, profile_id, imported_at, imported_at FROM customer_records"
    )
    summary = run(database, DemoFiles(tmp_path, {}, []), lambda _: None)
    # The stage sends nothing and leaves the process alone (tests run it in-process;
    # `cxm demo` itself points the serving process's sends at the sink).
    assert "CXM_ENGAGE_SINK_DIR" not in os.environ
    again = run(database, DemoFiles(tmp_path, {}, []), lambda _: None)
    assert summary.startswith("engage: 4 active journeys")
    assert {j.name for j in list_journeys(database, "active")} == {
        "detractor follow-up",
        "churn-risk win-back",
        "post-purchase survey",
        "abandoned cart",
    }
    cart = journey_report(database, "abandoned cart")
    assert cart.entries == 6  # six checkouts without an order within the hour
    winback = journey_report(database, "churn-risk win-back")
    assert winback.entries == 6  # bought 200 days ago, not since
    assert sum(g.entries for g in winback.groups) == 6
    assert again.endswith("already there")
