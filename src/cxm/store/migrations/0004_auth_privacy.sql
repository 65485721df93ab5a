-- Roles, API keys, sessions and the audit log (cxm.auth); erase receipts and the
-- pseudonymised analytics view (cxm.privacy). None of these tables holds a
-- customer's personal data: audit and receipts keep profile ids or keyed hashes.

-- People who use CXM (staff, not customers); role names a scope set in cxm.auth.scopes.
CREATE TABLE auth_users (
    user_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    disabled_at TIMESTAMPTZ
);

-- API keys: only a SHA-256 of the secret part is kept; the key is shown once.
CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

-- Signed-in browser sessions (the cookie carries the id, signed; this row makes
-- logout and expiry real on the server). One-time login links live here too,
-- as kind 'login_link' until used.
CREATE TABLE auth_sessions (
    session_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ
);

-- Secrets generated on first start when none is configured: the cookie signing
-- key and the pseudonymisation key (shared by every API process of one database).
CREATE TABLE auth_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
INSERT INTO auth_secrets (name, value, created_at) VALUES
    ('pseudonym_key', CAST(gen_random_uuid() AS TEXT) || CAST(gen_random_uuid() AS TEXT), current_timestamp);

-- Who read or changed personal data. subject is a profile id or 'sha256:<hex>' of
-- the identifier asked for; never the identifier itself.
CREATE TABLE audit_log (
    audit_id TEXT PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    via TEXT NOT NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    subject TEXT,
    outcome TEXT NOT NULL
);
/*postgresql*/ CREATE INDEX audit_log_at ON audit_log (occurred_at);

-- Proof that an erase happened: counts per table and a hash of the erased
-- identifiers, no personal data.
CREATE TABLE erase_receipts (
    receipt_id TEXT PRIMARY KEY,
    erased_at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    identifiers_sha256 TEXT NOT NULL,
    identifier_count INTEGER NOT NULL,
    profile_count INTEGER NOT NULL,
    rows_deleted BIGINT NOT NULL,
    counts {json} NOT NULL
);

-- Pseudonymised events for analytics that does not need to know who: the person
-- is a keyed hash (md5 of the pseudonym key and the profile id, else the
-- anonymous id), and raw identifiers, IP, user agent, page URL and payloads are
-- left out. Erasing a person removes their events, so the view follows.
CREATE VIEW analytics_events AS
SELECT
    e.event_key,
    e.source_id,
    e.type,
    e.event,
    e.timestamp,
    e.channel,
    e.traffic_channel,
    e.utm_source,
    e.utm_medium,
    e.utm_campaign,
    e.referrer_host,
    e.locale,
    md5(k.value || coalesce('p:' || e.profile_id, 'a:' || e.anonymous_id, 'u:' || e.user_id))
        AS person_hash
FROM events e
CROSS JOIN (SELECT value FROM auth_secrets WHERE name = 'pseudonym_key') k;
