-- Why and when a group's last IdP metadata refresh failed (behaviour.md
-- decision 41). migrations/sqlite/00006_saml_metadata_refresh.sql is the
-- same change for SQLite (its header explains it); keep the two in step.
--
-- Adding a column with a constant default rewrites no rows here either.

-- +goose Up
ALTER TABLE saml_configs
    ADD COLUMN metadata_refresh_error     TEXT NOT NULL DEFAULT '',
    ADD COLUMN metadata_refresh_failed_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE saml_configs
    DROP COLUMN metadata_refresh_failed_at,
    DROP COLUMN metadata_refresh_error;
