-- Counters of failed password sign-ins, per account login and per client
-- address (security.md §2.1), in the database so that every node of an
-- instance counts together. migrations/postgres/00008_signin_failures.sql
-- is the same change for PostgreSQL; keep the two in step.
--
-- One row per key: a failure is one INSERT … ON CONFLICT DO UPDATE that
-- either opens a new window (none, or the old one has ended) or adds one
-- to the count, so concurrent failures each count once. window_end has an
-- index for the sweep of ended windows. Keys never hold a password; the
-- caller hashes account logins.

-- +goose Up
CREATE TABLE signin_failures (
    signin_key   TEXT    NOT NULL PRIMARY KEY,
    failures     INTEGER NOT NULL CHECK (failures >= 0),
    window_start INTEGER NOT NULL,
    window_end   INTEGER NOT NULL
) STRICT;
CREATE INDEX signin_failures_window_end ON signin_failures (window_end);

-- +goose Down
DROP TABLE signin_failures;
