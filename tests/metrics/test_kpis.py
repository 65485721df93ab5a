"""Every KPI of the catalogue against a hand-computed example, on DuckDB and PostgreSQL."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from cxm.metrics import catalogue, formulas
from cxm.metrics.query import KpiQuery, QueryError
from cxm.store import Database
from tests.metrics.fixtures import (
    MARCH,
    add_answer,
    add_customer,
    add_event,
    add_order,
    add_ticket,
    at,
)


def _surveys(database: Database) -> None:
    if "survey_answers" not in database.table_names():
        pytest.skip("survey_answers (voc migration 0005) is not in this tree yet")


def value(database: Database, kpi: str, query: KpiQuery = MARCH) -> float:
    result = catalogue.report(database, kpi, query).data.current.value
    assert result is not None, kpi
    return float(result)


def test_nps_period_previous_breakdown_and_series(database: Database) -> None:
    _surveys(database)
    # March: promoters 10, 9, 10; passives 8, 7; detractors 6, 0 → (3 − 2)/7 = 14.29
    for score, channel in ((10, "web"), (9, "web"), (10, "email"), (8, "web"), (7, "email")):
        add_answer(database, "nps", score, at("2026-03-03"), channel=channel)
    add_answer(database, "nps", 6, at("2026-03-20"), channel="email")
    add_answer(database, "nps", 0, at("2026-03-20"), channel="email")
    add_answer(database, "nps", 3, at("2026-02-10"))  # previous period: −100
    add_answer(database, "nps", 10, at("2026-04-01"))  # after the period: ignored
    query = KpiQuery(MARCH.start, MARCH.end, "week", by="channel")
    report = catalogue.report(database, "nps", query)
    current = report.data.current
    assert current.n == 7
    assert current.value == pytest.approx(100 / 7)
    p, d = 3 / 7, 2 / 7
    assert current.detail["margin_of_error"] == pytest.approx(
        196 * math.sqrt((p + d - (p - d) ** 2) / 7)
    )
    assert report.data.previous.value == pytest.approx(-100.0)
    payload = report.as_dict()
    assert payload["change"]["difference"] == pytest.approx(100 / 7 + 100, abs=1e-4)
    groups = {g["group"]: g["value"] for g in payload["breakdown"]}
    # web: 10, 9, 8 → 66.67; email: 10, 7, 6, 0 → (1 − 2)/4 = −25
    assert groups == {"web": pytest.approx(200 / 3, abs=1e-4), "email": pytest.approx(-25.0)}
    assert sum(point.value.n for point in report.data.series) == 7
    assert report.data.series[0].start == datetime(2026, 3, 1, tzinfo=UTC)


def test_csat_from_surveys_top_two_box_with_wilson(database: Database) -> None:
    _surveys(database)
    for score in (5, 4, 3, 2):
        add_answer(database, "csat", score, at("2026-03-05"))
    add_ticket(database, "pA", at("2026-03-05"), csat=1)  # ignored: surveys exist
    result = catalogue.report(database, "csat", MARCH).data.current
    low, high = formulas.wilson_interval(2, 4)
    assert (result.value, result.n) == (50.0, 4)
    assert result.low == pytest.approx(100 * low)
    assert result.high == pytest.approx(100 * high)


def test_csat_falls_back_to_ticket_csat(database: Database) -> None:
    add_ticket(database, "pA", at("2026-03-05"), csat=5)
    add_ticket(database, "pB", at("2026-03-06"), csat=4)
    add_ticket(database, "pC", at("2026-03-07"), csat=2)
    assert value(database, "csat") == pytest.approx(200 / 3)


def test_ces_mean_and_agree_share(database: Database) -> None:
    _surveys(database)
    for score in (7, 5, 3):
        add_answer(database, "ces", score, at("2026-03-05"))
    result = catalogue.report(database, "ces", MARCH).data.current
    assert result.value == pytest.approx(5.0)
    assert result.detail["agree_percent"] == pytest.approx(200 / 3)
    # sd of 7, 5, 3 is 2 → 5 ± 1.96·2/√3
    assert result.high == pytest.approx(5 + 1.96 * 2 / math.sqrt(3))


def test_personalisation_gap(database: Database) -> None:
    _surveys(database)
    for score in (5, 4, 2, 5):
        add_answer(database, "rating", score, at("2026-03-05"), item="personalisation_importance")
    for score in (4, 1, 2, 3):
        add_answer(database, "rating", score, at("2026-03-05"), item="personalisation_experience")
    assert value(database, "personalisation_gap") == pytest.approx(50.0)


def test_personalisation_gap_without_the_question_is_no_data(database: Database) -> None:
    _surveys(database)
    add_answer(database, "nps", 9, at("2026-03-05"))
    report = catalogue.report(database, "personalisation_gap", MARCH)
    assert report.data.status == "no_data"
    assert report.data.current.value is None


def _customers(database: Database) -> None:
    """Active = ordered in the 365 days before; March 2026: S = {A, B, C}, E = {A, C, D},
    N = {D}, lost = {B}."""
    bed = [{"product_id": "LUM-BED-001", "quantity": 1, "price": 40.0}]
    add_order(database, "A", at("2025-06-01"), 40.0, bed)
    add_order(
        database,
        "A",
        at("2026-03-10"),
        100.0,
        [{"product_id": "LUM-BED-002", "quantity": 1, "price": 100.0}],
    )  # same category, dearer: upsell
    add_order(database, "B", at("2025-03-15"), 20.0, bed)  # lapses during March
    add_order(database, "C", at("2025-12-01"), 60.0, bed)
    add_order(
        database,
        "D",
        at("2026-03-05"),
        50.0,
        [{"product_id": "LUM-BATH-001", "quantity": 1, "price": 50.0}],
    )
    add_order(
        database,
        "D",
        at("2026-03-20"),
        78.0,
        [{"product_id": "LUM-KITCH-001", "quantity": 1, "price": 78.0}],
        currency="CNY",
        channel="app",
    )  # new category: cross-sell; 78 CNY = 10 EUR
    add_order(database, "E", at("2024-01-01"), 30.0, bed)


def test_retention_is_e_minus_n_over_s_not_over_n(database: Database) -> None:
    _customers(database)
    result = catalogue.report(database, "retention_rate", MARCH).data.current
    assert result.value == pytest.approx(100 * (3 - 1) / 3)
    assert result.value != pytest.approx(100 * (3 - 1) / 1)  # the misprinted /N
    assert result.detail["customers_at_start"] == 3
    assert result.detail["customers_at_end"] == 3
    assert result.detail["new_customers"] == 1


def test_churn_rate(database: Database) -> None:
    _customers(database)
    assert value(database, "churn_rate") == pytest.approx(100 / 3)


def test_repeat_purchase_rate(database: Database) -> None:
    _customers(database)
    # March buyers: A (1 order), D (2 orders) → 1 of 2
    assert value(database, "repeat_purchase_rate") == pytest.approx(50.0)


def test_average_order_value_in_reporting_currency(database: Database) -> None:
    _customers(database)
    assert value(database, "aov") == pytest.approx((100 + 50 + 10) / 3)


def test_historical_clv(database: Database) -> None:
    _customers(database)
    # to 1 April: A 140, B 20, C 60, D 60, E 30 → 62
    assert value(database, "clv_historical") == pytest.approx(62.0)


def test_upsell_and_cross_sell(database: Database) -> None:
    _customers(database)
    # repeat orders in March: A's (dearer bed: upsell), D's second (kitchen: cross-sell)
    assert value(database, "upsell_rate") == pytest.approx(50.0)
    assert value(database, "cross_sell_rate") == pytest.approx(50.0)


def _tickets(database: Database) -> None:
    add_ticket(database, "A", at("2026-03-02"), response_hours=2, resolution_hours=10, csat=5)
    add_ticket(database, "B", at("2026-03-03"), response_hours=4, resolution_hours=30, contacts=2)
    add_ticket(database, "C", at("2026-03-04"), response_hours=6)  # open
    add_ticket(
        database, "D", at("2026-03-05"), response_hours=3, resolution_hours=20, reopened=True
    )
    add_ticket(database, "D", at("2026-02-05"), response_hours=50, resolution_hours=60)


def test_first_response_and_resolution_times(database: Database) -> None:
    _tickets(database)
    assert value(database, "first_response_time") == pytest.approx((2 + 4 + 6 + 3) / 4)
    assert value(database, "avg_resolution_time") == pytest.approx((10 + 30 + 20) / 3)
    previous = catalogue.report(database, "first_response_time", MARCH).data.previous
    assert previous.value == pytest.approx(50.0)


def test_first_contact_resolution_and_reopen_rate(database: Database) -> None:
    _tickets(database)
    assert value(database, "first_contact_resolution") == pytest.approx(100 / 3)
    assert value(database, "reopen_rate") == pytest.approx(100 / 3)


def test_contacts_per_order(database: Database) -> None:
    _tickets(database)
    _customers(database)
    # March: contacts 1 + 2 + 1 + 1 = 5 over 3 orders
    assert value(database, "contacts_per_order") == pytest.approx(5 / 3)


def test_self_service_adoption(database: Database) -> None:
    help_view = "Help Center Viewed"
    add_event(database, "X", help_view, at("2026-03-10", 10))
    add_event(database, "X", help_view, at("2026-03-10", 10.1))  # same visit
    add_event(database, "X", help_view, at("2026-03-10", 12))  # second visit (> 30 min)
    add_ticket(database, "X", at("2026-03-10", 12.5))  # follows both visits
    add_event(database, "Y", help_view, at("2026-03-11", 9))  # no ticket: served
    add_event(database, "Z", help_view, at("2026-03-12", 8))
    add_ticket(database, "Z", at("2026-03-14", 8))  # two days later: still served
    result = catalogue.report(database, "self_service_adoption", MARCH).data.current
    assert (result.value, result.n) == (50.0, 4)


def test_person_dimension_breakdown_and_filter(database: Database) -> None:
    _customers(database)
    for profile, country in (("A", "DE"), ("B", "DE"), ("C", "CN"), ("D", "CN"), ("E", "CN")):
        add_customer(database, profile, country)
    query = KpiQuery(MARCH.start, MARCH.end, "month", by="country")
    groups = {
        g.key: g.value.value for g in catalogue.report(database, "churn_rate", query).data.groups
    }
    assert groups == {"DE": pytest.approx(50.0), "CN": pytest.approx(0.0)}
    filtered = KpiQuery(MARCH.start, MARCH.end, "month", filters=(("country", "CN"),))
    assert catalogue.report(database, "aov", filtered).data.current.value == pytest.approx(30.0)


def test_unknown_dimension_and_unknown_kpi(database: Database) -> None:
    with pytest.raises(QueryError) as error:
        catalogue.report(database, "aov", KpiQuery(MARCH.start, MARCH.end, "month", by="colour"))
    assert error.value.field == "by"
    with pytest.raises(QueryError) as error:
        catalogue.report(
            database, "churn_rate", KpiQuery(MARCH.start, MARCH.end, "month", by="touchpoint")
        )
    assert "cannot be broken down" in error.value.reason
    with pytest.raises(catalogue.UnknownKpi):
        catalogue.report(database, "happiness", MARCH)


def test_every_kpi_runs_on_an_empty_database(database: Database) -> None:
    for kpi in catalogue.KPIS:
        report = catalogue.report(database, kpi.id, MARCH)
        assert report.data.status == "no_data", kpi.id


def test_segment_and_lifecycle_stage_breakdowns(database: Database) -> None:
    tables = database.table_names()
    if "segment_members" not in tables or "lifecycle_stages" not in tables:
        pytest.skip("engage (0010) or journeys (0007) migration not in this tree yet")
    _customers(database)
    now = at("2026-01-01")
    database.execute(
        "INSERT INTO segments (segment_id, name, conditions, created_at, updated_at) "
        "VALUES ('s1', 'VIP', '{}', ?, ?)",
        [now, now],
    )
    for person in ("A", "D"):
        database.execute(
            "INSERT INTO segment_members (segment_id, profile_id, entered_at) VALUES ('s1', ?, ?)",
            [person, now],
        )
    for person, stage in (("A", "retention"), ("D", "conversion"), ("B", "retention")):
        database.execute(
            "INSERT INTO lifecycle_stages (profile_id, stage, entered_at, updated_at) "
            "VALUES (?, ?, ?, ?)",
            [person, stage, now, now],
        )
    by_segment = catalogue.report(database, "aov", KpiQuery(MARCH.start, MARCH.end, by="segment"))
    # VIP members' March orders: A 100, D 50 and 10 → 53.33; non-members are not a group
    assert {g.key: g.value.value for g in by_segment.data.groups} == {"VIP": pytest.approx(160 / 3)}
    by_stage = catalogue.report(
        database, "churn_rate", KpiQuery(MARCH.start, MARCH.end, by="lifecycle_stage")
    )
    # active at start: A, B (retention), C (no stage: unknown); lost: B
    groups = {g.key: g.value.value for g in by_stage.data.groups}
    assert groups == {"retention": pytest.approx(50.0), "unknown": pytest.approx(0.0)}
    filtered = KpiQuery(MARCH.start, MARCH.end, filters=(("segment", "VIP"),))
    assert catalogue.report(database, "repeat_purchase_rate", filtered).data.current.value == 50.0


def test_overview_shares_work_but_gives_each_kpi_its_own_figures(database: Database) -> None:
    """The Overview computes KPIs that read the same rows together (orders once for
    churn, retention and CLV; one scan for upsell + cross-sell and for the ticket KPIs);
    every card must still show exactly what that KPI's own report gives."""
    from cxm.metrics.dashboard import format_value, overview_cards

    _customers(database)
    _tickets(database)
    cards = {c.kpi["id"]: c for c in overview_cards(database, MARCH)}
    shared_ids = (
        "churn_rate",
        "retention_rate",
        "clv_historical",
        "upsell_rate",
        "cross_sell_rate",
        "first_response_time",
        "avg_resolution_time",
        "first_contact_resolution",
        "reopen_rate",
    )
    for kpi_id in shared_ids:
        alone = catalogue.report(database, kpi_id, MARCH).data
        assert alone.current.value is not None, kpi_id
        card = cards[kpi_id]
        assert card.value == format_value(alone.current.value, catalogue.get(kpi_id).unit)
        assert card.n == alone.current.n
        assert card.spark["values"] == [
            None if p.value.value is None else round(p.value.value, 4) for p in alone.series
        ]
    # the hand-computed figures, through the shared path
    assert cards["upsell_rate"].value == "50.0%"
    assert cards["churn_rate"].value == format_value(100 / 3, "%")
