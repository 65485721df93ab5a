"""Key driver analysis recovers known drivers from synthetic survey data."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from cxm.metrics.drivers import analyse, key_drivers, relative_weights
from cxm.store import Database
from tests.metrics.fixtures import at


def test_relative_weights_sum_to_r_squared_and_match_uncorrelated_case() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((20_000, 3))
    y = 0.6 * x[:, 0] + 0.3 * x[:, 1] + rng.standard_normal(20_000) * 0.5
    weights = relative_weights(x, y)
    # uncorrelated predictors: each weight is its squared correlation with y
    r = [np.corrcoef(x[:, j], y)[0, 1] ** 2 for j in range(3)]
    assert weights == pytest.approx(r, abs=2e-3)
    fitted = np.linalg.lstsq(np.column_stack([x, np.ones(len(y))]), y, rcond=None)[0]
    residual = y - np.column_stack([x, np.ones(len(y))]) @ fitted
    assert weights.sum() == pytest.approx(1 - residual.var() / y.var(), abs=1e-6)


def test_relative_weights_split_shared_variance_of_correlated_predictors() -> None:
    # Johnson (2000): two nearly identical predictors share the importance evenly
    rng = np.random.default_rng(2)
    base = rng.standard_normal(20_000)
    x = np.column_stack(
        [
            base + 0.1 * rng.standard_normal(20_000),
            base + 0.1 * rng.standard_normal(20_000),
            rng.standard_normal(20_000),
        ]
    )
    y = base + 0.5 * rng.standard_normal(20_000)
    weights = relative_weights(x, y)
    assert weights[0] == pytest.approx(weights[1], rel=0.05)
    assert weights[2] < 0.01


def test_analyse_ranks_known_drivers_and_flags_noise_as_insignificant() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(1, 6, size=(3000, 4)).astype(float)
    y = np.clip(
        np.round(1.2 * x[:, 0] + 0.9 * x[:, 1] + 0.2 * x[:, 2] - 3 + rng.normal(0, 1, 3000)), 0, 10
    )
    result = analyse(
        x, y, ["delivery", "support", "price", "noise"], [80, 40, 60, 50], "nps", "attributes"
    )
    assert [d.name for d in result.drivers] == ["delivery", "support", "price", "noise"]
    by_name = {d.name: d for d in result.drivers}
    assert by_name["delivery"].significant and by_name["support"].significant
    assert not by_name["noise"].significant
    assert by_name["delivery"].quadrant.startswith("strength")  # important, performs well
    assert by_name["support"].quadrant.startswith("priority")  # important, performs badly
    assert sum(d.share for d in result.drivers) == pytest.approx(100.0)


def test_key_drivers_from_survey_answers(database: Database) -> None:
    if "survey_answers" not in database.table_names():
        pytest.skip("survey_answers (voc migration 0005) is not in this tree yet")
    rng = np.random.default_rng(4)
    n = 400
    delivery = rng.integers(1, 6, n).astype(float)
    website = rng.integers(1, 6, n).astype(float)
    nps = np.clip(np.round(2.2 * delivery - 1 + rng.normal(0, 1, n)), 0, 10)
    rows: dict[str, list[object]] = {
        k: []
        for k in (
            "response_id",
            "survey_id",
            "question_id",
            "question_type",
            "item",
            "score",
            "answered_at",
        )
    }
    for i in range(n):
        for qid, qtype, item, score in (
            ("nps", "nps", "", nps[i]),
            ("attrs", "rating", "delivery", delivery[i]),
            ("attrs", "rating", "website", website[i]),
        ):
            for key, val in zip(
                rows, (f"r{i}", "s", qid, qtype, item, float(score), at("2026-03-02")), strict=True
            ):
                rows[key].append(val)
    database.append("survey_answers", pa.table(rows))
    result = key_drivers(database, "nps")
    assert result.kind == "attributes" and result.n == n
    assert result.drivers[0].name == "delivery"
    assert result.drivers[0].significant and not result.drivers[1].significant


def test_key_drivers_fall_back_to_touchpoint_experience(database: Database) -> None:
    """No rated attributes: what each respondent went through drives their NPS."""
    if "survey_answers" not in database.table_names():
        pytest.skip("survey_answers (voc migration 0005) is not in this tree yet")
    from tests.metrics.fixtures import add_answer, add_ticket

    for i in range(40):
        person = f"p{i}"
        reopened = i % 2 == 0
        add_ticket(database, person, at("2026-02-01"), resolution_hours=5, reopened=reopened)
        add_answer(
            database, "nps", 2 if reopened else 9 + i % 2, at("2026-03-02"), profile_id=person
        )
    result = key_drivers(database, "nps")
    assert result.kind == "touchpoints" and result.n == 40
    top = result.drivers[0]
    assert top.name == "ticket reopened" and top.significant
    assert top.performance == pytest.approx(50.0)  # half reopened, oriented "higher is better"
