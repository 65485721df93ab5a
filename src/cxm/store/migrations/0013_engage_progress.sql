-- How far the engage engine has handled the collector's events (engage/progress.py):
-- a restarted worker re-reads live events received since this position.
CREATE TABLE engage_cursors (
    name TEXT PRIMARY KEY,
    position_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
