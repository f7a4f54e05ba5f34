package sqldb

import (
	"context"
	"database/sql"
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
}

// list counts the rows of l, then reads the page p of them, calling scan on
// each. The count ignores p.AfterID and p.Offset, so it is the size of the
// whole list. Negative page values count as 0.
func (q *queries) list(ctx context.Context, op string, l listing, p store.Page, scan func(*sql.Rows) error) (int, error) {
	where := ""
	if len(l.where) > 0 {
		where = " WHERE " + strings.Join(l.where, " AND ")
	}
	var total int
	if err := q.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+l.table+where, l.args...).Scan(&total); err != nil {
		return 0, q.fail(ctx, op, err, nil)
	}
	limit, offset := max(p.Limit, 0), max(p.Offset, 0)
	if limit == 0 {
		return total, nil
	}

	conds, args := l.where, l.args
	if p.AfterID > 0 {
		cmp := ">"
		if l.desc {
			cmp = "<"
		}
		args = append(args[:len(args):len(args)], p.AfterID)
		conds = append(conds[:len(conds):len(conds)], fmt.Sprintf("%s %s $%d", l.key, cmp, len(args)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT %s FROM %s", l.cols, l.table)
	if len(conds) > 0 {
		b.WriteString(" WHERE " + strings.Join(conds, " AND "))
	}
	order := "ASC"
	if l.desc {
		order = "DESC"
	}
	args = append(args[:len(args):len(args)], limit, offset)
	fmt.Fprintf(&b, " ORDER BY %s %s LIMIT $%d OFFSET $%d", l.key, order, len(args)-1, len(args))

	rows, err := q.r.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return 0, q.fail(ctx, op, err, nil)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return 0, q.fail(ctx, op, err, nil)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, q.fail(ctx, op, err, nil)
	}
	return total, nil
}

// all reads every row of query, calling scan on each.
func (q *queries) all(ctx context.Context, op, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := q.r.QueryContext(ctx, query, args...)
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return q.fail(ctx, op, err, nil)
		}
	}
	if err := rows.Err(); err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return nil
}
