-- Unified profile, consent ledger and zero-party preferences (issue 3).
-- Both person tables are append-only histories keyed by an entry id, so a
-- merge that moves profile_id never collides with the surviving person's rows
-- (a "one row per person" table would), and the current state is "latest entry".

-- Consent ledger: one row per statement a person made (or a system recorded for
-- them). identifier is the normalised `type:value` used when recording, so an
-- unmerge can give the entry back to the right person. channel '*' = any channel.
CREATE TABLE consent_ledger (
    entry_id TEXT PRIMARY KEY,
    profile_id TEXT,
    identifier TEXT NOT NULL,
    purpose TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    source TEXT NOT NULL,
    wording_version TEXT,
    ip TEXT,
    user_agent TEXT,
    evidence {json}
);

-- Zero-party preferences: each entry is a full snapshot of what the person said.
CREATE TABLE preference_entries (
    entry_id TEXT PRIMARY KEY,
    profile_id TEXT,
    identifier TEXT NOT NULL,
    topics {json},
    preferred_channel TEXT,
    frequency TEXT,
    language TEXT,
    recorded_at TIMESTAMPTZ NOT NULL,
    source TEXT NOT NULL
);

-- Profile lookups read every personal-data table by profile_id. PostgreSQL gets
-- B-tree indexes; DuckDB none (ART indexes slow every ingest commit and an
-- UPDATE of an indexed column; its scans by profile_id were measured instead,
-- see BENCHMARKS.md "Profiles").
/*postgresql*/ CREATE INDEX profile_lookup_events ON events (profile_id, timestamp);
/*postgresql*/ CREATE INDEX profile_lookup_customer_records ON customer_records (profile_id);
/*postgresql*/ CREATE INDEX profile_lookup_orders ON orders (profile_id, timestamp);
/*postgresql*/ CREATE INDEX profile_lookup_tickets ON tickets (profile_id, created_at);
/*postgresql*/ CREATE INDEX profile_lookup_reviews ON reviews (profile_id, posted_at);
/*postgresql*/ CREATE INDEX profile_lookup_consent ON consent_ledger (profile_id);
/*postgresql*/ CREATE INDEX profile_lookup_preferences ON preference_entries (profile_id);
-- Prefix search (ana.si%, +49151%) and bare-value lookups by identifier value alone.
/*postgresql*/ CREATE INDEX profile_search_identifier_values ON identifiers (id_value text_pattern_ops);
