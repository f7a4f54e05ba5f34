-- The SCIM request log (behaviour.md decisions 17 and 24): the newest
-- requests of each group's SCIM endpoint, redacted, for the group's owners.
-- migrations/postgres/00003_scim_request_log.sql is the same change for
-- PostgreSQL; keep the two in step.
--
--   * A background writer inserts entries in batches and, in the same
--     transaction, deletes each group's entries past the newest N. Both the
--     listing (newest first) and that trim walk the (group_id, id) index, so
--     their cost depends on N, not on the size of the table.
--   * Entries are lost with their group (ON DELETE CASCADE): the log is
--     diagnostics, not the audit trail, which audit_events keeps.
--   * duration_us is the request's duration in microseconds.

-- +goose Up

CREATE TABLE scim_request_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id      INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    request_id    TEXT    NOT NULL DEFAULT '',
    method        TEXT    NOT NULL,
    path          TEXT    NOT NULL DEFAULT '',
    status        INTEGER NOT NULL,
    duration_us   INTEGER NOT NULL DEFAULT 0,
    operation     TEXT    NOT NULL DEFAULT '',
    request_body  TEXT    NOT NULL DEFAULT '',
    response_body TEXT    NOT NULL DEFAULT '',
    note          TEXT    NOT NULL DEFAULT '',
    client_ip     TEXT    NOT NULL DEFAULT '',
    user_agent    TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX scim_request_log_group_id ON scim_request_log (group_id, id);

-- +goose Down
DROP TABLE scim_request_log;
