-- A migration of a release that does not exist: only binaries built with
-- the tag gatehouse_testnext embed it (migrate_testnext.go). See
-- testnext/sqlite/90001_testnext_note.sql.

-- +goose Up
ALTER TABLE scim_identities ADD COLUMN testnext_note TEXT;
UPDATE scim_identities SET testnext_note = 'v-next';
