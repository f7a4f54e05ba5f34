-- Group links: an owner maps a group of the identity provider to a role
-- (docs in README, "Mapping IdP groups to roles").
-- migrations/postgres/00010_group_links.sql is the same change for
-- PostgreSQL; keep the two in step.
--
-- group_links: one row per (group, canonical key of the IdP group name),
-- so a name matches a SCIM displayName, a SAML groups value or an Entra
-- object id whatever its letter case.
-- user_idp_groups: the IdP groups a user was last seen in, per group and
-- source; SAML sign-in replaces the 'saml' rows each time.
-- members.role_source: where the role comes from (default, link, direct).
-- Existing members whose role differs from their group's default role were
-- given it by someone, so they start as direct and links leave them alone.
-- groups.links_only: members with neither a link nor a direct role are
-- removed instead of kept at the default role.

-- +goose Up
CREATE TABLE group_links (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id      INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    idp_group     TEXT    NOT NULL,
    idp_group_key TEXT    NOT NULL,
    role          INTEGER NOT NULL CHECK (role IN (10, 20, 30, 40, 50)),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX group_links_group_key ON group_links (group_id, idp_group_key);

CREATE TABLE user_idp_groups (
    group_id      INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source        TEXT    NOT NULL CHECK (source IN ('saml')),
    idp_group     TEXT    NOT NULL,
    idp_group_key TEXT    NOT NULL,
    PRIMARY KEY (group_id, user_id, source, idp_group_key)
) STRICT;

ALTER TABLE members ADD COLUMN role_source TEXT NOT NULL DEFAULT 'default'
    CHECK (role_source IN ('default', 'link', 'direct'));
UPDATE members SET role_source = 'direct'
WHERE role <> (SELECT g.default_role FROM groups g WHERE g.id = members.group_id);

ALTER TABLE groups ADD COLUMN links_only INTEGER NOT NULL DEFAULT 0 CHECK (links_only IN (0, 1));

-- +goose Down
ALTER TABLE groups DROP COLUMN links_only;
ALTER TABLE members DROP COLUMN role_source;
DROP TABLE user_idp_groups;
DROP TABLE group_links;
