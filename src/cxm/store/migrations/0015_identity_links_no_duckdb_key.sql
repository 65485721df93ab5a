-- Identity: on DuckDB, identity_links loses its primary-key (ART) index. Every
-- stitch batch appends its new links with an anti-join that already skips stored
-- keys, under the identity lock (one writer), so the key stays unique by
-- construction; the ART index on four text columns cost as much again as the
-- anti-join (1M links: 3.6 s with it, 1.7 s without, measured on this machine), and
-- the few point reads of links (shared-identifier checks, unmerge) scan instead.
-- PostgreSQL keeps its primary key (B-tree inserts are cheap there).
/*duckdb*/ CREATE TABLE identity_links_unkeyed (left_type TEXT NOT NULL, left_value TEXT NOT NULL, right_type TEXT NOT NULL, right_value TEXT NOT NULL, origin TEXT NOT NULL, score DOUBLE PRECISION, first_seen_at TIMESTAMPTZ NOT NULL, blocked TEXT, profile_id TEXT);
/*duckdb*/ INSERT INTO identity_links_unkeyed SELECT left_type, left_value, right_type, right_value, origin, score, first_seen_at, blocked, profile_id FROM identity_links;
/*duckdb*/ DROP TABLE identity_links;
/*duckdb*/ ALTER TABLE identity_links_unkeyed RENAME TO identity_links;
