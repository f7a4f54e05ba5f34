-- The initial schema, SQLite flavour. migrations/postgres/00001_initial.sql is
-- the same schema for PostgreSQL; keep the two in step.
--
-- Conventions, and why:
--   * Tables are STRICT, so a value of the wrong type is an error instead of
--     being stored as whatever the driver happened to bind.
--   * Times are INTEGER microseconds since the Unix epoch, UTC (PostgreSQL's
--     timestamptz precision), NULL for "never".
--   * Booleans are INTEGER 0/1; the Go code always binds them as parameters.
--   * Case-insensitive uniqueness compares *_key columns that the store fills
--     with canon.Key; never COLLATE NOCASE or lower(), which differ from
--     PostgreSQL and ignore most of Unicode.
--   * Ids are AUTOINCREMENT so that, as with PostgreSQL identities, the id of a
--     deleted row (a revoked token, say) is never handed out again.
--   * Unique indexes are named; the store maps a violated index to the message
--     the user sees (store/internal/sqldb/errors.go).

-- +goose Up

-- goose inserts a migration's version in the same transaction as the
-- migration. This index makes a second process that applies the same migration
-- concurrently fail and roll back instead of applying it twice (SQLite has no
-- advisory lock for goose to serialize on); sqlitestore.Open then re-reads the
-- version and finds the database current.
CREATE UNIQUE INDEX goose_db_version_version_id_key ON goose_db_version (version_id);

CREATE TABLE groups (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    path         TEXT    NOT NULL,
    path_key     TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    default_role INTEGER NOT NULL DEFAULT 10 CHECK (default_role IN (10, 20, 30, 40, 50)),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX groups_path_key ON groups (path_key);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    username          TEXT    NOT NULL,
    username_key      TEXT    NOT NULL,
    name              TEXT    NOT NULL DEFAULT '',
    kind              TEXT    NOT NULL CHECK (kind IN ('personal', 'managed')),
    managing_group_id INTEGER REFERENCES groups (id),
    state             TEXT    NOT NULL CHECK (state IN ('active', 'blocked')),
    is_admin          INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    password_hash     TEXT    NOT NULL DEFAULT '',
    password_expired  INTEGER NOT NULL DEFAULT 0 CHECK (password_expired IN (0, 1)),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    -- A managed account records its managing group; a personal one has none.
    CHECK ((kind = 'personal') = (managing_group_id IS NULL))
) STRICT;
CREATE UNIQUE INDEX users_username_key ON users (username_key);
CREATE INDEX users_managing_group_id ON users (managing_group_id);

-- managing_group_id is a copy of the owning user's, so that one partial index
-- makes personal accounts' emails unique instance-wide and another makes
-- managed accounts' emails unique within their managing group
-- (behaviour.md decision 18). The store rewrites a user's emails on every
-- update, which keeps the copies in step.
CREATE TABLE user_emails (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address           TEXT    NOT NULL,
    email_key         TEXT    NOT NULL,
    is_primary        INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    verified          INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
    managing_group_id INTEGER
) STRICT;
CREATE UNIQUE INDEX user_emails_personal_key ON user_emails (email_key)
    WHERE managing_group_id IS NULL;
CREATE UNIQUE INDEX user_emails_managed_key ON user_emails (managing_group_id, email_key)
    WHERE managing_group_id IS NOT NULL;
CREATE UNIQUE INDEX user_emails_user_key ON user_emails (user_id, email_key);

