-- Journey analytics (issue 5): each person's lifecycle stage and its history.
-- Rebuilt in full by cxm.journeys.stages.refresh_stages from the event rules.

-- Current stage per profile (awareness < acquisition < conversion < retention <
-- advocacy: the highest stage reached), when it was entered, and when each stage
-- was first reached (NULL: not yet), so an event can be placed in the stage its
-- person was in at the time.
CREATE TABLE lifecycle_stages (
    profile_id TEXT PRIMARY KEY,
    stage TEXT NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    awareness_at TIMESTAMPTZ,
    acquisition_at TIMESTAMPTZ,
    conversion_at TIMESTAMPTZ,
    retention_at TIMESTAMPTZ,
    advocacy_at TIMESTAMPTZ
);

-- Each move to a higher stage, in time order; from_stage is NULL for the first.
CREATE TABLE lifecycle_transitions (
    profile_id TEXT NOT NULL,
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL
);

/*postgresql*/ CREATE INDEX lifecycle_transitions_profile ON lifecycle_transitions (profile_id);
/*postgresql*/ CREATE INDEX lifecycle_stages_stage ON lifecycle_stages (stage);
