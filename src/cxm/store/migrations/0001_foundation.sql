-- Foundation schema: sources, the append-only event log, imported records,
-- quarantine and import bookkeeping. Later stages (identity, voc, engage...)
-- add their own numbered migrations; every table that holds personal data has
-- a profile_id column the identity stage fills, so erase can find it.

CREATE TABLE sources (
    source_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    write_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ
);

-- One row per accepted Segment-spec message. Never updated except profile_id
-- (identity stitching); the raw payload is kept as received. event_key is the
-- md5 of source_id and message_id: the idempotency key (see ARCHITECTURE.md).
CREATE TABLE events (
    event_key UUID NOT NULL,
    source_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    type TEXT NOT NULL,
    event TEXT,
    anonymous_id TEXT,
    user_id TEXT,
    group_id TEXT,
    previous_id TEXT,
    timestamp TIMESTAMPTZ NOT NULL,
    original_timestamp TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    received_at TIMESTAMPTZ NOT NULL,
    channel TEXT NOT NULL,
    traffic_channel TEXT,
    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,
    referrer_host TEXT,
    page_url TEXT,
    ip TEXT,
    user_agent TEXT,
    locale TEXT,
    properties {json},
    traits {json},
    context {json},
    raw {json} NOT NULL,
    profile_id TEXT
);

-- DuckDB: no index. Its ART indexes made each small commit ~10 ms slower; zone
-- maps serve time ranges, and the backend deduplicates by anti-join on event_key.
/*postgresql*/ CREATE UNIQUE INDEX events_event_key ON events (event_key);
/*postgresql*/ CREATE INDEX events_timestamp ON events (timestamp);

-- Web/app sessions, rebuilt from events by the sessionisation job.
CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    person_key TEXT NOT NULL,
    anonymous_id TEXT,
    user_id TEXT,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ NOT NULL,
    event_count INTEGER NOT NULL,
    channel TEXT,
    traffic_channel TEXT NOT NULL,
    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,
    referrer_host TEXT,
    landing_url TEXT,
    profile_id TEXT
);

-- First- and last-touch traffic channel per person (anonymous id or user id).
CREATE TABLE person_touch (
    person_key TEXT PRIMARY KEY,
    first_session_id TEXT NOT NULL,
    first_channel TEXT NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_session_id TEXT NOT NULL,
    last_channel TEXT NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    sessions INTEGER NOT NULL,
    profile_id TEXT
);

-- Customer records from CRM, shop, loyalty and store systems, one per source record.
CREATE TABLE customer_records (
    source TEXT NOT NULL,
    record_id TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    email TEXT,
    phone TEXT,
    birth_date TEXT,
    address_line1 TEXT,
    address_line2 TEXT,
    city TEXT,
    postcode TEXT,
    region TEXT,
    country TEXT,
    traits {json},
    imported_at TIMESTAMPTZ NOT NULL,
    profile_id TEXT,
    PRIMARY KEY (source, record_id)
);

CREATE TABLE orders (
    source TEXT NOT NULL,
    order_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    timestamp TIMESTAMPTZ NOT NULL,
    amount DOUBLE PRECISION NOT NULL,
    currency TEXT NOT NULL,
    items {json},
    channel TEXT,
    store_id TEXT,
    raw {json},
    imported_at TIMESTAMPTZ NOT NULL,
    profile_id TEXT,
    PRIMARY KEY (source, order_id)
);

CREATE TABLE tickets (
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    first_response_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ,
    channel TEXT,
    contacts_count INTEGER,
    reopened BOOLEAN,
    csat INTEGER,
    subject TEXT,
    raw {json},
    imported_at TIMESTAMPTZ NOT NULL,
    profile_id TEXT,
    PRIMARY KEY (source, ticket_id)
);

-- Online reviews and social mentions.
CREATE TABLE reviews (
    source TEXT NOT NULL,
    review_id TEXT NOT NULL,
    rating DOUBLE PRECISION,
    text TEXT,
    language TEXT,
    author_handle TEXT,
    url TEXT,
    posted_at TIMESTAMPTZ NOT NULL,
    raw {json},
    imported_at TIMESTAMPTZ NOT NULL,
    profile_id TEXT,
    PRIMARY KEY (source, review_id)
);

-- Input that was not accepted, kept with the reason so it can be inspected and replayed.
CREATE TABLE quarantine (
    quarantine_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    origin TEXT NOT NULL,
    source_id TEXT,
    line_number BIGINT,
    field TEXT,
    reason TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    replayed_at TIMESTAMPTZ
);

CREATE TABLE import_runs (
    run_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    source TEXT,
    rows_read BIGINT NOT NULL,
    rows_stored BIGINT NOT NULL,
    rows_duplicate BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL
);
