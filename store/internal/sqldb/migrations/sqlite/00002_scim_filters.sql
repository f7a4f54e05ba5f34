-- SCIM filters (behaviour.md decision 2) run in the database on indexed
-- columns. migrations/postgres/00002_scim_filters.sql is the same change for
-- PostgreSQL; keep the two in step.
--
--   * displayName, name.givenName and name.familyName compare
--     case-insensitively, so they get canonical-key columns (filled with
--     canon.Key by the store, like every *_key column) and an index each,
--     starting with group_id because every SCIM query is scoped to one group.
--   * A SCIM identity's emails get a table of their own, so that
--     emails.value, emails.type and value paths such as
--     emails[type eq "work"].value are indexed queries. group_id is a copy of
--     the identity's, so that "which identity of this group has this address"
--     is one index lookup.

-- +goose Up

ALTER TABLE scim_identities ADD COLUMN display_name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE scim_identities ADD COLUMN given_name_key   TEXT NOT NULL DEFAULT '';
ALTER TABLE scim_identities ADD COLUMN family_name_key  TEXT NOT NULL DEFAULT '';

-- A one-time best effort for rows written before this migration: SQL has no
-- canon.Key, and lower() folds only ASCII here. Migration 00001 shipped in
-- the same release cycle with no SCIM writer, so in practice there are no
-- such rows; the store writes exact keys from now on, and the next update of
-- a row rewrites them.
UPDATE scim_identities SET display_name_key = lower(display_name), given_name_key = lower(given_name),
    family_name_key = lower(family_name);

CREATE INDEX scim_identities_display_name_key ON scim_identities (group_id, display_name_key);
CREATE INDEX scim_identities_given_name_key ON scim_identities (group_id, given_name_key);
CREATE INDEX scim_identities_family_name_key ON scim_identities (group_id, family_name_key);

-- The emails of a SCIM identity, in the order the IdP sent them. An identity
-- may list an address twice (as work and as other, say), so nothing here is
-- unique. There are no rows to fill in: no SCIM writer existed before.
CREATE TABLE scim_identity_emails (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    identity_id INTEGER NOT NULL REFERENCES scim_identities (id) ON DELETE CASCADE,
    group_id    INTEGER NOT NULL,
    value       TEXT    NOT NULL,
    value_key   TEXT    NOT NULL,
    type        TEXT    NOT NULL DEFAULT '',
    type_key    TEXT    NOT NULL DEFAULT '',
    is_primary  INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1))
) STRICT;
CREATE INDEX scim_identity_emails_value_key ON scim_identity_emails (group_id, value_key);
CREATE INDEX scim_identity_emails_identity_id ON scim_identity_emails (identity_id);

-- +goose Down
DROP TABLE scim_identity_emails;
DROP INDEX scim_identities_family_name_key;
DROP INDEX scim_identities_given_name_key;
DROP INDEX scim_identities_display_name_key;
ALTER TABLE scim_identities DROP COLUMN family_name_key;
ALTER TABLE scim_identities DROP COLUMN given_name_key;
ALTER TABLE scim_identities DROP COLUMN display_name_key;
