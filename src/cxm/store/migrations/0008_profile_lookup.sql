-- Customer 360 lookup (issue 3): the traits of each stitched identify call, per
-- profile, so a profile card reads a few rows instead of scanning events (DuckDB has
-- no index on events.profile_id: an ART index there made stitching's bulk UPDATEs
-- ~400x slower). Filled by identity (identity/rows.py) whenever an event's
-- profile_id is set; merges move it and erase deletes it by profile_id like any
-- other personal-data table. One row per event.
CREATE TABLE identify_traits (
    event_key UUID NOT NULL,
    profile_id TEXT,
    source_id TEXT NOT NULL,
    timestamp TIMESTAMPTZ NOT NULL,
    traits {json} NOT NULL
);
INSERT INTO identify_traits (event_key, profile_id, source_id, timestamp, traits)
SELECT event_key, profile_id, source_id, timestamp, traits FROM events
WHERE type = 'identify' AND traits IS NOT NULL AND profile_id IS NOT NULL;
/*postgresql*/ CREATE UNIQUE INDEX identify_traits_event_key ON identify_traits (event_key);
/*postgresql*/ CREATE INDEX profile_lookup_identify_traits ON identify_traits (profile_id, timestamp);
-- DuckDB: an ART index here is cheap (rows arrive by INSERT, only merges and
-- unmerges UPDATE a few) and turns the card's read into a point lookup.
/*duckdb*/ CREATE INDEX profile_lookup_identify_traits ON identify_traits (profile_id);
-- DuckDB: the card's identifiers by profile_id (142k rows at the default demo: a
-- 9 ms scan, 1.3 ms with this index). Identifiers arrive by INSERT (142k rows:
-- 0.49 s -> 0.67 s) and only merges UPDATE their profile_id (moving 3,000
-- profiles' rows: 0.21 s -> 0.51 s), unlike the fact tables whose profile_id
-- every stitch pass UPDATEs in bulk (orders/customer_records keep their scans).
/*duckdb*/ CREATE INDEX profile_lookup_identifiers ON identifiers (profile_id);
