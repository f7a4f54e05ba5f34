-- "Verify SAML configuration" (the group owner's test of the SAML
-- settings): an AuthnRequest may be a test, and a test's verified response
-- becomes a continue flow of kind 'verify', which shows the owner what was
-- checked and signs nobody in.
-- migrations/sqlite/00007_saml_verify.sql is the same change for SQLite
-- (its header explains it); keep the two in step.

-- +goose Up

ALTER TABLE saml_requests ADD COLUMN verify BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE saml_flows DROP CONSTRAINT saml_flows_kind_check;
ALTER TABLE saml_flows ADD CONSTRAINT saml_flows_kind_check CHECK (kind IN ('sign_in', 'link', 'create', 'verify'));

-- +goose Down

DELETE FROM saml_flows WHERE kind = 'verify';
ALTER TABLE saml_flows DROP CONSTRAINT saml_flows_kind_check;
ALTER TABLE saml_flows ADD CONSTRAINT saml_flows_kind_check CHECK (kind IN ('sign_in', 'link', 'create'));
ALTER TABLE saml_requests DROP COLUMN verify;
