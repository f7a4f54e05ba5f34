package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
)

// uniqueIndex says how a violation of one unique index reads to the user.
type uniqueIndex struct {
	name    string // the index name, as PostgreSQL reports it
	columns string // the columns, as SQLite reports them
	format  string // the message; its one verb, if any, takes the offending value
}

// uniqueIndexes lists every unique index of the schema that a write can
// violate. A test checks that the list matches the migrations.
var uniqueIndexes = []uniqueIndex{
	{"groups_path_key", "groups.path_key", "group path %q is already taken"},
	{"users_username_key", "users.username_key", "username %q is already taken"},
	{"user_emails_personal_key", "user_emails.email_key", "email %q already belongs to another account"},
	{"user_emails_managed_key", "user_emails.managing_group_id, user_emails.email_key", "email %q already belongs to another account managed by this group"},
	{"user_emails_user_key", "user_emails.user_id, user_emails.email_key", "email %q is listed more than once"},
	{"identities_extern_uid_key", "identities.group_id, identities.extern_uid_key", "extern_uid %q is already used by another identity in this group"},
	{"identities_user_key", "identities.group_id, identities.user_id", "user %d already has a SAML identity in this group"},
	{"scim_identities_scim_id_key", "scim_identities.scim_id", "SCIM id %q is already taken"},
	{"scim_identities_extern_uid_key", "scim_identities.group_id, scim_identities.extern_uid_key", "extern_uid %q is already used by another SCIM identity in this group"},
	{"scim_identities_user_name_key", "scim_identities.group_id, scim_identities.user_name_key", "userName %q is already used by another SCIM identity in this group"},
	{"scim_identities_user_key", "scim_identities.group_id, scim_identities.user_id", "user %d already has a SCIM identity in this group"},
	{"scim_groups_scim_id_key", "scim_groups.scim_id", "SCIM group id %q is already taken"},
	{"scim_groups_display_name_key", "scim_groups.group_id, scim_groups.display_name_key", "displayName %q is already used by another SCIM group in this group"},
	{"scim_tokens_token_hash_key", "scim_tokens.token_hash", "a SCIM token with this hash already exists"},
	{"personal_access_tokens_token_hash_key", "personal_access_tokens.token_hash", "a personal access token with this hash already exists"},
	{"sessions_token_hash_key", "sessions.token_hash", "a session with this hash already exists"},
	{"saml_requests_request_id_key", "saml_requests.group_id, saml_requests.request_id", "SAML request ID %q is already used in this group"},
	{"saml_assertions_assertion_id_key", "saml_assertions.group_id, saml_assertions.assertion_id", "SAML assertion %q was already used in this group"},
	{"saml_flows_token_hash_key", "saml_flows.token_hash", "a SAML flow with this hash already exists"},
	{"group_links_group_key", "group_links.group_id, group_links.idp_group_key", "IdP group %q is already linked in this group"},
	{"saml_log_reference_id_key", "saml_log.group_id, saml_log.reference_id", "reference id %q is already used in this group's SAML log"},
}

// findUnique returns the index a Class.Constraint names, by name or columns.
func findUnique(constraint string) (uniqueIndex, bool) {
	if constraint == "" {
		return uniqueIndex{}, false
	}
	for _, ix := range uniqueIndexes {
		if constraint == ix.name || constraint == ix.columns {
			return ix, true
		}
	}
	return uniqueIndex{}, false
}

// onErr tells fail how to word the constraint violations one write can
// cause.
type onErr struct {
	// values maps a unique index's name to the value its message quotes.
	values map[string]any
	// refs are the rows the written row's foreign keys point to.
	refs []ref
}

// ref is one row a foreign key points to.
type ref struct {
	fkey  string // PostgreSQL's name of the key: <table>_<column>_fkey
	table string // the referenced table, probed when the driver names no key
	noun  string // what the message calls the row: "group", "user"
	id    int64
}

func (r ref) missing() string { return fmt.Sprintf("%s %d not found", r.noun, r.id) }

