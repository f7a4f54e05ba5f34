-- A migration of a release that does not exist: only binaries built with
-- the tag gatehouse_testnext embed it (migrate_testnext.go), so that
-- test/crash can run two versions on one database while one migrates it.
-- Its version is far above any real one. It adds a nullable column, as
-- real releases do (older code ignores it), and fills it in for every row
-- while the older binary writes.
-- testnext/postgres/90001_testnext_note.sql is the same for PostgreSQL.

-- +goose Up
ALTER TABLE scim_identities ADD COLUMN testnext_note TEXT;
UPDATE scim_identities SET testnext_note = 'v-next';
