-- What SAML sign-in keeps on the server (behaviour.md decisions 10, 17, 19,
-- 34, 37 and 38; security.md §1.9, §1.12, §5.7 and §5.9), in the database so
-- that every node shares it and a flow survives a restart.
-- migrations/postgres/00005_saml_state.sql is the same change for
-- PostgreSQL; keep the two in step.
--
--   * Single use is a unique index plus a conditional write: a request or a
--     flow is consumed by an UPDATE … WHERE used_at IS NULL, an assertion
--     by an INSERT … ON CONFLICT whose update applies only to an expired
--     entry; the rows affected say who won.
--   * Every table that expires has an index on expires_at, for the sweeper.
--   * Secrets the browser holds (session cookies, continue tokens, nonce
--     cookies) are stored only as their SHA-256.
--   * Everything goes with its group (ON DELETE CASCADE); a session goes
--     with its user, and takes its SSO records and SAML requests along.

-- +goose Up

-- The instance's own key pairs, one per name (the SAML SP key pair). The
-- primary key makes nodes that start together agree on one key: each
-- inserts its own with ON CONFLICT DO NOTHING, then all read the one that
-- landed. private_key is the PEM, sealed by the caller when encrypted is 1.
CREATE TABLE instance_keys (
    name        TEXT    NOT NULL PRIMARY KEY,
    private_key BLOB    NOT NULL,
    certificate BLOB    NOT NULL,
    encrypted   INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
    created_at  INTEGER NOT NULL
) STRICT;

-- Browser sessions. token_hash is the SHA-256 of the cookie's token;
-- password_at is the last password sign-in in the session (NULL: SSO only).
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   BLOB    NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    password_at  INTEGER
) STRICT;
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- When a session last signed in through a group's SSO. The (group_id,
-- session_id) index serves deprovisioning, which ends the sessions a
-- group's SSO signed in.
CREATE TABLE session_sso (
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    PRIMARY KEY (session_id, group_id)
) STRICT;
CREATE INDEX session_sso_group_id ON session_sso (group_id, session_id);

-- AuthnRequests sent, until their response consumes them. request_id is
-- the AuthnRequest's ID, unique within the group; browser_hash the SHA-256
-- of the nonce cookie of the browser that started the flow; session_id the
-- signed-in session that started it, if any.
CREATE TABLE saml_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id     INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    request_id   TEXT    NOT NULL,
    relay_state  TEXT    NOT NULL DEFAULT '',
    browser_hash BLOB    NOT NULL,
    session_id   INTEGER REFERENCES sessions (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
) STRICT;
CREATE UNIQUE INDEX saml_requests_request_id_key ON saml_requests (group_id, request_id);
CREATE INDEX saml_requests_session_id ON saml_requests (session_id);
CREATE INDEX saml_requests_expires_at ON saml_requests (expires_at);

-- The replay cache: the assertion IDs each group accepted, until the
-- assertion could no longer be accepted anyway (its NotOnOrAfter plus the
-- clock skew).
CREATE TABLE saml_assertions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id     INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    assertion_id TEXT    NOT NULL,
    used_at      INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX saml_assertions_assertion_id_key ON saml_assertions (group_id, assertion_id);
CREATE INDEX saml_assertions_expires_at ON saml_assertions (expires_at);

-- Verified responses waiting for their continue URL. token_hash is the
-- SHA-256 of the one-time continue token; user_id is NULL for a flow that
-- creates its account; detail is a small JSON object.
CREATE TABLE saml_flows (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   BLOB    NOT NULL,
    group_id     INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('sign_in', 'link', 'create')),
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    extern_uid   TEXT    NOT NULL,
    request_id   TEXT    NOT NULL DEFAULT '',
    browser_hash BLOB,
    relay_state  TEXT    NOT NULL DEFAULT '',
    detail       TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
) STRICT;
CREATE UNIQUE INDEX saml_flows_token_hash_key ON saml_flows (token_hash);
CREATE INDEX saml_flows_expires_at ON saml_flows (expires_at);

-- The SAML log: the newest responses of each group's ACS, for the group's
-- owners. Like the SCIM request log, appending trims each group to its
-- newest N entries, walking the (group_id, id) index, and listing walks it
-- newest first. reference_id is shown on failure pages and looked up by
-- the owner; checks is a JSON document.
CREATE TABLE saml_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id     INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    outcome      TEXT    NOT NULL,
    reference_id TEXT    NOT NULL,
    name_id      TEXT    NOT NULL DEFAULT '',
    request_id   TEXT    NOT NULL DEFAULT '',
    response     TEXT    NOT NULL DEFAULT '',
    checks       TEXT,
    client_ip    TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE UNIQUE INDEX saml_log_reference_id_key ON saml_log (group_id, reference_id);
CREATE INDEX saml_log_group_id ON saml_log (group_id, id);

-- +goose Down
DROP TABLE saml_log;
DROP TABLE saml_flows;
DROP TABLE saml_assertions;
DROP TABLE saml_requests;
DROP TABLE session_sso;
DROP TABLE sessions;
DROP TABLE instance_keys;
