-- Identity ("Super ID"): profiles, the identifiers that point at them, the links
-- between identifiers that made them one person, every merge (undoable) and the
-- review queue for probable record links. Every table that holds personal data
-- has a profile_id column so erase and merges can find it.

-- One row per person ever created; merged_into is set when merged away and
-- lookups of a merged id follow it.
CREATE TABLE profiles (
    profile_id TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    merged_into TEXT
);

-- Normalised identifiers: anonymous_id, user_id, email, phone (E.164),
-- record:<source>, order_customer:<source>, ticket_customer:<source>,
-- review_author:<source>. A shared identifier never merges anyone.
CREATE TABLE identifiers (
    id_type TEXT NOT NULL,
    id_value TEXT NOT NULL,
    profile_id TEXT,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    shared BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (id_type, id_value)
);
/*postgresql*/ CREATE INDEX identifiers_profile ON identifiers (profile_id);
/*postgresql*/ CREATE INDEX identifiers_value ON identifiers (id_value);
-- Opaque ids (event userId, order customer ids) are looked up among record ids.
/*postgresql*/ CREATE INDEX customer_records_record_id ON customer_records (record_id);

-- Edges of the identity graph: two identifiers seen together (same event,
-- record, order...) or linked by the probabilistic matcher or a reviewer.
-- blocked edges were cut by an unmerge or refused by a guard rail and never merge.
CREATE TABLE identity_links (
    left_type TEXT NOT NULL,
    left_value TEXT NOT NULL,
    right_type TEXT NOT NULL,
    right_value TEXT NOT NULL,
    origin TEXT NOT NULL,
    score DOUBLE PRECISION,
    first_seen_at TIMESTAMPTZ NOT NULL,
    blocked TEXT,
    profile_id TEXT,
    PRIMARY KEY (left_type, left_value, right_type, right_value)
);
/*postgresql*/ CREATE INDEX identity_links_right ON identity_links (right_type, right_value);

-- Every merge of two profiles; cause names the linking identifier, record pair
-- or rule. profile_id is the surviving person (so erase finds the row).
CREATE TABLE merges (
    merge_id TEXT PRIMARY KEY,
    kept TEXT NOT NULL,
    merged TEXT NOT NULL,
    cause TEXT NOT NULL,
    rule TEXT NOT NULL,
    score DOUBLE PRECISION,
    merged_at TIMESTAMPTZ NOT NULL,
    undone_at TIMESTAMPTZ,
    profile_id TEXT
);

-- The identifiers the merged profile had when it was merged away: the side
-- an unmerge gives back to it.
CREATE TABLE merge_members (
    merge_id TEXT NOT NULL,
    id_type TEXT NOT NULL,
    id_value TEXT NOT NULL,
    profile_id TEXT,
    PRIMARY KEY (merge_id, id_type, id_value)
);

-- Probable record links in the grey band, waiting for a person to decide.
CREATE TABLE link_reviews (
    review_id TEXT PRIMARY KEY,
    left_source TEXT NOT NULL,
    left_record_id TEXT NOT NULL,
    right_source TEXT NOT NULL,
    right_record_id TEXT NOT NULL,
    match_weight DOUBLE PRECISION NOT NULL,
    match_probability DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    decided_by TEXT,
    profile_id TEXT,
    other_profile_id TEXT
);
