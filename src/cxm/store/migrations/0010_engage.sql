-- Engage (issue 7): real-time segments, triggered journeys, the durable outbox.
-- Definitions (segments, journeys, offers) hold no personal data; members, runs,
-- step logs and outbox rows carry profile_id so erase and merges find them.

CREATE TABLE segments (
    segment_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    conditions {json} NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    computed_at TIMESTAMPTZ,
    member_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE segment_members (
    segment_id TEXT NOT NULL,
    profile_id TEXT NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (segment_id, profile_id)
);

-- Counts over time: one row per recompute or incremental change of a segment.
CREATE TABLE segment_counts (
    segment_id TEXT NOT NULL,
    counted_at TIMESTAMPTZ NOT NULL,
    members INTEGER NOT NULL,
    entered INTEGER NOT NULL,
    exited INTEGER NOT NULL,
    kind TEXT NOT NULL
);

CREATE TABLE journeys (
    journey_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    definition {json} NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    activated_at TIMESTAMPTZ
);

-- One row per person entering a journey. grp: treated | holdout (sticky hash).
-- state: running | waiting | waiting_event | done | exited | held_out.
CREATE TABLE journey_runs (
    run_id TEXT PRIMARY KEY,
    journey_id TEXT NOT NULL,
    profile_id TEXT,
    grp TEXT NOT NULL,
    trigger_key TEXT NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL,
    state TEXT NOT NULL,
    step INTEGER,
    wake_at TIMESTAMPTZ,
    wait_event TEXT,
    timeout_step INTEGER,
    updated_at TIMESTAMPTZ NOT NULL,
    ended_reason TEXT,
    UNIQUE (journey_id, trigger_key)
);

-- Which step each run passed, for step counts in the report.
CREATE TABLE journey_step_log (
    run_id TEXT NOT NULL,
    journey_id TEXT NOT NULL,
    profile_id TEXT,
    step INTEGER NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    logged_at TIMESTAMPTZ NOT NULL
);

-- The durable outbox: written in the same transaction as the decision to send;
-- blocked sends are kept here too (status 'blocked', block_reason).
-- status: pending | claimed | sent | dead | blocked | skipped.
CREATE TABLE engage_outbox (
    message_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    journey_id TEXT,
    run_id TEXT,
    profile_id TEXT,
    step INTEGER,
    action TEXT NOT NULL,
    channel TEXT,
    payload {json} NOT NULL,
    status TEXT NOT NULL,
    block_reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TIMESTAMPTZ NOT NULL,
    claim_token TEXT,
    claimed_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    last_error TEXT,
    response TEXT,
    created_at TIMESTAMPTZ NOT NULL
);

-- Coupon / offer catalogue for the "offer" action (no personal data).
CREATE TABLE engage_offers (
    offer_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    code TEXT NOT NULL,
    discount TEXT,
    valid_days INTEGER NOT NULL DEFAULT 14,
    created_at TIMESTAMPTZ NOT NULL
);

/*postgresql*/ CREATE INDEX engage_members_profile ON segment_members (profile_id);
/*postgresql*/ CREATE INDEX engage_runs_profile ON journey_runs (profile_id, state);
/*postgresql*/ CREATE INDEX engage_runs_journey ON journey_runs (journey_id, trigger_key);
/*postgresql*/ CREATE INDEX engage_outbox_due ON engage_outbox (status, not_before);
/*postgresql*/ CREATE INDEX engage_outbox_profile ON engage_outbox (profile_id, created_at);
