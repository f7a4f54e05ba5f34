package sqldb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

const scimLogCols = `id, group_id, created_at, request_id, method, path, status, duration_us, operation,
	request_body, response_body, note, client_ip, user_agent`

// scimLogInsertCols are the columns an insert binds, in the order of
// scimLogArgs.
const scimLogInsertCols = `group_id, created_at, request_id, method, path, status, duration_us, operation,
	request_body, response_body, note, client_ip, user_agent`

const scimLogInsertArity = 13

// scimLogChunks are the row counts of the multi-row INSERTs that append
// entries, largest first: a batch is written as full chunks of the largest,
// then the rest with the smaller ones. A few fixed statement shapes keep the
// prepared-statement cache small, and a batch of 500 costs 32 statements,
// not 500 round trips. Chunks stay small because the SQLite driver looks up
// each parameter's name in a list of all of them, so binding costs the
// square of a statement's parameters: 16 rows (208 parameters) write as
// fast as any size, 64 rows a third slower.
var scimLogChunks = []int{16, 4, 1}

// scimLogInsert holds the INSERT statement of each chunk size.
var scimLogInsert = func() map[int]string {
	m := make(map[int]string, len(scimLogChunks))
	for _, n := range scimLogChunks {
		var b strings.Builder
		b.WriteString("INSERT INTO scim_request_log (" + scimLogInsertCols + ") VALUES ")
		for r := range n {
			if r > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for c := range scimLogInsertArity {
				if c > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "$%d", r*scimLogInsertArity+c+1)
			}
			b.WriteByte(')')
		}
		b.WriteString(" RETURNING id")
		m[n] = b.String()
	}
	return m
}()

func scanSCIMLog(s rowScanner) (*gatehouse.SCIMRequestLog, error) {
	var (
		e  gatehouse.SCIMRequestLog
		us int64
	)
	err := s.Scan(&e.ID, &e.GroupID, timeCol{&e.At}, &e.RequestID, &e.Method, &e.Path, &e.Status, &us,
		&e.Operation, &e.RequestBody, &e.ResponseBody, &e.Note, &e.ClientIP, &e.UserAgent)
	e.Duration = time.Duration(us) * time.Microsecond
	return &e, err
}

// AppendSCIMRequestLogs implements store.SCIMRequestLogQueries.
func (q *queries) AppendSCIMRequestLogs(ctx context.Context, entries []*gatehouse.SCIMRequestLog, keep int) error {
	const op = "AppendSCIMRequestLogs"
	if len(entries) == 0 {
		return nil
	}
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return err
		}
	}
	now := q.clock()
	ats := make([]time.Time, len(entries))
	var groups []int64
	for i, e := range entries {
		if ats[i] = stored(e.At); ats[i].IsZero() {
			ats[i] = now
		}
		if !slices.Contains(groups, e.GroupID) {
			groups = append(groups, e.GroupID)
		}
	}
	ids := make([]int64, 0, len(entries))
	boundaries := make(map[int64]int64, len(groups)) // of the trims, for the floors
	err := q.atomic(ctx, op, func(q *queries) error {
		for from := 0; from < len(entries); {
			n := chunkSize(len(entries) - from)
			chunk := entries[from : from+n]
			args := make([]any, 0, n*scimLogInsertArity)
			for i, e := range chunk {
				args = append(args, e.GroupID, q.t(ats[from+i]), e.RequestID, e.Method, e.Path, e.Status,
					e.Duration.Microseconds(), e.Operation, e.RequestBody, e.ResponseBody, e.Note, e.ClientIP, e.UserAgent)
			}
			got, err := q.insertIDs(ctx, scimLogInsert[n], args)
			if err != nil {
				return q.fail(ctx, op, err, &onErr{refs: groupRefs("scim_request_log_group_id_fkey", chunk)})
			}
			ids = append(ids, got...)
			from += n
		}
		if keep <= 0 {
			return nil
		}
		for _, g := range groups {
			b, err := q.trimLog(ctx, scimLog, q.scimLogFloors, g, keep)
			if err != nil {
				return q.fail(ctx, op, err, nil)
			}
			boundaries[g] = b
		}
		return nil
	})
	if err != nil {
		return err
	}
	q.scimLogFloors.set(boundaries)
	if len(ids) != len(entries) {
		return &gatehouse.Error{Kind: gatehouse.Internal, Op: q.d.Name + "." + op,
			Message: fmt.Sprintf("the database returned %d ids for %d entries", len(ids), len(entries))}
	}
	// RETURNING lists the new ids in no promised order, but the ids of one
	// INSERT are assigned in the order of its rows, and chunks run in order.
	slices.Sort(ids)
	for i, e := range entries {
		e.ID, e.At, e.Duration = ids[i], ats[i], e.Duration.Truncate(time.Microsecond)
	}
	return nil
}

// chunkSize is the largest of scimLogChunks not above n (n > 0).
func chunkSize(n int) int {
	for _, c := range scimLogChunks {
		if c <= n {
			return c
		}
	}
	return 1
}

// insertIDs runs an INSERT … RETURNING id and collects the ids.
func (q *queries) insertIDs(ctx context.Context, query string, args []any) ([]int64, error) {
	rows, err := q.w.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// groupRefs lists the distinct groups of entries as references of the
// foreign key fkey, for fail's NotFound message.
func groupRefs(fkey string, entries []*gatehouse.SCIMRequestLog) []ref {
	var refs []ref
	for _, e := range entries {
		if !slices.ContainsFunc(refs, func(r ref) bool { return r.id == e.GroupID }) {
			refs = append(refs, ref{fkey: fkey, table: "groups", noun: "group", id: e.GroupID})
		}
	}
	return refs
}

// ListSCIMRequestLogs implements store.SCIMRequestLogQueries.
func (q *queries) ListSCIMRequestLogs(ctx context.Context, groupID int64, p store.Page) ([]*gatehouse.SCIMRequestLog, int, error) {
	l := listing{cols: scimLogCols, table: "scim_request_log", key: "id", desc: true,
		where: []string{"group_id = $1"}, args: []any{groupID}}
	return list(ctx, q, "ListSCIMRequestLogs", l, p, scanSCIMLog)
}