// fail turns err, a driver or database/sql error, into a *gatehouse.Error.
// It never probes; see queries.fail.
func (e *env) fail(op string, err error, h *onErr) error {
	return e.classify(op, err, h, nil)
}

// fail is env.fail that may also query q to find which referenced row is
// missing when a foreign key fails and the driver does not name it (SQLite,
// whose transaction stays usable after a failed statement).
func (q *queries) fail(ctx context.Context, op string, err error, h *onErr) error {
	return q.classify(op, err, h, func(r ref) (bool, error) {
		var one int
		err := q.r.QueryRowContext(ctx, "SELECT 1 FROM "+r.table+" WHERE id = $1", r.id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	})
}

func (e *env) classify(op string, err error, h *onErr, exists func(ref) (bool, error)) error {
	ge := &gatehouse.Error{Kind: gatehouse.Internal, Op: e.d.Name + "." + op, Message: "internal database error", Err: err}
	if h == nil {
		h = &onErr{}
	}
	switch {
	case errors.Is(err, context.Canceled):
		ge.Kind, ge.Message = gatehouse.Unavailable, "the request was canceled before the database answered"
		return ge
	case errors.Is(err, context.DeadlineExceeded):
		ge.Kind, ge.Message = gatehouse.Unavailable, "the database did not answer in time; try again"
		return ge
	}
	c := e.d.Classify(err)
	switch c.Kind {
	case gatehouse.Conflict:
		ge.Kind, ge.Message = gatehouse.Conflict, "the change would duplicate an existing value"
		if ix, ok := findUnique(c.Constraint); ok {
			if v, ok := h.values[ix.name]; ok {
				ge.Message = fmt.Sprintf(ix.format, v)
			} else if !strings.Contains(ix.format, "%") {
				ge.Message = ix.format
			}
		}
	case gatehouse.NotFound:
		ge.Kind, ge.Message = gatehouse.NotFound, missingMessage(c.Constraint, h.refs, exists)
	case gatehouse.Unavailable:
		ge.Kind, ge.Message = gatehouse.Unavailable, "the database is unavailable; try again"
		if c.Message != "" {
			ge.Message = c.Message
		}
	}
	return ge
}

// missingMessage says which referenced row a failed foreign key was about:
// the one the constraint names, else the first one exists denies, else all
// of them.
func missingMessage(constraint string, refs []ref, exists func(ref) (bool, error)) string {
	for _, r := range refs {
		if constraint != "" && constraint == r.fkey {
			return r.missing()
		}
	}
	if exists != nil {
		for _, r := range refs {
			if ok, err := exists(r); err == nil && !ok {
				return r.missing()
			}
		}
	}
	if len(refs) == 0 {
		return "a row it refers to does not exist"
	}
	parts := make([]string, len(refs))
	for i, r := range refs {
		parts[i] = fmt.Sprintf("%s %d", r.noun, r.id)
	}
	return strings.Join(parts, " or ") + " not found"
}

// notFound returns a NotFound error with the given message.
func (e *env) notFound(op, format string, args ...any) error {
	return &gatehouse.Error{Kind: gatehouse.NotFound, Op: e.d.Name + "." + op, Message: fmt.Sprintf(format, args...)}
}

// invalid returns an Invalid error with the given message.
func (e *env) invalid(op, format string, args ...any) error {
	return &gatehouse.Error{Kind: gatehouse.Invalid, Op: e.d.Name + "." + op, Message: fmt.Sprintf(format, args...)}
}

// conflict returns a Conflict error with the given message.
func (e *env) conflict(op, format string, args ...any) error {
	return &gatehouse.Error{Kind: gatehouse.Conflict, Op: e.d.Name + "." + op, Message: fmt.Sprintf(format, args...)}
}

// one reports a NotFound error built by nf when an UPDATE or DELETE touched
// no row.
func (q *queries) one(ctx context.Context, op string, res sql.Result, nf func() error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	if n == 0 {
		return nf()
	}
	return nil
}
