-- SCIM groups (/Groups) and their members. migrations/postgres/00009_scim_groups.sql
-- is the same change for PostgreSQL; keep the two in step.
--
-- A SCIM group belongs to one tenant group. Its scim_id is Gatehouse's
-- opaque resource id; display_name_key is canon.Key(display_name), computed
-- in Go, unique per tenant (Entra expects 409 on a duplicate displayName).
-- external_id is not unique (the Microsoft collection reuses one). Groups
-- are deleted outright; their members go with them.
--
-- A member row joins a SCIM group to a SCIM identity of the same tenant
-- (group_id repeats the tenant so that the rule is checked by the store's
-- queries and lists stay in one index). A member whose identity is deleted
-- (a SCIM DELETE of the user) is left out of every list and count.

-- +goose Up
CREATE TABLE scim_groups (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    scim_id          TEXT    NOT NULL,
    group_id         INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    display_name     TEXT    NOT NULL,
    display_name_key TEXT    NOT NULL,
    external_id      TEXT    NOT NULL DEFAULT '',
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX scim_groups_scim_id_key ON scim_groups (scim_id);
CREATE UNIQUE INDEX scim_groups_display_name_key ON scim_groups (group_id, display_name_key);
CREATE INDEX scim_groups_external_id ON scim_groups (group_id, external_id);

CREATE TABLE scim_group_members (
    scim_group_id INTEGER NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    identity_id   INTEGER NOT NULL REFERENCES scim_identities (id) ON DELETE CASCADE,
    group_id      INTEGER NOT NULL,
    display       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (scim_group_id, identity_id)
) STRICT;
CREATE INDEX scim_group_members_identity_id ON scim_group_members (identity_id);

-- +goose Down
DROP TABLE scim_group_members;
DROP TABLE scim_groups;
