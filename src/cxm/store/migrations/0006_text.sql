-- Text analytics (issue 4): sentiment and topics per review/mention, and alerts when
-- the daily volume of negative reviews spikes above its normal range.

-- One row per analysed review (contract: PK source, review_id). text_md5 is the md5
-- of the text analysed, so a changed review is analysed again; analyser names the
-- analyser that produced the row. profile_id follows reviews.profile_id (merges move it).
CREATE TABLE review_analyses (
    source TEXT NOT NULL,
    review_id TEXT NOT NULL,
    lang TEXT,
    label TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    topics {json},
    analysed_at TIMESTAMPTZ NOT NULL,
    profile_id TEXT,
    text_md5 TEXT,
    analyser TEXT,
    PRIMARY KEY (source, review_id)
);

-- Negative-volume spikes: one row per (day, scope) that rose above its normal range
-- (rolling median + k·MAD of the previous days). Counts only, no customer data.
CREATE TABLE text_alerts (
    alert_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    day DATE NOT NULL,
    scope TEXT NOT NULL,
    observed BIGINT NOT NULL,
    baseline DOUBLE PRECISION NOT NULL,
    threshold DOUBLE PRECISION NOT NULL,
    detail {json},
    created_at TIMESTAMPTZ NOT NULL,
    notified_at TIMESTAMPTZ
);

/*postgresql*/ CREATE INDEX profile_lookup_review_analyses ON review_analyses (profile_id);
