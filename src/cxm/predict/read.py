"""Read model of the predict pages and API: what the last scoring run wrote.

Routes and pages call these and render; no SQL lives in them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from cxm.predict.model_store import latest_model
from cxm.store import Database

CLV_BUCKETS = (0, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)


def has_scores(database: Database) -> bool:
    return "profile_scores" in database.table_names() and bool(
        database.scalar("SELECT COUNT(*) FROM profile_scores")
    )


def _reasons(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    loaded = orjson.loads(value)
    return loaded if isinstance(loaded, list) else []


def clv_summary(database: Database, top: int = 20) -> dict[str, Any]:
    """Distribution, deciles, RFM tiers and top customers of the last scoring run."""
    if not has_scores(database):
        return {"scored": False}
    head = database.query_dicts(
        "SELECT COUNT(*) AS profiles, SUM(CASE WHEN is_customer THEN 1 ELSE 0 END) AS customers, "
        "SUM(clv) AS total_clv, AVG(clv) AS mean_clv, MAX(scored_at) AS scored_at, "
        "MAX(model_version) AS model_version, MAX(clv_horizon_days) AS horizon_days, "
        "MAX(clv_method) AS method FROM profile_scores"
    )[0]
    table = database.query_arrow("SELECT clv FROM profile_scores WHERE clv IS NOT NULL")
    values = np.asarray(table.column("clv").to_numpy(zero_copy_only=False), dtype=np.float64)
    edges = np.array([*CLV_BUCKETS, np.inf])
    counts, _ = np.histogram(np.clip(values, 0, None), bins=edges)
    histogram = [
        {
            "bucket": f"{low:g}+" if high == np.inf else f"{low:g}–{high:g}",
            "customers": int(count),
        }
        for low, high, count in zip(edges[:-1], edges[1:], counts, strict=True)
    ]
    deciles = database.query_dicts(
        "SELECT clv_decile AS decile, COUNT(*) AS customers, AVG(clv) AS mean_clv, "
        "SUM(clv) AS total_clv, AVG(churn_risk) AS mean_risk FROM profile_scores "
        "WHERE clv_decile IS NOT NULL GROUP BY clv_decile ORDER BY clv_decile DESC"
    )
    tiers = database.query_dicts(
        "SELECT rfm_tier AS tier, COUNT(*) AS profiles, AVG(clv) AS mean_clv, "
        "AVG(churn_risk) AS mean_risk, AVG(p_alive) AS mean_p_alive FROM profile_scores "
        "GROUP BY rfm_tier ORDER BY AVG(clv) DESC NULLS LAST"
    )
    top_customers = database.query_dicts(
        "SELECT profile_id, clv, p_alive, expected_purchases, frequency, monetary, churn_risk, "
        "rfm_tier, clv_decile FROM profile_scores WHERE clv IS NOT NULL "
        "ORDER BY clv DESC, profile_id LIMIT ?",
        [top],
    )
    return {
        "scored": True,
        **head,
        "histogram": histogram,
        "deciles": deciles,
        "rfm_tiers": tiers,
        "top_customers": top_customers,
    }


def at_risk(database: Database, limit: int = 50, cause: str | None = None) -> list[dict[str, Any]]:
    """Win-back candidates ranked by value × risk (optionally one cause)."""
    if "winback_candidates" not in database.table_names():
        return []
    where = "WHERE w.cause = ?" if cause else ""
    params: list[Any] = [cause] if cause else []
    rows = database.query_dicts(
        "SELECT w.profile_id, w.cause, w.value, w.risk, w.priority, w.rank_in_cause, "
        "s.churn_reasons, s.rfm_tier, s.clv_decile, s.p_alive, s.model_version, s.scored_at "
        f"FROM winback_candidates w JOIN profile_scores s ON s.profile_id = w.profile_id {where} "
        "ORDER BY w.priority DESC, w.profile_id LIMIT ?",
        [*params, limit],
    )
    for row in rows:
        row["reasons"] = _reasons(row.pop("churn_reasons"))
    return rows


def winback_segments(database: Database) -> list[dict[str, Any]]:
    """One row per cause: how many customers, their value and mean risk."""
    if "winback_candidates" not in database.table_names():
        return []
    return database.query_dicts(
        "SELECT cause, COUNT(*) AS customers, SUM(value) AS value, AVG(risk) AS mean_risk, "
        "SUM(priority) AS value_at_risk FROM winback_candidates GROUP BY cause "
        "ORDER BY SUM(priority) DESC"
    )


def profile_scores(database: Database, profile_id: str) -> dict[str, Any] | None:
    if "profile_scores" not in database.table_names():
        return None
    rows = database.query_dicts("SELECT * FROM profile_scores WHERE profile_id = ?", [profile_id])
    if not rows:
        return None
    row = rows[0]
    row["churn_reasons"] = _reasons(row.get("churn_reasons"))
    return row


def model_report(database: Database) -> dict[str, Any]:
    """Latest churn model, CLV fit and scoring run (reports only, no payloads)."""
    out: dict[str, Any] = {}
    for kind in ("churn", "clv", "score_run"):
        model = latest_model(database, kind, with_payload=False)
        out[kind] = (
            None
            if model is None
            else {"version": model.version, "created_at": model.created_at, **model.report}
        )
    return out
