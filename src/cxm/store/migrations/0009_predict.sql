-- Predict (issue 6): per-profile scores (CLV, P(alive), churn risk with reasons,
-- value segments, lead score), the win-back list engage targets, and fitted models.

-- One row per profile, rewritten by each scoring run (cxm.predict.scoring).
-- churn_reasons: JSON list of {feature, contribution, text}, largest first.
CREATE TABLE profile_scores (
    profile_id TEXT PRIMARY KEY,
    clv DOUBLE PRECISION,
    clv_horizon_days INTEGER,
    clv_method TEXT,
    p_alive DOUBLE PRECISION,
    expected_purchases DOUBLE PRECISION,
    frequency INTEGER,
    recency_days DOUBLE PRECISION,
    monetary DOUBLE PRECISION,
    churn_risk DOUBLE PRECISION,
    churn_reasons {json},
    churn_cause TEXT,
    rfm_tier TEXT,
    clv_decile INTEGER,
    lead_score DOUBLE PRECISION,
    is_customer BOOLEAN,
    model_version TEXT,
    scored_at TIMESTAMPTZ NOT NULL
);

-- Win-back candidates of the last scoring run: customers at risk, grouped by the
-- cause of their risk, ranked by value x risk within the cause (engage targets these).
CREATE TABLE winback_candidates (
    profile_id TEXT PRIMARY KEY,
    cause TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    risk DOUBLE PRECISION NOT NULL,
    priority DOUBLE PRECISION NOT NULL,
    rank_in_cause INTEGER NOT NULL,
    scored_at TIMESTAMPTZ NOT NULL
);

-- Fitted models (CLV parameters, churn classifier, lead model) with their version,
-- evaluation report and the serialised estimator. No customer identifiers.
/*duckdb*/ CREATE TABLE predict_models (model_id TEXT PRIMARY KEY, kind TEXT NOT NULL, version TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL, settings {json} NOT NULL, report {json} NOT NULL, payload BLOB);
/*postgresql*/ CREATE TABLE predict_models (model_id TEXT PRIMARY KEY, kind TEXT NOT NULL, version TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL, settings {json} NOT NULL, report {json} NOT NULL, payload BYTEA);
