-- Counters of failed password sign-ins, per account login and per client
-- address (security.md §2.1). migrations/sqlite/00008_signin_failures.sql
-- is the same change for SQLite (its header explains the table); keep the
-- two in step.
--
-- Concurrent failures of one key on any number of nodes each count once:
-- the second INSERT … ON CONFLICT DO UPDATE waits for the first's row lock
-- under READ COMMITTED and then updates the committed row.

-- +goose Up
CREATE TABLE signin_failures (
    signin_key   TEXT        NOT NULL PRIMARY KEY,
    failures     INTEGER     NOT NULL CHECK (failures >= 0),
    window_start TIMESTAMPTZ NOT NULL,
    window_end   TIMESTAMPTZ NOT NULL
);
CREATE INDEX signin_failures_window_end ON signin_failures (window_end);

-- +goose Down
DROP TABLE signin_failures;
