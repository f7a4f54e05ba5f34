-- Cheap SCIM paging (behaviour.md decision 3). migrations/sqlite/00004_scim_paging.sql
-- is the same change for SQLite (its header explains it); keep the two in
-- step.
--
-- Difference from SQLite: SQLite has one writer, PostgreSQL many, and a
-- row of scim_identity_counts that every concurrent create of a group
-- updated would be locked by each of them until it commits, which lines
-- the group's creates up one behind the other's commit (measured: most of
-- an initial sync's time waiting on that lock). So a group's count is
-- spread over up to 64 rows, shards, and a transaction changes the shard of
-- its own server process (pg_backend_pid() % 64): transactions on
-- different connections almost never touch the same row. The count is the
-- sum of the group's shards, and the generation, which only goes up, the
-- sum of theirs. The triggers are also constraint triggers, DEFERRABLE
-- INITIALLY DEFERRED: each change is queued when the row is written (the
-- WHEN clause is checked then, so writes that change no count queue
-- nothing) and applied at COMMIT, so that even a shard that two
-- connections share stays locked only while the transaction commits.
-- The same transaction does not see its own changes in the counts until
-- it commits, which is why the store counts rows inside a transaction.
--
-- formatted_name_key is COLLATE "C", like every column a filter compares
-- (migration 00002).

-- +goose Up

-- Writers (nodes still on the previous release, during a rolling upgrade)
-- wait until the migration commits: a row they inserted after the counts
-- were filled in but before the triggers existed would never be counted.
LOCK TABLE scim_identities IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE scim_identity_counts (
    group_id   BIGINT   NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    shard      SMALLINT NOT NULL CHECK (shard BETWEEN 0 AND 63),
    live       BIGINT   NOT NULL, -- a shard's share may be negative; the sum is not
    generation BIGINT   NOT NULL,
    PRIMARY KEY (group_id, shard)
);

INSERT INTO scim_identity_counts (group_id, shard, live, generation)
SELECT group_id, 0, COUNT(*), 1 FROM scim_identities WHERE state <> 'deleted' GROUP BY group_id;

-- A decrement only writes while the group exists: when a group is deleted
-- its rows may be gone already, and must not come back.
-- +goose StatementBegin
CREATE FUNCTION scim_identity_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    my_shard SMALLINT := pg_backend_pid() % 64;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.state <> 'deleted' THEN
        INSERT INTO scim_identity_counts AS c (group_id, shard, live, generation)
            SELECT OLD.group_id, my_shard, -1, 1 WHERE EXISTS (SELECT 1 FROM groups WHERE id = OLD.group_id)
            ON CONFLICT (group_id, shard) DO UPDATE SET live = c.live - 1, generation = c.generation + 1;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.state <> 'deleted' THEN
        INSERT INTO scim_identity_counts AS c (group_id, shard, live, generation) VALUES (NEW.group_id, my_shard, 1, 1)
            ON CONFLICT (group_id, shard) DO UPDATE SET live = c.live + 1, generation = c.generation + 1;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER scim_identity_counts_insert AFTER INSERT ON scim_identities
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.state <> 'deleted')
    EXECUTE FUNCTION scim_identity_counts_apply();
CREATE CONSTRAINT TRIGGER scim_identity_counts_update AFTER UPDATE OF state, group_id ON scim_identities
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((OLD.state <> 'deleted') <> (NEW.state <> 'deleted') OR OLD.group_id <> NEW.group_id)
    EXECUTE FUNCTION scim_identity_counts_apply();
CREATE CONSTRAINT TRIGGER scim_identity_counts_delete AFTER DELETE ON scim_identities
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.state <> 'deleted')
    EXECUTE FUNCTION scim_identity_counts_apply();

CREATE INDEX scim_identities_live ON scim_identities (group_id, id) WHERE state <> 'deleted';
DROP INDEX scim_identities_group_id;

ALTER TABLE scim_identities
    ADD COLUMN formatted_name TEXT,
    ADD COLUMN formatted_name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX scim_identities_formatted_name_key ON scim_identities (group_id, formatted_name_key);
CREATE INDEX scim_identities_formatted_name_unread ON scim_identities (id) WHERE formatted_name IS NULL;

-- +goose Down
DROP INDEX scim_identities_formatted_name_unread;
DROP INDEX scim_identities_formatted_name_key;
ALTER TABLE scim_identities
    DROP COLUMN formatted_name_key,
    DROP COLUMN formatted_name;
CREATE INDEX scim_identities_group_id ON scim_identities (group_id, id);
DROP INDEX scim_identities_live;
DROP TRIGGER scim_identity_counts_delete ON scim_identities;
DROP TRIGGER scim_identity_counts_update ON scim_identities;
DROP TRIGGER scim_identity_counts_insert ON scim_identities;
DROP FUNCTION scim_identity_counts_apply();
DROP TABLE scim_identity_counts;
