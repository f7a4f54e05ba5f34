package admin_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/store"
)

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		name, username, pw string
		ok                 bool
	}{
		{"long enough", "alice", "correct horse", true},
		{"exactly the minimum", "alice", strings.Repeat("x", password.MinLength), true},
		{"too short", "alice", strings.Repeat("x", password.MinLength-1), false},
		{"too short in bytes is fine when long in characters", "alice", strings.Repeat("é", password.MinLength), true},
		{"too long", "alice", strings.Repeat("x", password.MaxLength+1), false},
		{"not UTF-8", "alice", "abcdefgh\xff", false},
		{"the username", "alice.example", "alice.example", false},
		{"the username in another case", "alice.example", "ALICE.Example", false},
		{"the username and more", "alice.example", "alice.example1", true},
	} {
		err := admin.CheckPassword(tc.username, tc.pw)
		if tc.ok && err != nil {
			t.Errorf("%s: CheckPassword(%q, %q) = %v, want nil", tc.name, tc.username, tc.pw, err)
		}
		if !tc.ok && !gatehouse.IsKind(err, gatehouse.Invalid) {
			t.Errorf("%s: CheckPassword(%q, %q) = %v, want Invalid", tc.name, tc.username, tc.pw, err)
		}
	}
}

func TestChangePassword(t *testing.T) {
	const current = "correct horse battery"
	for _, tc := range []struct {
		name          string
		managed       bool
		current, next string
		want          error          // a sentinel, or nil
		kind          gatehouse.Kind // when want is nil and the change fails
		changed       bool
	}{
		{name: "success", current: current, next: "a brand new password", changed: true},
		{name: "wrong current password", current: "not the password", next: "a brand new password", want: admin.ErrWrongPassword},
		{name: "too short", current: current, next: "short", kind: gatehouse.Invalid},
		{name: "the username", current: current, next: "Alice.Example", kind: gatehouse.Invalid},
		{name: "unchanged", current: current, next: current, kind: gatehouse.Invalid},
		{name: "managed account", managed: true, current: current, next: "a brand new password", kind: gatehouse.Forbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, func(t *testing.T, svc *admin.Service) {
				ctx := context.Background()
				u, err := svc.CreateUser(ctx, admin.System, admin.NewUser{Username: "alice.example", Email: "alice@example.com",
					Password: current, PasswordExpired: true})
				if err != nil {
					t.Fatal(err)
				}
				if tc.managed {
					g, err := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "acme", Owner: "alice.example"})
					if err != nil {
						t.Fatal(err)
					}
					u.Kind, u.ManagingGroupID, u.PasswordHash = gatehouse.Managed, g.ID, ""
					if err := svc.Store.UpdateUser(ctx, u); err != nil {
						t.Fatal(err)
					}
				}
				for range 2 {
					_, hash := gatehouse.NewToken("")
					if err := svc.Store.CreateSession(ctx, &gatehouse.Session{Hash: hash,
						UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
						t.Fatal(err)
					}
				}

				err = svc.ChangePassword(ctx, admin.Actor{Kind: gatehouse.ActorUser, ID: u.ID}, u.ID, tc.current, tc.next)
				switch {
				case tc.want != nil && !errors.Is(err, tc.want):
					t.Errorf("ChangePassword = %v, want %v", err, tc.want)
				case tc.want == nil && !tc.changed:
					wantKind(t, "ChangePassword", err, tc.kind)
				case tc.changed && err != nil:
					t.Fatalf("ChangePassword = %v, want nil", err)
				}

				after, err := svc.Store.FindUserByID(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				sessions, err := svc.Store.DeleteUserSessions(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				events, _, err := svc.Store.ListAuditEvents(ctx, 0, store.Page{Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				logged := len(events) > 0 && events[0].Action == "password_changed"
				newOK, _ := password.Verify(after.PasswordHash, tc.next)
				if tc.changed {
					if !newOK || after.PasswordExpired || sessions != 0 || !logged {
						t.Errorf("after a change: new password verifies %v, PasswordExpired %v, %d sessions left, audited %v; want true, false, 0, true",
							newOK, after.PasswordExpired, sessions, logged)
					}
					return
				}
				if after.PasswordHash != u.PasswordHash || after.PasswordExpired != u.PasswordExpired || sessions != 2 || logged {
					t.Errorf("after a refused change: password changed %v, PasswordExpired %v, %d sessions left, audited %v; want false, %v, 2, false",
						after.PasswordHash != u.PasswordHash, after.PasswordExpired, sessions, logged, u.PasswordExpired)
				}
			})
		})
	}
}

func TestRevokeUserPAT(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		alice := mustUser(t, svc, "alice", "alice@example.com")
		bob := mustUser(t, svc, "bob", "bob@example.com")
		_, bobs, err := svc.CreatePAT(ctx, admin.System, admin.NewPAT{User: "bob", Name: "bob's"})
		if err != nil {
			t.Fatal(err)
		}
		_, alices, err := svc.CreatePAT(ctx, admin.System, admin.NewPAT{User: "alice", Name: "alice's"})
		if err != nil {
			t.Fatal(err)
		}
		as := admin.Actor{Kind: gatehouse.ActorUser, ID: alice.ID}
		wantKind(t, "RevokeUserPAT(another user's token)", svc.RevokeUserPAT(ctx, as, alice.ID, bobs.ID), gatehouse.NotFound)
		wantKind(t, "RevokeUserPAT(missing token)", svc.RevokeUserPAT(ctx, as, alice.ID, 1<<40), gatehouse.NotFound)
		if _, err := svc.Store.FindPAT(ctx, bobs.ID); err != nil {
			t.Errorf("bob's token after alice tried to revoke it: %v", err)
		}
		if err := svc.RevokeUserPAT(ctx, as, alice.ID, alices.ID); err != nil {
			t.Errorf("RevokeUserPAT(her own token) = %v", err)
		}
		if list, err := svc.ListPATs(ctx, "alice"); err != nil || len(list) != 0 {
			t.Errorf("alice's tokens after revoking = %v, %v; want none", list, err)
		}
		if list, err := svc.ListPATs(ctx, "bob"); err != nil || len(list) != 1 || list[0].UserID != bob.ID {
			t.Errorf("bob's tokens = %v, %v; want his one", list, err)
		}
	})
}
