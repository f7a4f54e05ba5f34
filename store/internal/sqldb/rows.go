package sqldb

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
)

// insertRow is one row to INSERT: its table, and its columns with their
// values in order. The single inserts and the one-statement provisioning
// write (CreateSCIMUser) build their SQL from the same rows, so that a
// column is added in one place.
type insertRow struct {
	table string
	cols  []string
	vals  []any
}

// binder numbers the placeholders of one statement. With argsOnly set
// it only gathers the values, for a statement whose text is known already.
type binder struct {
	args     []any
	argsOnly bool
}

// arg binds v and returns its placeholder.
func (b *binder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// values returns the INSERT of r with its values bound by b. When from is
// empty it is INSERT … VALUES; otherwise INSERT … SELECT … FROM from, where
// the columns named in expr take that SQL expression instead of their value
// (the id of a row the same statement inserts); an expression holding %s
// has it replaced by the bound value.
func (r insertRow) values(b *binder, from string, expr map[string]string) string {
	if b.argsOnly {
		for i, c := range r.cols {
			if e, ok := expr[c]; !ok || strings.Contains(e, "%s") {
				b.args = append(b.args, r.vals[i])
			}
		}
		return ""
	}
	vals := make([]string, len(r.cols))
	for i, c := range r.cols {
		e, ok := expr[c]
		switch {
		case !ok:
			vals[i] = b.arg(r.vals[i])
		case strings.Contains(e, "%s"):
			vals[i] = strings.Replace(e, "%s", b.arg(r.vals[i]), 1)
		default:
			vals[i] = e
		}
	}
	head := "INSERT INTO " + r.table + " (" + strings.Join(r.cols, ", ") + ")\n"
	if from == "" {
		return head + "VALUES (" + strings.Join(vals, ", ") + ")"
	}
	return head + "SELECT " + strings.Join(vals, ", ") + " FROM " + from
}

// userRow is the users row of u, created at now.
func (e *env) userRow(u *gatehouse.User, now time.Time) insertRow {
	return insertRow{table: "users",
		cols: []string{"username", "username_key", "name", "kind", "managing_group_id", "state", "is_admin",
			"password_hash", "password_expired", "created_at", "updated_at"},
		vals: []any{u.Username, canon.Key(u.Username), u.Name, string(u.Kind), nullID(u.ManagingGroupID),
			string(u.State), u.Admin, u.PasswordHash, u.PasswordExpired, e.t(now), e.t(now)},
	}
}

// identityRow is the identities row of i, created at now.
func (e *env) identityRow(i *gatehouse.Identity, now time.Time) insertRow {
	return insertRow{table: "identities",
		cols: []string{"group_id", "user_id", "extern_uid", "extern_uid_key", "state", "last_sign_in_at",
			"created_at", "updated_at"},
		vals: []any{i.GroupID, i.UserID, i.ExternUID, canon.Key(i.ExternUID), string(i.State), e.t(i.LastSignIn),
			e.t(now), e.t(now)},
	}
}

// memberRow is the members row of m, begun at now.
func (e *env) memberRow(m *gatehouse.Member, now time.Time) insertRow {
	return insertRow{table: "members",
		cols: []string{"group_id", "user_id", "role", "state", "role_source", "created_at", "updated_at"},
		vals: []any{m.GroupID, m.UserID, int(m.Role), string(m.State), string(roleSource(m.RoleSource)), e.t(now), e.t(now)},
	}
}

// roleSource is s, with "" read as gatehouse.RoleFromDefault.
func roleSource(s gatehouse.RoleSource) gatehouse.RoleSource {
	if s == "" {
		return gatehouse.RoleFromDefault
	}
	return s
}

// scimRow is the scim_identities row of s, created at now, version 1;
// formatted is the name.formatted of its document (scim.FormattedName), as
// the name.formatted filter compares it.
func (e *env) scimRow(s *gatehouse.SCIMIdentity, now time.Time, formatted string) insertRow {
	var deletedAt any
	if s.State == gatehouse.IdentityDeleted {
		deletedAt = e.t(now)
	}
	return insertRow{table: "scim_identities",
		cols: []string{"scim_id", "group_id", "user_id", "extern_uid", "extern_uid_key", "external_id_set",
			"user_name", "user_name_key", "display_name", "display_name_key", "given_name", "given_name_key",
			"family_name", "family_name_key", "email", "email_key", "state", "previous_role", "attributes",
			"version", "created_at", "updated_at", "deleted_at", "formatted_name", "formatted_name_key"},
		vals: []any{s.SCIMID, s.GroupID, s.UserID, s.ExternUID, canon.Key(s.ExternUID), s.ExternalIDSet,
			s.UserName, canon.Key(s.UserName), s.DisplayName, canon.Key(s.DisplayName),
			s.GivenName, canon.Key(s.GivenName), s.FamilyName, canon.Key(s.FamilyName),
			s.Email, canon.Key(s.Email), string(s.State), nullRole(s.PreviousRole), attributes(s.Attributes),
			1, e.t(now), e.t(now), deletedAt, formatted, canon.Key(formatted)},
	}
}

// auditRow is the audit_events row of ev, which happened at at.
func (e *env) auditRow(ev *gatehouse.AuditEvent, at time.Time) insertRow {
	var detail any // NULL for no detail
	if len(ev.Detail) > 0 {
		detail = string(ev.Detail)
	}
	return insertRow{table: "audit_events",
		cols: []string{"created_at", "group_id", "actor_kind", "actor_id", "action", "target_kind", "target_id",
			"request_id", "detail"},
		vals: []any{e.t(at), nullID(ev.GroupID), string(ev.ActorKind), ev.ActorID, ev.Action,
			ev.TargetKind, ev.TargetID, ev.RequestID, detail},
	}
}

// withUserID returns the JSON object detail (nil for none) with "user_id"
// set to id.
func withUserID(detail json.RawMessage, id int64) (json.RawMessage, error) {
	m := map[string]any{}
	if len(detail) > 0 {
		dec := json.NewDecoder(bytes.NewReader(detail))
		dec.UseNumber() // numbers come back as they were written
		if err := dec.Decode(&m); err != nil {
			return nil, err
		}
	}
	m["user_id"] = id
	return json.Marshal(m)
}
