// Package admin holds the use cases that administer accounts, groups,
// memberships and tokens. The command line and the admin API call them, and
// the web pages will call the same functions, so each rule lives once.
//
// Every write runs in one store transaction together with its audit event:
// a change never lands without its record, and a failure leaves nothing
// half-written.
package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/store"
)

// Service runs the administration use cases on a store. It is safe for
// concurrent use.
type Service struct {
	Store store.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PasswordParams are the argon2id costs; the zero value means
	// password.DefaultParams.
	PasswordParams password.Params
	// MetadataClient fetches IdP metadata URLs; nil means
	// samlfetch.NewClient, which dials public addresses only. Only tests
	// set it, to reach a test server on loopback.
	MetadataClient *http.Client
	// SCIMGroups reports users' SCIM groups to group links; nil means the
	// store's (tests set a fake).
	SCIMGroups SCIMGroups
}

// Actor says who asks for a change; it is recorded in audit events.
type Actor struct {
	Kind      gatehouse.ActorKind
	ID        int64
	RequestID string
}

// System is the actor of the command line and of start-up.
var System = Actor{Kind: gatehouse.ActorSystem}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) params() password.Params {
	if s.PasswordParams == (password.Params{}) {
		return password.DefaultParams
	}
	return s.PasswordParams
}

// audit writes one event through q; detail is marshalled to JSON.
func (s *Service) audit(ctx context.Context, q store.Queries, a Actor, groupID int64, action, targetKind string, targetID any, detail map[string]any) error {
	e := &gatehouse.AuditEvent{
		At:         s.now(),
		GroupID:    groupID,
		ActorKind:  a.Kind,
		ActorID:    a.ID,
		Action:     action,
		TargetKind: targetKind,
		RequestID:  a.RequestID,
	}
	switch v := targetID.(type) {
	case int64:
		e.TargetID = strconv.FormatInt(v, 10)
	case string:
		e.TargetID = v
	}
	if len(detail) > 0 {
		b, err := json.Marshal(detail)
		if err != nil {
			return err
		}
		e.Detail = b
	}
	return q.CreateAuditEvent(ctx, e)
}

// isID reports whether ref names a numeric id: a segment of digits only is
// always an id (paths and usernames may not be all digits).
func isID(ref string) (int64, bool) {
	if ref == "" {
		return 0, false
	}
	for i := 0; i < len(ref); i++ {
		if ref[i] < '0' || ref[i] > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	return id, err == nil
}

// FindGroup finds a group by its path (case-insensitively) or numeric id.
func FindGroup(ctx context.Context, q store.Queries, ref string) (*gatehouse.Group, error) {
	if ref == "" {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "a group path or id is required")
	}
	if !lookupable(ref) {
		return nil, gatehouse.Errorf(gatehouse.NotFound, "group %q not found", ref)
	}
	var g *gatehouse.Group
	var err error
	if id, ok := isID(ref); ok {
		g, err = q.FindGroupByID(ctx, id)
	} else {
		g, err = q.FindGroupByPath(ctx, ref)
	}
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, gatehouse.Errorf(gatehouse.NotFound, "group %q not found", ref)
	}
	return g, err
}

// FindUser finds a user by username (case-insensitively) or numeric id.
func FindUser(ctx context.Context, q store.Queries, ref string) (*gatehouse.User, error) {
	if ref == "" {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "a username or user id is required")
	}
	if !lookupable(ref) {
		return nil, gatehouse.Errorf(gatehouse.NotFound, "user %q not found", ref)
	}
	var u *gatehouse.User
	var err error
	if id, ok := isID(ref); ok {
		u, err = q.FindUserByID(ctx, id)
	} else {
		u, err = q.FindUserByUsername(ctx, ref)
	}
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, gatehouse.Errorf(gatehouse.NotFound, "user %q not found", ref)
	}
	return u, err
}

// lookupable reports whether ref could name anything: a path, username or
// id is valid UTF-8 without NUL characters, and PostgreSQL refuses to
// compare anything else, so such a ref is simply not found.
func lookupable(ref string) bool {
	return utf8.ValidString(ref) && strings.IndexByte(ref, 0) < 0
}
