-- A failing refresh of a group's IdP metadata URL keeps the last good copy
-- and shows a warning (behaviour.md decision 41), so the configuration
-- keeps why and when its last refresh failed, until a good refresh or a
-- new configuration clears them. migrations/postgres/00006_saml_metadata_refresh.sql
-- is the same change for PostgreSQL; keep the two in step.
--
-- Both columns are written together: an empty message and a NULL time
-- when no refresh has failed since the last good fetch. The previous
-- release neither reads nor writes them.

-- +goose Up
ALTER TABLE saml_configs ADD COLUMN metadata_refresh_error     TEXT NOT NULL DEFAULT '';
ALTER TABLE saml_configs ADD COLUMN metadata_refresh_failed_at INTEGER;

-- +goose Down
ALTER TABLE saml_configs DROP COLUMN metadata_refresh_failed_at;
ALTER TABLE saml_configs DROP COLUMN metadata_refresh_error;
