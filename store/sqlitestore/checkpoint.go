package sqlitestore

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// checkpointInterval is the least time between two background checkpoints
// while writes go on. During an initial sync (some 17 WAL frames per SCIM
// create) that is about as many frames per checkpoint as SQLite's automatic
// checkpoint copies (1,000): a checkpoint every 16 MiB instead made a sync
// slower in an earlier trial (docs/performance.md).
const checkpointInterval = 50 * time.Millisecond

// checkpointParams open the checkpointer's connection. It only copies WAL
// frames into the database file: no journal_mode (the writer has set WAL),
// no foreign keys.
const checkpointParams = "_pragma=busy_timeout(5000)"

// checkpointer copies the WAL back into the database file on a connection
// of its own, so that the single writer does not: with SQLite's automatic
// checkpoint the commit that crosses 1,000 WAL frames copies them and
// syncs both files, and every transaction queued behind the writer waits
// for it. A PASSIVE checkpoint never blocks the writer or the readers; it
// copies the frames no reader still needs, and the writer starts the WAL
// over once all of them are copied. The writer keeps a larger automatic
// checkpoint (writerParams) in case this one falls behind.
//
// It runs only while there are commits: each commit wakes it, and it
// checkpoints at most once every checkpointInterval.
type checkpointer struct {
	db   *sql.DB
	log  *slog.Logger
	wake chan struct{} // one pending wake-up at most
	stop chan struct{}
	done sync.WaitGroup
}

func newCheckpointer(db *sql.DB, log *slog.Logger) *checkpointer {
	c := &checkpointer{db: db, log: log, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	c.done.Go(c.run)
	return c
}

// committed notes a commit. It never blocks.
func (c *checkpointer) committed() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	for {
		select {
		case <-c.wake:
		case <-c.stop:
			return
		}
		// The result row (busy, frames in the WAL, frames copied) is of
		// no use here: frames left behind are copied next time.
		if _, err := c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && c.log != nil {
			c.log.Warn("SQLite WAL checkpoint failed", "err", err)
		}
		select {
		case <-time.After(checkpointInterval):
		case <-c.stop:
			return
		}
	}
}

// close stops the goroutine, waiting for a checkpoint under way, and
// closes the connection.
func (c *checkpointer) close() error {
	close(c.stop)
	c.done.Wait()
	return c.db.Close()
}
