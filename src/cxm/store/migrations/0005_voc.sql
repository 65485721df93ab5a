-- Voice of the customer (issue 4): surveys and their versions, triggers,
-- invitations (personal links), responses and answers, closed-loop cases.
-- Contract columns (see briefs/contracts.md) first; extras after them.

-- A survey's identity and current state; its content lives in survey_versions.
CREATE TABLE surveys (
    survey_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL,            -- draft | live | archived
    current_version INTEGER NOT NULL,
    default_language TEXT NOT NULL,
    touchpoint TEXT,
    channel TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Every version of a survey's definition (questions, texts per language, routing,
-- recontact rules). Editing a live survey adds version n+1; responses keep theirs.
CREATE TABLE survey_versions (
    survey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    definition {json} NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (survey_id, version)
);

-- "When EVENT [matching filter] -> invite to survey S after DELAY", sampled.
CREATE TABLE survey_triggers (
    trigger_id TEXT PRIMARY KEY,
    survey_id TEXT NOT NULL,
    event TEXT NOT NULL,
    filter {json},
    delay_minutes INTEGER NOT NULL,
    sample_percent DOUBLE PRECISION NOT NULL,
    channel TEXT NOT NULL,
    touchpoint TEXT,
    enabled BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- One row per invitation decided (sent, scheduled or blocked with its reason).
-- invitation_id is what the signed personal link carries.
CREATE TABLE survey_invitations (
    invitation_id TEXT PRIMARY KEY,
    survey_id TEXT NOT NULL,
    profile_id TEXT,
    touchpoint TEXT,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,            -- scheduled | blocked | responded
    reason TEXT,
    trigger_id TEXT,
    event_key TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    send_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);

CREATE TABLE survey_responses (
    response_id TEXT PRIMARY KEY,
    survey_id TEXT NOT NULL,
    survey_version INTEGER NOT NULL,
    profile_id TEXT,
    touchpoint TEXT,
    channel TEXT,
    language TEXT,
    status TEXT NOT NULL,            -- partial | complete
    started_at TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ,
    invitation_id TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);

-- One row per answered question (per matrix row / Kano feature), denormalised so
-- every survey metric is one scan of one table. Key (response_id, question_id, item)
-- is kept by the writer; no DuckDB index (see ARCHITECTURE.md on ART indexes).
CREATE TABLE survey_answers (
    response_id TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    question_id TEXT NOT NULL,
    question_type TEXT NOT NULL,
    item TEXT NOT NULL,              -- '' unless a matrix row or Kano feature
    score DOUBLE PRECISION,
    choice {json},
    text TEXT,
    kano_functional TEXT,
    kano_dysfunctional TEXT,
    profile_id TEXT,
    touchpoint TEXT,
    channel TEXT,
    language TEXT,
    answered_at TIMESTAMPTZ NOT NULL,
    sentiment_label TEXT,
    sentiment_score DOUBLE PRECISION,
    topics {json},
    survey_version INTEGER
);

-- Closed-loop follow-up of a detractor / low CSAT / high effort (or opened by hand).
CREATE TABLE cases (
    case_id TEXT PRIMARY KEY,
    profile_id TEXT,
    response_id TEXT,
    survey_id TEXT,
    reason TEXT NOT NULL,
    owner TEXT,
    status TEXT NOT NULL,            -- open | in_progress | closed
    created_at TIMESTAMPTZ NOT NULL,
    due_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    outcome TEXT,
    touchpoint TEXT,
    source TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE case_notes (
    note_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    profile_id TEXT,
    author TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Alerts to case owners (staff): webhook or e-mail, with the delivery result.
CREATE TABLE case_alerts (
    alert_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    kind TEXT NOT NULL,              -- webhook | email
    target TEXT NOT NULL,
    status TEXT NOT NULL,            -- sent | failed
    detail TEXT,
    sent_at TIMESTAMPTZ NOT NULL
);

-- Progress of the trigger worker over the event log.
CREATE TABLE voc_cursors (
    name TEXT PRIMARY KEY,
    position_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);

/*postgresql*/ CREATE INDEX survey_answers_survey ON survey_answers (survey_id, question_type);
/*postgresql*/ CREATE INDEX survey_answers_profile ON survey_answers (profile_id);
/*postgresql*/ CREATE INDEX survey_responses_profile ON survey_responses (profile_id);
/*postgresql*/ CREATE INDEX survey_invitations_profile ON survey_invitations (profile_id, send_at);
/*postgresql*/ CREATE INDEX cases_profile ON cases (profile_id);
/*postgresql*/ CREATE INDEX cases_status ON cases (status, owner);
