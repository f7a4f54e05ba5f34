package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// groupLog is a table of per-group log entries that appending trims to
// each group's newest entries: the SCIM request log and the SAML log. The
// table has an id that grows with every entry and an index on (group_id, id).
//
// Trimming a group's log to its newest keep entries takes two statements:
// boundary finds the newest entry to delete, the (keep+1)-th newest, and
// trim deletes it and everything older. Both look only above a floor, the
// boundary of the group's previous trim (see trimFloors): on PostgreSQL the
// rows deleted before stay in the index and the heap as dead tuples until
// VACUUM, and a scan from the group's first id would wade through every one
// of them, so a trim would cost more with every append.
type groupLog struct {
	boundary, trim string
}

func newGroupLog(table string) groupLog {
	return groupLog{
		boundary: `SELECT id FROM ` + table + ` WHERE group_id = $1 AND id > $2 ORDER BY id DESC LIMIT 1 OFFSET $3`,
		trim:     `DELETE FROM ` + table + ` WHERE group_id = $1 AND id > $2 AND id <= $3`,
	}
}

// The per-group logs.
var (
	scimLog = newGroupLog("scim_request_log")
	samlLog = newGroupLog("saml_log")
)

// trimLog deletes all but the newest keep entries of the group in l,
// starting from the group's floor in floors, and returns the id of the
// newest it deleted, or the floor when there was nothing to delete. The
// caller records the returned boundary in floors once the transaction has
// committed (trimFloors.set).
func (q *queries) trimLog(ctx context.Context, l groupLog, floors *trimFloors, groupID int64, keep int) (int64, error) {
	floor := floors.floor(groupID)
	var boundary int64
	err := q.w.QueryRowContext(ctx, l.boundary, groupID, floor, keep).Scan(&boundary)
	if errors.Is(err, sql.ErrNoRows) {
		return floor, nil // keep or fewer entries above the floor
	}
	if err != nil {
		return 0, err
	}
	if _, err := q.w.ExecContext(ctx, l.trim, groupID, floor, boundary); err != nil {
		return 0, err
	}
	return boundary, nil
}

// fullTrimEvery is how often, in trims of a group, a trim ignores the floor
// and looks at all of the group's entries: an entry below the floor (one
// that another server's transaction committed after this one trimmed, or
// one left by a rolled-back trim) is deleted then.
const fullTrimEvery = 64

// maxTrimFloors bounds the floors kept; past it they are forgotten and the
// next trim of each group starts from its first entry.
const maxTrimFloors = 100_000

// trimFloors remembers, per group, the boundary of the last trim of one
// log this process made. Every entry at or below it is known to be deleted, unless
// another server inserted one that committed late; it is a hint that makes
// trims cheap, never a rule. It is safe for concurrent use.
type trimFloors struct {
	mu sync.Mutex
	m  map[int64]trimFloor
}

type trimFloor struct {
	id    int64 // the boundary of the last trim
	trims int   // trims since the last full one
}

// floor returns the id above which to look for the group's entries: the
// last boundary, or 0 for a full trim.
func (f *trimFloors) floor(groupID int64) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl := f.m[groupID]
	if fl.trims%fullTrimEvery == 0 {
		return 0
	}
	return fl.id
}

// set records the boundaries of committed trims.
func (f *trimFloors) set(boundaries map[int64]int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil || len(f.m)+len(boundaries) > maxTrimFloors {
		f.m = make(map[int64]trimFloor)
	}
	for g, id := range boundaries {
		fl := f.m[g]
		f.m[g] = trimFloor{id: max(fl.id, id), trims: fl.trims + 1}
	}
}
