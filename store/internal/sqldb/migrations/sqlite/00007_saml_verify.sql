-- "Verify SAML configuration" (the group owner's test of the SAML
-- settings): an AuthnRequest may be a test, and a test's verified response
-- becomes a continue flow of kind 'verify', which shows the owner what was
-- checked and signs nobody in.
-- migrations/postgres/00007_saml_verify.sql is the same change for
-- PostgreSQL; keep the two in step.
--
--   * saml_requests.verify marks a test request. Rows written by an older
--     binary are sign-ins (0).
--   * saml_flows.kind accepts 'verify'. SQLite cannot change a CHECK
--     constraint in place, so the table is rebuilt; nothing references it,
--     and its rows live for minutes anyway.

-- +goose Up

ALTER TABLE saml_requests ADD COLUMN verify INTEGER NOT NULL DEFAULT 0 CHECK (verify IN (0, 1));

CREATE TABLE saml_flows_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   BLOB    NOT NULL,
    group_id     INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('sign_in', 'link', 'create', 'verify')),
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
INSERT INTO saml_flows_new SELECT id, token_hash, group_id, kind, user_id, extern_uid, request_id, browser_hash,
    relay_state, detail, created_at, expires_at, used_at FROM saml_flows;
DROP TABLE saml_flows;
ALTER TABLE saml_flows_new RENAME TO saml_flows;
CREATE UNIQUE INDEX saml_flows_token_hash_key ON saml_flows (token_hash);
CREATE INDEX saml_flows_expires_at ON saml_flows (expires_at);

-- +goose Down

DELETE FROM saml_flows WHERE kind = 'verify';
CREATE TABLE saml_flows_old (
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
INSERT INTO saml_flows_old SELECT id, token_hash, group_id, kind, user_id, extern_uid, request_id, browser_hash,
    relay_state, detail, created_at, expires_at, used_at FROM saml_flows;
DROP TABLE saml_flows;
ALTER TABLE saml_flows_old RENAME TO saml_flows;
CREATE UNIQUE INDEX saml_flows_token_hash_key ON saml_flows (token_hash);
CREATE INDEX saml_flows_expires_at ON saml_flows (expires_at);
ALTER TABLE saml_requests DROP COLUMN verify;
