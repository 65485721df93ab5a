"""Churn features on a time split, training, reasons and scoring on both backends."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

import numpy as np
import orjson
import pyarrow as pa
import pytest

from cxm.predict.churn import ChurnError, build_labels, train_churn
from cxm.predict.features import build_features
from cxm.predict.model_store import latest_model
from cxm.predict.scoring import score_profiles
from cxm.store import Database
from tests.predict.world import CUTOFF, END, TS, build_world


def _after_cutoff(database: Database, profile_id: str) -> None:
    """Rows strictly after the cutoff: an order, a ticket, an event."""
    at = CUTOFF + timedelta(days=1)
    database.append(
        "orders",
        pa.table(
            {
                "source": ["shop"],
                "order_id": ["late"],
                "customer_id": [profile_id],
                "timestamp": pa.array([at], TS),
                "amount": [999.0],
                "currency": ["EUR"],
                "imported_at": pa.array([END], TS),
                "profile_id": [profile_id],
            }
        ),
    )
    database.append(
        "tickets",
        pa.table(
            {
                "source": ["helpdesk"],
                "ticket_id": ["late"],
                "customer_id": [profile_id],
                "created_at": pa.array([at], TS),
                "reopened": [True],
                "csat": [1],
                "imported_at": pa.array([END], TS),
                "profile_id": [profile_id],
            }
        ),
    )
    key = str(uuid.UUID(hashlib.md5(b"late").hexdigest()))
    database.append(
        "events",
        pa.table(
            {
                "event_key": [key],
                "source_id": ["src-test"],
                "message_id": ["late"],
                "type": ["track"],
                "event": ["Help Center Viewed"],
                "timestamp": pa.array([at], TS),
                "received_at": pa.array([at], TS),
                "channel": ["web"],
                "raw": ["{}"],
                "profile_id": [profile_id],
            }
        ),
    )


def test_features_ignore_everything_after_the_cutoff(database: Database) -> None:
    world = build_world(database, n=40)
    before = build_features(database, CUTOFF)
    _after_cutoff(database, world.profiles[0])
    after = build_features(database, CUTOFF)
    np.testing.assert_array_equal(np.isnan(before.matrix), np.isnan(after.matrix))
    np.testing.assert_allclose(np.nan_to_num(before.matrix), np.nan_to_num(after.matrix))
    # ... while a cutoff past those rows sees them.
    later = build_features(database, CUTOFF + timedelta(days=2), [world.profiles[0]])
    assert later.column("orders_last_90d")[0] == before.column("orders_last_90d")[0] + 1


def test_labels_look_only_after_the_cutoff(database: Database) -> None:
    world = build_world(database, n=60)
    profiles, y, kind = build_labels(database, "inactive", CUTOFF, 90)
    assert kind.startswith("non-contractual")
    churned = {p for p, v in zip(profiles, y, strict=True) if v}
    assert churned == world.churners & set(profiles)
    with pytest.raises(ChurnError) as error:
        build_labels(database, "no_such_label", CUTOFF, 90)
    assert error.value.field == "label"


def test_train_score_and_reasons(database: Database) -> None:
    world = build_world(database, n=240)
    result = train_churn(database, "inactive", horizon_days=90)
    report = result.report
    # Default cutoff: newest data − horizon, i.e. within a day or two of CUTOFF.
    assert abs((datetime.fromisoformat(report["cutoff"]) - CUTOFF).days) <= 3
    assert report["cv_auc"] > 0.85
    assert 0 <= report["brier"] < 0.2
    assert report["precision_top_decile"] > 0.8
    drivers = [d["feature"] for d in report["top_drivers"][:5]]
    assert any(f.startswith("ticket") or f.startswith("days_since") for f in drivers)
    # Persisted with its version (BLOB / BYTEA) and loads back.
    stored = latest_model(database, "churn")
    assert stored is not None and stored.version == report["model_version"]
    assert stored.payload.predict(np.zeros((1, len(stored.payload.feature_names)))).shape == (1,)

    run = score_profiles(database)
    assert run.profiles == len(world.profiles) and run.churn_model == report["model_version"]
    rows = database.query_dicts(
        "SELECT profile_id, churn_risk, churn_reasons, churn_cause, clv, p_alive, rfm_tier, "
        "clv_decile, model_version, scored_at, is_customer FROM profile_scores"
    )
    assert len(rows) == len(world.profiles)
    assert all(r["model_version"] == run.model_version and r["scored_at"] for r in rows)
    customers = [r for r in rows if r["is_customer"]]
    assert len(customers) > 0.9 * len(rows)
    assert all(r["clv"] >= 0 and 0 <= r["p_alive"] <= 1 and r["clv_decile"] for r in customers)
    risk = {r["profile_id"]: r["churn_risk"] for r in rows}
    churn_mean = np.mean([risk[p] for p in world.churners])
    stay_mean = np.mean([risk[p] for p in world.profiles if p not in world.churners])
    assert churn_mean > stay_mean + 0.4
    # Service churners are told apart by their tickets.
    service = [r for r in rows if r["profile_id"] in world.service_churners]
    causes = [r["churn_cause"] for r in service]
    assert causes.count("service problems") > len(service) / 2
    raw = service[0]["churn_reasons"]
    reasons = orjson.loads(raw) if isinstance(raw, str) else raw
    assert reasons and {"feature", "contribution", "text", "cause"} <= set(reasons[0])
    # The win-back list holds at-risk customers only, ranked inside each cause.
    winback = database.query_dicts(
        "SELECT profile_id, cause, risk, priority, rank_in_cause FROM winback_candidates "
        "ORDER BY cause, rank_in_cause"
    )
    assert winback and all(w["risk"] >= 0.5 for w in winback)
    for cause in {w["cause"] for w in winback}:
        ranked = [w["priority"] for w in winback if w["cause"] == cause]
        assert ranked == sorted(ranked, reverse=True)


def test_scoring_without_churn_model_uses_p_alive(database: Database) -> None:
    build_world(database, n=40)
    run = score_profiles(database)
    assert run.churn_model is None
    rows = database.query("SELECT churn_risk, p_alive FROM profile_scores WHERE is_customer")
    assert rows and all(abs(r[0] - (1 - r[1])) < 1e-9 for r in rows)


def test_train_refuses_too_few_labels(database: Database) -> None:
    build_world(database, n=12)
    with pytest.raises(ChurnError) as error:
        train_churn(database, "inactive")
    assert error.value.field == "label"


def test_contractual_labels_from_a_trait_and_an_event(database: Database) -> None:
    world = build_world(database, n=60)
    gone = sorted(world.churners)[:15]
    dates = {p: (CUTOFF + timedelta(days=10)).date().isoformat() for p in gone}
    dates[gone[0]] = (CUTOFF - timedelta(days=30)).date().isoformat()  # churned before: excluded
    for pid in world.profiles:
        traits = {"churned": "true" if pid in dates else "false"}
        if pid in dates:
            traits["churned_on"] = dates[pid]
        database.append(
            "customer_records",
            pa.table(
                {
                    "source": ["crm"],
                    "record_id": [pid],
                    "traits": [orjson.dumps(traits).decode()],
                    "imported_at": pa.array([END], TS),
                    "profile_id": [pid],
                }
            ),
        )
    profiles, y, kind = build_labels(database, "churned", CUTOFF, 90)
    assert kind == "contractual: trait 'churned' (dated)"
    assert gone[0] not in profiles
    assert {p for p, v in zip(profiles, y, strict=True) if v} == set(gone[1:])
    # A churn event inside the window labels its profile; one before the cutoff excludes it.
    from tests.profiles.people import add_event

    add_event(database, gone[1], CUTOFF + timedelta(days=5), event="Subscription Cancelled")
    add_event(database, gone[2], CUTOFF - timedelta(days=5), event="Subscription Cancelled")
    profiles, y, kind = build_labels(database, "Subscription Cancelled", CUTOFF, 90)
    assert kind.startswith("contractual: event")
    assert {p for p, v in zip(profiles, y, strict=True) if v} == {gone[1]}
    assert gone[2] not in profiles


def test_training_survives_a_feature_seen_once(database: Database) -> None:
    """A value present on one profile only leaves a CV fold with an all-empty column."""
    world = build_world(database, n=80)
    from tests.profiles.people import add_review

    add_review(database, world.profiles[3], "r-1", CUTOFF - timedelta(days=20), "ok")
    result = train_churn(database, "inactive", horizon_days=90)
    assert result.report["cv_auc"] > 0.5