CREATE TABLE members (
    group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       INTEGER NOT NULL CHECK (role IN (10, 20, 30, 40, 50)),
    state      TEXT    NOT NULL CHECK (state IN ('active', 'pending_link')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
) STRICT;
CREATE INDEX members_user_id ON members (user_id);

-- SAML identities: a user linked to one group's identity provider.
CREATE TABLE identities (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id        INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    extern_uid      TEXT    NOT NULL,
    extern_uid_key  TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('active', 'pending_link')),
    last_sign_in_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX identities_extern_uid_key ON identities (group_id, extern_uid_key);
CREATE UNIQUE INDEX identities_user_key ON identities (group_id, user_id);
CREATE INDEX identities_user_id ON identities (user_id);

-- SCIM identities. Rows in state 'deleted' are kept for reprovisioning and
-- audit, so every uniqueness rule is a partial index over the other states.
CREATE TABLE scim_identities (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    scim_id         TEXT    NOT NULL,
    group_id        INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    extern_uid      TEXT    NOT NULL,
    extern_uid_key  TEXT    NOT NULL,
    external_id_set INTEGER NOT NULL DEFAULT 0 CHECK (external_id_set IN (0, 1)),
    user_name       TEXT    NOT NULL,
    user_name_key   TEXT    NOT NULL,
    display_name    TEXT    NOT NULL DEFAULT '',
    given_name      TEXT    NOT NULL DEFAULT '',
    family_name     TEXT    NOT NULL DEFAULT '',
    email           TEXT    NOT NULL DEFAULT '',
    email_key       TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL CHECK (state IN ('active', 'pending_link', 'inactive', 'deleted')),
    previous_role   INTEGER CHECK (previous_role IN (10, 20, 30, 40, 50)),
    attributes      TEXT    NOT NULL DEFAULT '{}',
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    deleted_at      INTEGER
) STRICT;
CREATE UNIQUE INDEX scim_identities_scim_id_key ON scim_identities (scim_id);
CREATE UNIQUE INDEX scim_identities_extern_uid_key ON scim_identities (group_id, extern_uid_key)
    WHERE state <> 'deleted';
CREATE UNIQUE INDEX scim_identities_user_name_key ON scim_identities (group_id, user_name_key)
    WHERE state <> 'deleted';
CREATE UNIQUE INDEX scim_identities_user_key ON scim_identities (group_id, user_id)
    WHERE state <> 'deleted';
-- For SCIM filters and sorting (later): each starts with group_id because
-- every SCIM query is scoped to one group.
CREATE INDEX scim_identities_group_id ON scim_identities (group_id, id);
CREATE INDEX scim_identities_updated_at ON scim_identities (group_id, updated_at);
CREATE INDEX scim_identities_created_at ON scim_identities (group_id, created_at);
CREATE INDEX scim_identities_user_id ON scim_identities (user_id);

CREATE TABLE scim_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id     INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    token_hash   BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
) STRICT;
CREATE UNIQUE INDEX scim_tokens_token_hash_key ON scim_tokens (token_hash);
CREATE INDEX scim_tokens_group_id ON scim_tokens (group_id);

CREATE TABLE personal_access_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL,
    expires_at   INTEGER,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
) STRICT;
CREATE UNIQUE INDEX personal_access_tokens_token_hash_key ON personal_access_tokens (token_hash);
CREATE INDEX personal_access_tokens_user_id ON personal_access_tokens (user_id);

CREATE TABLE saml_configs (
    group_id            INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    enabled             INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    idp_entity_id       TEXT    NOT NULL,
    sso_url             TEXT    NOT NULL,
    certificates        TEXT    NOT NULL DEFAULT '[]', -- JSON array of PEM strings
    fingerprints        TEXT    NOT NULL DEFAULT '[]', -- JSON array of lowercase hex strings
    metadata_xml        TEXT    NOT NULL DEFAULT '',
    metadata_url        TEXT    NOT NULL DEFAULT '',
    metadata_fetched_at INTEGER,
    enforce_sso         INTEGER NOT NULL CHECK (enforce_sso IN (0, 1)),
    allow_idp_initiated INTEGER NOT NULL CHECK (allow_idp_initiated IN (0, 1)),
    create_users        INTEGER NOT NULL CHECK (create_users IN (0, 1)),
    clock_skew_ms       INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
) STRICT;

-- Audit events outlive what they describe, so group_id is not a foreign key.
-- NULL marks an instance-wide event. actor_kind has no CHECK: kinds are only
-- ever appended, and SQLite cannot alter a CHECK without rebuilding the table.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  INTEGER NOT NULL,
    group_id    INTEGER,
    actor_kind  TEXT    NOT NULL,
    actor_id    INTEGER NOT NULL DEFAULT 0,
    action      TEXT    NOT NULL,
    target_kind TEXT    NOT NULL DEFAULT '',
    target_id   TEXT    NOT NULL DEFAULT '',
    request_id  TEXT    NOT NULL DEFAULT '',
    detail      TEXT
) STRICT;
CREATE INDEX audit_events_group_id ON audit_events (group_id, id);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE saml_configs;
DROP TABLE personal_access_tokens;
DROP TABLE scim_tokens;
DROP TABLE scim_identities;
DROP TABLE identities;
DROP TABLE members;
DROP TABLE user_emails;
DROP TABLE users;
DROP TABLE groups;
DROP INDEX goose_db_version_version_id_key;
