-- Cheap SCIM paging (behaviour.md decision 3: totalResults exact, the order
-- stable, at any startIndex). migrations/postgres/00004_scim_paging.sql is
-- the same change for PostgreSQL; keep the two in step.
--
--   * scim_identity_counts holds, per group, the exact number of live SCIM
--     identities (state <> 'deleted'; inactive and pending ones count), so
--     that a page's totalResults is one row read instead of a COUNT(*) over
--     the group. Triggers keep it, in the same transaction as every write
--     that changes it: an insert, a change of state to or from deleted, a
--     delete (a user's or group's cascade included). Store code could miss
--     a path (a cascade, a write added later); a trigger cannot. A group
--     without a row has no live identity. The row goes with its group.
--     generation goes up with every one of those changes, so a reader can
--     tell that the group's live identities, and so their positions in the
--     list, are the same as when it last looked (the store continues a
--     read that goes through the group page by page from where its last
--     page ended, while they are).
--   * scim_identities_live indexes (group_id, id) of the live identities
--     only. A page selects its ids from it first and reads only those rows,
--     so the rows that startIndex skips are index entries: the table is
--     never read for them, to find out whether they are deleted. It
--     replaces scim_identities_group_id (the same columns over every row),
--     which nothing needs any more: every query of a group's identities
--     but those by user (scim_identities_user_key) asks for live ones.
--   * name.formatted becomes filterable, like name.givenName:
--     formatted_name is the name.formatted of the identity's stored
--     document (scim.FormattedName, which the store reads on every write)
--     and formatted_name_key its canonical key, indexed after group_id.
--     SQL has no canon.Key, so the rows already there keep a NULL
--     formatted_name, which a partial index finds, until a store opens the
--     database: sqldb.Migrate then fills both columns from each row's
--     document (and again for rows that a previous release writes during
--     a rolling upgrade, at the next start).

-- +goose Up

CREATE TABLE scim_identity_counts (
    group_id   INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    live       INTEGER NOT NULL,
    generation INTEGER NOT NULL
) STRICT;

INSERT INTO scim_identity_counts (group_id, live, generation)
SELECT group_id, COUNT(*), 1 FROM scim_identities WHERE state <> 'deleted' GROUP BY group_id;

-- Decrements only update: when a group is deleted its row may be gone
-- already, and must not come back. The WHERE of the INSERT … SELECT is also
-- what lets SQLite parse the ON CONFLICT that follows it.
-- +goose StatementBegin
CREATE TRIGGER scim_identity_counts_insert AFTER INSERT ON scim_identities
WHEN NEW.state <> 'deleted'
BEGIN
    INSERT INTO scim_identity_counts (group_id, live, generation) VALUES (NEW.group_id, 1, 1)
        ON CONFLICT (group_id) DO UPDATE SET live = live + 1, generation = generation + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER scim_identity_counts_update AFTER UPDATE OF state, group_id ON scim_identities
WHEN (OLD.state <> 'deleted') <> (NEW.state <> 'deleted') OR OLD.group_id <> NEW.group_id
BEGIN
    UPDATE scim_identity_counts SET live = live - 1, generation = generation + 1
        WHERE group_id = OLD.group_id AND OLD.state <> 'deleted';
    INSERT INTO scim_identity_counts (group_id, live, generation) SELECT NEW.group_id, 1, 1 WHERE NEW.state <> 'deleted'
        ON CONFLICT (group_id) DO UPDATE SET live = live + 1, generation = generation + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER scim_identity_counts_delete AFTER DELETE ON scim_identities
WHEN OLD.state <> 'deleted'
BEGIN
    UPDATE scim_identity_counts SET live = live - 1, generation = generation + 1 WHERE group_id = OLD.group_id;
END;
-- +goose StatementEnd

CREATE INDEX scim_identities_live ON scim_identities (group_id, id) WHERE state <> 'deleted';
DROP INDEX scim_identities_group_id;

ALTER TABLE scim_identities ADD COLUMN formatted_name TEXT;
ALTER TABLE scim_identities ADD COLUMN formatted_name_key TEXT NOT NULL DEFAULT '';
CREATE INDEX scim_identities_formatted_name_key ON scim_identities (group_id, formatted_name_key);
CREATE INDEX scim_identities_formatted_name_unread ON scim_identities (id) WHERE formatted_name IS NULL;

-- +goose Down
DROP INDEX scim_identities_formatted_name_unread;
DROP INDEX scim_identities_formatted_name_key;
ALTER TABLE scim_identities DROP COLUMN formatted_name_key;
ALTER TABLE scim_identities DROP COLUMN formatted_name;
CREATE INDEX scim_identities_group_id ON scim_identities (group_id, id);
DROP INDEX scim_identities_live;
DROP TRIGGER scim_identity_counts_delete;
DROP TRIGGER scim_identity_counts_update;
DROP TRIGGER scim_identity_counts_insert;
DROP TABLE scim_identity_counts;
