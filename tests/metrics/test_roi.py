"""CX ROI by NPS group and CSAT band, revenue at risk, closing the loop — hand-computed."""

from __future__ import annotations

import pytest

from cxm.metrics.roi import cx_roi
from cxm.store import Database
from tests.metrics.fixtures import MARCH, add_answer, add_order, add_ticket, at


def test_roi_groups_revenue_at_risk_and_loop(database: Database) -> None:
    tables = database.table_names()
    if "survey_answers" not in tables or "cases" not in tables:
        pytest.skip("voc migration 0005 is not in this tree yet")
    # P: promoter, active at start (order 2025-12) and in March; D1, D2 detractors
    add_answer(database, "nps", 10, at("2026-02-01"), profile_id="P")
    add_answer(database, "nps", 3, at("2026-01-01"), profile_id="D1")
    add_answer(database, "nps", 9, at("2025-12-01"), profile_id="D1")  # older: not the latest
    add_answer(database, "nps", 5, at("2026-02-01"), profile_id="D2")
    add_order(database, "P", at("2025-12-01"), 100.0)
    add_order(database, "P", at("2026-03-05"), 60.0)
    add_order(database, "D1", at("2025-12-10"), 40.0)
    add_order(database, "D1", at("2026-02-10"), 20.0)  # after the answer: repurchase
    add_order(database, "D2", at("2025-03-10"), 30.0)  # lapses during March
    add_ticket(database, "P", at("2026-03-02"), csat=5)
    add_ticket(database, "D2", at("2026-03-02"), csat=2)
    database.execute(
        "INSERT INTO cases (case_id, profile_id, reason, status, created_at, updated_at) "
        "VALUES ('k1', 'D1', 'detractor', 'closed', ?, ?)",
        [at("2026-01-02"), at("2026-01-05")],
    )
    report = cx_roi(database, MARCH.start, MARCH.end)
    groups = {g.group: g for g in report.by_nps}
    assert list(groups) == ["promoter", "detractor"]
    promoter, detractor = groups["promoter"], groups["detractor"]
    assert (promoter.customers, promoter.spend_per_customer, promoter.clv_historical) == (
        1,
        60.0,
        160.0,
    )
    assert (detractor.customers, detractor.spend_per_customer) == (2, 0.0)
    assert detractor.clv_historical == pytest.approx((60 + 30) / 2)
    # both detractors active at start; D1 still active at the end, D2 lapsed
    assert (detractor.active_at_start, detractor.retained, detractor.churn) == (2, 1, 50.0)
    if report.csat_source == "tickets":
        bands = {g.group: g.customers for g in report.by_csat}
        assert bands == {"satisfied": 1, "dissatisfied": 1}
    # revenue in the 365 days to 1 April of detractors: D1 60 (D2's order is older)
    if report.risk_source == "detractors only":
        assert report.revenue_at_risk == pytest.approx(60.0)
        assert report.at_risk_customers == 1
    loop = report.loop
    assert loop is not None
    assert (loop.closed_n, loop.closed_repurchase, loop.other_n, loop.other_repurchase) == (
        1,
        100.0,
        1,
        0.0,
    )
