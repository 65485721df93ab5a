"""The predict API, pages and profile panel over real HTTP, on the small demo.

One module-scoped store: the small demo generated and loaded through the same
paths as `cxm demo`, then the predict demo stage (train churn, score everyone).
DuckDB only: the storage side runs on both backends in test_churn.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cxm.api.app import create_app
from cxm.auth import create_api_key
from cxm.demo import stage_predict
from cxm.demo.config import DemoConfig
from cxm.demo.generate import ensure_generated
from cxm.demo.load import load
from cxm.settings import Settings
from cxm.store import Database, open_database
from tests.support.inprocess import serve_in_thread


@dataclass
class Demo:
    database: Database
    secure: str  # base URL, authentication required
    open: str  # base URL, CXM_AUTH_REQUIRED=false (pages)
    keys: dict[str, str]
    summary: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    tmp = tmp_path_factory.mktemp("predict-demo")
    url = f"duckdb:///{tmp / 'cxm.duckdb'}"
    database = open_database(url)
    files, _ = ensure_generated(DemoConfig(customers=500, events=20_000), tmp / "data")
    load(database, files)
    summary = stage_predict.run(database, files, lambda _: None)
    keys = {
        scope: create_api_key(database, scope, [scope], "test")[1]
        for scope in ("analytics:read", "profiles:read", "models:write")
    }
    secure = create_app(Settings(database_url=url, secret_key="t"), database=database)
    public = create_app(
        Settings(database_url=url, secret_key="t", auth_required=False), database=database
    )
    try:
        with serve_in_thread(secure) as secure_url, serve_in_thread(public) as open_url:
            yield Demo(database, secure_url, open_url, keys, summary)
    finally:
        database.close()


def _get(demo: Demo, path: str, scope: str, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {demo.keys[scope]}"}
    return httpx.get(f"{demo.secure}{path}", headers=headers, params=params, timeout=30)


def test_demo_stage_scores_everyone(demo: Demo) -> None:
    assert "profiles scored" in demo.summary and "AUC vs truth" in demo.summary
    profiles = demo.database.scalar("SELECT COUNT(*) FROM profiles WHERE merged_into IS NULL")
    assert demo.database.scalar("SELECT COUNT(*) FROM profile_scores") == profiles


def test_clv_summary_api(demo: Demo) -> None:
    body = _get(demo, "/v1/predict/clv/summary", "analytics:read").json()
    assert body["scored"] and body["customers"] > 100
    assert sum(h["customers"] for h in body["histogram"]) == body["customers"]
    assert [d["decile"] for d in body["deciles"]] == list(range(10, 0, -1))
    assert "top_customers" not in body
    assert _get(demo, "/v1/predict/clv/summary", "analytics:read", top=500).status_code == 400
    assert _get(demo, "/v1/predict/clv/summary", "profiles:read").status_code == 403


def test_at_risk_api_ranks_by_value_times_risk(demo: Demo) -> None:
    response = _get(demo, "/v1/predict/at-risk", "profiles:read", limit=20)
    assert response.status_code == 200, response.text
    rows = response.json()["customers"]
    assert rows and len(rows) <= 20
    priorities = [r["priority"] for r in rows]
    assert priorities == sorted(priorities, reverse=True)
    assert all(r["risk"] >= 0.5 and r["cause"] for r in rows)
    assert any(r["reasons"] for r in rows)
    bad = _get(demo, "/v1/predict/at-risk", "profiles:read", limit=0)
    assert bad.status_code == 400 and bad.json()["field"] == "limit"
    assert _get(demo, "/v1/predict/at-risk", "analytics:read").status_code == 403
    audited = demo.database.scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'predict.at_risk'"
    )
    assert audited >= 1


def test_profile_scores_api(demo: Demo) -> None:
    pid = demo.database.scalar(
        "SELECT profile_id FROM profile_scores WHERE is_customer ORDER BY clv DESC LIMIT 1"
    )
    body = _get(demo, f"/v1/profiles/{pid}/scores", "profiles:read").json()
    assert body["profile_id"] == pid and body["clv"] > 0 and 0 <= body["p_alive"] <= 1
    assert isinstance(body["churn_reasons"], list) and body["model_version"]
    missing = _get(demo, "/v1/profiles/nobody@example.org/scores", "profiles:read")
    assert missing.status_code == 404 and missing.json()["field"] == "identifier"


def test_score_api_needs_models_write_and_validates(demo: Demo) -> None:
    headers = {"Authorization": f"Bearer {demo.keys['profiles:read']}"}
    denied = httpx.post(f"{demo.secure}/v1/predict/score", headers=headers, json={})
    assert denied.status_code == 403
    headers = {"Authorization": f"Bearer {demo.keys['models:write']}"}
    bad = httpx.post(f"{demo.secure}/v1/predict/score", headers=headers, json={"discount_rate": 2})
    assert bad.status_code == 400 and bad.json()["field"] == "discount_rate"
    bad = httpx.post(
        f"{demo.secure}/v1/predict/churn/train", headers=headers, json={"label": "nonsense"}
    )
    assert bad.status_code == 400 and bad.json()["field"] == "label"
    ok = httpx.post(f"{demo.secure}/v1/predict/score", headers=headers, json={}, timeout=60)
    assert ok.status_code == 200, ok.text
    assert ok.json()["profiles"] == demo.database.scalar("SELECT COUNT(*) FROM profile_scores")


def test_pages_render(demo: Demo) -> None:
    value = httpx.get(f"{demo.open}/predict", timeout=30)
    assert value.status_code == 200 and "Top customers by CLV" in value.text
    assert 'href="/predict" aria-current="page"' in value.text
    churn = httpx.get(f"{demo.open}/predict/churn", timeout=30)
    assert churn.status_code == 200 and "Win-back segments" in churn.text
    assert "days since last" in churn.text or "tickets" in churn.text
    model = httpx.get(f"{demo.open}/predict/model", timeout=30)
    assert model.status_code == 200 and "CV AUC" in model.text and "BG/NBD" in model.text
    pid = demo.database.scalar(
        "SELECT profile_id FROM winback_candidates ORDER BY priority DESC LIMIT 1"
    )
    profile = httpx.get(f"{demo.open}/profiles/{pid}", timeout=30)
    assert profile.status_code == 200 and "Value and churn risk" in profile.text
    assert "Why at risk" in profile.text


@pytest.mark.browser
def test_value_page_draws_charts_in_chromium(demo: Demo, chromium: Any) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{demo.open}/predict")
        page.wait_for_function("() => document.querySelector('#histogram-chart canvas')")
        painted = page.evaluate(
            "() => { const c = document.querySelector('#histogram-chart canvas');"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"
        )
        assert painted > 1000
        page.goto(f"{demo.open}/predict/churn")
        rows = page.locator("table.at-risk tbody tr")
        assert rows.count() > 5
        page.locator("table.winback a").first.click()
        page.wait_for_url("**/predict/churn?cause=*")
        assert page.locator("table.at-risk tbody tr").count() >= 1
        assert errors == []
    finally:
        context.close()
