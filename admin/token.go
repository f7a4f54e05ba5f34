package admin

import (
	"context"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// MaxSCIMTokens is how many SCIM tokens a group may hold at once: one, or two
// while the IdP is switched from the old to the new one.
const MaxSCIMTokens = 2

// ResetSCIMTokens replaces all of the group's SCIM tokens with one new token,
// returned once in clear. Old tokens stop working when this returns.
func (s *Service) ResetSCIMTokens(ctx context.Context, a Actor, groupRef string) (string, *gatehouse.SCIMToken, error) {
	return s.newSCIMToken(ctx, a, groupRef, true)
}

// CreateSCIMToken adds a token next to the existing one, for a rotation
// without downtime. Conflict when the group already holds MaxSCIMTokens.
func (s *Service) CreateSCIMToken(ctx context.Context, a Actor, groupRef string) (string, *gatehouse.SCIMToken, error) {
	return s.newSCIMToken(ctx, a, groupRef, false)
}

func (s *Service) newSCIMToken(ctx context.Context, a Actor, groupRef string, reset bool) (string, *gatehouse.SCIMToken, error) {
	token, hash := gatehouse.NewToken(gatehouse.SCIMTokenPrefix)
	t := &gatehouse.SCIMToken{Hash: hash}
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		g, err := FindGroup(ctx, q, groupRef)
		if err != nil {
			return err
		}
		t.GroupID = g.ID
		// Concurrent creators must not exceed MaxSCIMTokens together.
		if err := q.LockGroup(ctx, g.ID); err != nil {
			return err
		}
		action := "scim_token_created"
		removed := 0
		if reset {
			action = "scim_token_reset"
			if removed, err = q.DeleteSCIMTokens(ctx, g.ID); err != nil {
				return err
			}
		} else {
			old, err := q.ListSCIMTokens(ctx, g.ID)
			if err != nil {
				return err
			}
			if len(old) >= MaxSCIMTokens {
				return gatehouse.Errorf(gatehouse.Conflict,
					"group %s already has %d SCIM tokens; revoke one (scim token revoke --id ID) or reset them", g.Path, len(old))
			}
		}
		if err := q.CreateSCIMToken(ctx, t); err != nil {
			return err
		}
		return s.audit(ctx, q, a, g.ID, action, "scim_token", t.ID, map[string]any{"revoked": removed})
	})
	if err != nil {
		return "", nil, err
	}
	return token, t, nil
}

// RevokeSCIMToken removes one of the group's SCIM tokens. NotFound when the
// group has no token with that id.
func (s *Service) RevokeSCIMToken(ctx context.Context, a Actor, groupRef string, id int64) error {
	return s.Store.InTx(ctx, func(q store.Queries) error {
		g, err := FindGroup(ctx, q, groupRef)
		if err != nil {
			return err
		}
		if err := q.DeleteSCIMToken(ctx, g.ID, id); err != nil {
			if gatehouse.IsKind(err, gatehouse.NotFound) {
				return gatehouse.Errorf(gatehouse.NotFound, "group %s has no SCIM token with id %d", g.Path, id)
			}
			return err
		}
		return s.audit(ctx, q, a, g.ID, "scim_token_revoked", "scim_token", id, nil)
	})
}

// ListSCIMTokens lists the group's SCIM tokens (never their secrets).
func (s *Service) ListSCIMTokens(ctx context.Context, groupRef string) ([]*gatehouse.SCIMToken, error) {
	g, err := FindGroup(ctx, s.Store, groupRef)
	if err != nil {
		return nil, err
	}
	return s.Store.ListSCIMTokens(ctx, g.ID)
}

// NewPAT is what CreatePAT needs.
type NewPAT struct {
	User      string    // username or id
	Name      string    // defaults to "default"
	ExpiresAt time.Time // zero: never
}

// CreatePAT creates a personal access token for the admin API and returns it
// once in clear. Errors: NotFound (user), Invalid (name; expiry in the past).
func (s *Service) CreatePAT(ctx context.Context, a Actor, in NewPAT) (string, *gatehouse.PersonalAccessToken, error) {
	if in.Name == "" {
		in.Name = "default"
	}
	if !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(s.now()) {
		return "", nil, gatehouse.Errorf(gatehouse.Invalid, "expiry %s is not in the future", in.ExpiresAt.Format(time.DateOnly))
	}
	token, hash := gatehouse.NewToken(gatehouse.PATPrefix)
	t := &gatehouse.PersonalAccessToken{Name: in.Name, Hash: hash, ExpiresAt: in.ExpiresAt}
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		u, err := FindUser(ctx, q, in.User)
		if err != nil {
			return err
		}
		t.UserID = u.ID
		if err := t.Validate(); err != nil {
			return err
		}
		if err := q.CreatePAT(ctx, t); err != nil {
			return err
		}
		return s.audit(ctx, q, a, 0, "personal_access_token_created", "personal_access_token", t.ID,
			map[string]any{"user": u.Username, "name": t.Name})
	})
	if err != nil {
		return "", nil, err
	}
	return token, t, nil
}

// ListPATs lists a user's personal access tokens (never their secrets).
func (s *Service) ListPATs(ctx context.Context, userRef string) ([]*gatehouse.PersonalAccessToken, error) {
	u, err := FindUser(ctx, s.Store, userRef)
	if err != nil {
		return nil, err
	}
	return s.Store.ListPATs(ctx, u.ID)
}

// RevokePAT deletes a personal access token. NotFound.
func (s *Service) RevokePAT(ctx context.Context, a Actor, id int64) error {
	return s.revokePAT(ctx, a, 0, id)
}

// RevokeUserPAT deletes one of the user's own personal access tokens (the
// account page). NotFound when the user has no token with the id, also when
// another user has it, so that nobody learns other users' token ids.
func (s *Service) RevokeUserPAT(ctx context.Context, a Actor, userID, id int64) error {
	if userID <= 0 {
		return gatehouse.Errorf(gatehouse.Invalid, "a user id is required")
	}
	return s.revokePAT(ctx, a, userID, id)
}

// revokePAT deletes the token id, when userID is positive only if it is
// that user's.
func (s *Service) revokePAT(ctx context.Context, a Actor, userID, id int64) error {
	return s.Store.InTx(ctx, func(q store.Queries) error {
		t, err := q.FindPAT(ctx, id)
		if gatehouse.IsKind(err, gatehouse.NotFound) || err == nil && userID > 0 && t.UserID != userID {
			return gatehouse.Errorf(gatehouse.NotFound, "no personal access token with id %d", id)
		}
		if err != nil {
			return err
		}
		if err := q.DeletePAT(ctx, id); err != nil {
			return err
		}
		return s.audit(ctx, q, a, 0, "personal_access_token_revoked", "personal_access_token", id,
			map[string]any{"user_id": t.UserID, "name": t.Name})
	})
}
