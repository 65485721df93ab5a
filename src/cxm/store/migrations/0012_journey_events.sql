-- Journeys (issue 5): a compact read model of events for funnels, paths, retention,
-- continuity and the journey map. Derived data only: cxm.journeys.read_model rebuilds
-- or extends it from events whenever the events (or a merge) changed since it was
-- last brought up to date, before any query reads it.

-- One row per event: the person as a 64-bit hash of coalesce(profile_id,
-- anonymous_id, user_id), the event name (coalesce(event, type)) as a small code,
-- the time, the touchpoint channel, whether the event is an action (track, page,
-- screen) and whether it is on a profile.
CREATE TABLE journey_events (
    person BIGINT NOT NULL,
    name INTEGER NOT NULL,
    ts TIMESTAMPTZ NOT NULL,
    channel TEXT NOT NULL,
    action BOOLEAN NOT NULL,
    profiled BOOLEAN NOT NULL
);

-- Each profiled person's channels per UTC day (d = days since 1970-01-01), in the
-- order of their first event that day, with the previous row's day and channel and
-- the journey number (a new journey after more than 7 days without events), and the
-- day's last event time and event count: the input of continuity and of the journey
-- map, kept with the events model so those views aggregate 1.6M rows, not 10M.
CREATE TABLE journey_channel_days (
    person BIGINT NOT NULL,
    d INTEGER NOT NULL,
    channel TEXT NOT NULL,
    first_ts TIMESTAMPTZ NOT NULL,
    last_ts TIMESTAMPTZ NOT NULL,
    events BIGINT NOT NULL,
    prev_d INTEGER,
    prev_channel TEXT,
    journey BIGINT NOT NULL
);

-- Event name codes; a code, once given, is never reused for another name.
CREATE TABLE journey_event_names (
    code INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- What journey_events was built from (one row, id = 1): the events' count, count of
-- rows on a profile, latest received_at, and the merges' count and undo count.
CREATE TABLE journey_read_state (
    id INTEGER PRIMARY KEY,
    events BIGINT NOT NULL,
    profiled BIGINT NOT NULL,
    received_max TIMESTAMPTZ,
    merges BIGINT NOT NULL,
    undone BIGINT NOT NULL,
    built_at TIMESTAMPTZ
);
INSERT INTO journey_read_state (id, events, profiled, received_max, merges, undone, built_at)
VALUES (1, -1, -1, NULL, -1, -1, NULL);

/*postgresql*/ CREATE INDEX journey_events_name ON journey_events (name, person, ts);
/*postgresql*/ CREATE INDEX journey_events_person ON journey_events (person, ts);
/*postgresql*/ CREATE INDEX journey_channel_days_person ON journey_channel_days (person);
