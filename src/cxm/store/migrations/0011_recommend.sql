-- Recommendation models (cxm.recommend). A model is one row of recommend_models
-- (item-level arrays only: item index, ALS item factors, co-occurrence top-N,
-- trending and popularity, item names; no personal data) and one row per person in
-- recommend_people (ALS user factors, items bought, last item), keyed by profile_id so
-- erase deletes it and a merge moves it. `cxm serve` loads the newest model.

/*duckdb*/ CREATE TABLE recommend_models (
    model_version TEXT PRIMARY KEY,
    trained_at TIMESTAMPTZ NOT NULL,
    data_until TIMESTAMPTZ,
    params {json} NOT NULL,
    items INTEGER NOT NULL,
    people INTEGER NOT NULL,
    interactions BIGINT NOT NULL,
    arrays BLOB NOT NULL
);
/*postgresql*/ CREATE TABLE recommend_models (
    model_version TEXT PRIMARY KEY,
    trained_at TIMESTAMPTZ NOT NULL,
    data_until TIMESTAMPTZ,
    params {json} NOT NULL,
    items INTEGER NOT NULL,
    people INTEGER NOT NULL,
    interactions BIGINT NOT NULL,
    arrays BYTEA NOT NULL
);

-- No primary key: a merge moves two people's rows onto one profile_id; the loader
-- keeps the row with more interactions. factors: base64 of little-endian float32.
CREATE TABLE recommend_people (
    model_version TEXT NOT NULL,
    profile_id TEXT NOT NULL,
    factors TEXT,
    bought {json},
    last_item TEXT,
    interactions INTEGER NOT NULL
);
/*postgresql*/ CREATE INDEX recommend_people_version ON recommend_people (model_version);
/*postgresql*/ CREATE INDEX recommend_people_profile ON recommend_people (profile_id);
