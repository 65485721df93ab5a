-- Predict: on DuckDB, profile_scores and winback_candidates lose their primary-key
-- (ART) index. Each scoring run rewrites both tables whole (DELETE + bulk insert in
-- one transaction, so profile_id stays unique by construction); with the index, the
-- DELETE and insert of 200k rows took ~13 s, without it well under a second.
-- PostgreSQL keeps its primary keys (B-tree deletes are cheap there).
/*duckdb*/ DROP TABLE profile_scores;
/*duckdb*/ CREATE TABLE profile_scores (profile_id TEXT NOT NULL, clv DOUBLE PRECISION, clv_horizon_days INTEGER, clv_method TEXT, p_alive DOUBLE PRECISION, expected_purchases DOUBLE PRECISION, frequency INTEGER, recency_days DOUBLE PRECISION, monetary DOUBLE PRECISION, churn_risk DOUBLE PRECISION, churn_reasons {json}, churn_cause TEXT, rfm_tier TEXT, clv_decile INTEGER, lead_score DOUBLE PRECISION, is_customer BOOLEAN, model_version TEXT, scored_at TIMESTAMPTZ NOT NULL);
/*duckdb*/ DROP TABLE winback_candidates;
/*duckdb*/ CREATE TABLE winback_candidates (profile_id TEXT NOT NULL, cause TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, risk DOUBLE PRECISION NOT NULL, priority DOUBLE PRECISION NOT NULL, rank_in_cause INTEGER NOT NULL, scored_at TIMESTAMPTZ NOT NULL);
