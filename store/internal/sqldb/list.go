package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-sso/gatehouse/store"
)

// listing describes one paged list: the rows of table matching where, in
// order of the key column.
type listing struct {
	cols  string   // the selected columns
	table string   // the FROM clause
	where []string // conditions, ANDed; $n placeholders number args from 1
	args  []any
	key   string // the column the list is ordered by and AfterID refers to
	desc  bool   // newest first
	// adHoc marks a where built from a client's filter: its queries run
	// with the dialect's AdHocArgs.
	adHoc bool
	// keysFirst selects a page's keys in a subquery of their own, and
	// only then the rows with those keys: the rows that Offset skips are
	// then read from an index on (where's columns, key) alone, if one
	// exists, and never from the table.
	keysFirst bool
}

// runArgs returns the arguments to run a query of l with: args, led by
// the dialect's AdHocArgs when l is ad hoc. Placeholders number args alone.
func (q *queries) runArgs(l listing, args []any) []any {
	if !l.adHoc || len(q.d.AdHocArgs) == 0 {
		return args
	}
	return append(append([]any(nil), q.d.AdHocArgs...), args...)
}

// rowScanner is what *sql.Row and *sql.Rows have in common: the scan
// functions read one row from either.
type rowScanner interface{ Scan(dest ...any) error }

// findOne reads the one row query selects, with scan. No row is the error nf
// returns; any other failure is q.fail's.
func findOne[T any](ctx context.Context, q *queries, op string, scan func(rowScanner) (*T, error), query string, args []any, nf func() error) (*T, error) {
	v, err := scan(q.r.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nf()
	}
	if err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	return v, nil
}

// collect reads every row query selects, with scan.
func collect[T any](ctx context.Context, q *queries, op string, scan func(rowScanner) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := q.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	defer rows.Close()
	var vs []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, q.fail(ctx, op, err, nil)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	return vs, nil
}

// list counts the rows of l, then reads the page p of them with scan. The
// count ignores p.AfterID and p.Offset, so it is the size of the whole list.
// Negative page values count as 0.
func list[T any](ctx context.Context, q *queries, op string, l listing, p store.Page, scan func(rowScanner) (*T, error)) ([]*T, int, error) {
	return listWith(ctx, q, op, l, p, func(query string, args []any) ([]*T, error) {
		return collect(ctx, q, op, scan, query, args...)
	})
}

// listWith is list for rows that need more than a scan per row (SCIM
// identities come with their emails): read runs the page's query.
func listWith[T any](ctx context.Context, q *queries, op string, l listing, p store.Page, read func(query string, args []any) ([]*T, error)) ([]*T, int, error) {
	if p.Limit <= 0 {
		total, err := q.count(ctx, op, l)
		return nil, total, err
	}
	query, args := page(l, p)
	vs, err := read(query, args)
	if err != nil {
		return nil, 0, err
	}
	if fromStart(p) && len(vs) < p.Limit {
		// A page from the start that is not full holds the whole list, so
		// it needs no count: the lookups IdPs make before every create
		// (userName eq, one row or none) cost one query, not two.
		return vs, len(vs), nil
	}
	total, err := q.count(ctx, op, l)
	if err != nil {
		return nil, 0, err
	}
	return vs, total, nil
}

// fromStart reports whether p starts at the first row of the list.
func fromStart(p store.Page) bool { return p.Offset <= 0 && p.AfterID <= 0 }

// count returns the number of rows of l.
func (q *queries) count(ctx context.Context, op string, l listing) (int, error) {
	where := ""
	if len(l.where) > 0 {
		where = " WHERE " + strings.Join(l.where, " AND ")
	}
	var total int
	if err := q.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+l.table+where, q.runArgs(l, l.args)...).Scan(&total); err != nil {
		return 0, q.fail(ctx, op, err, nil)
	}
	return total, nil
}

// page returns the query that selects page p of l, and its arguments.
// Negative page values count as 0.
func page(l listing, p store.Page) (string, []any) {
	limit, offset := max(p.Limit, 0), max(p.Offset, 0)
	conds, args := l.where, l.args
	if p.AfterID > 0 {
		cmp := ">"
		if l.desc {
			cmp = "<"
		}
		args = append(args[:len(args):len(args)], p.AfterID)
		conds = append(conds[:len(conds):len(conds)], fmt.Sprintf("%s %s $%d", l.key, cmp, len(args)))
	}
	order := "ASC"
	if l.desc {
		order = "DESC"
	}
	args = append(args[:len(args):len(args)], limit, offset)
	window := fmt.Sprintf(" ORDER BY %s %s LIMIT $%d OFFSET $%d", l.key, order, len(args)-1, len(args))
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	if l.keysFirst {
		return fmt.Sprintf("SELECT %s FROM %s WHERE %s IN (SELECT %s FROM %s%s%s) ORDER BY %s %s",
			l.cols, l.table, l.key, l.key, l.table, where, window, l.key, order), args
	}
	return fmt.Sprintf("SELECT %s FROM %s%s%s", l.cols, l.table, where, window), args
}
