package admin_test

import (
	"context"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
)

func TestAuthorizeOwner(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		owner := mustUser(t, svc, "olga", "olga@example.com")
		dev := mustUser(t, svc, "dev", "dev@example.com")
		stranger := mustUser(t, svc, "stranger", "stranger@example.com")
		blocked := mustUser(t, svc, "blocked", "blocked@example.com")
		g, err := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "acme.corp", Owner: "olga"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetMember(ctx, admin.System, "acme.corp", "dev", gatehouse.Developer); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetMember(ctx, admin.System, "acme.corp", "blocked", gatehouse.Owner); err != nil {
			t.Fatal(err)
		}
		blocked.State = gatehouse.UserBlocked
		root := &gatehouse.User{ID: 999, Username: "root", State: gatehouse.UserActive, Admin: true}

		for _, tc := range []struct {
			name string
			user *gatehouse.User
			ref  string
			want gatehouse.Kind // -1: allowed
		}{
			{"owner by path", owner, "acme.corp", -1},
			{"owner by path in another case", owner, "ACME.Corp", -1},
			{"owner by id", owner, itoa(g.ID), -1},
			{"instance administrator", root, "acme.corp", -1},
			{"developer", dev, "acme.corp", gatehouse.Forbidden},
			{"stranger", stranger, "acme.corp", gatehouse.NotFound},
			{"stranger, missing group", stranger, "nope", gatehouse.NotFound},
			{"blocked owner", blocked, "acme.corp", gatehouse.Unauthenticated},
			{"nobody", nil, "acme.corp", gatehouse.Unauthenticated},
		} {
			got, err := admin.AuthorizeOwner(ctx, svc.Store, tc.user, tc.ref)
			if tc.want == -1 {
				if err != nil || got.ID != g.ID {
					t.Errorf("%s: got %v, %v; want the group", tc.name, got, err)
				}
				continue
			}
			wantKind(t, tc.name, err, tc.want)
		}
	})
}
