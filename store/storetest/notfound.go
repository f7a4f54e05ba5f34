package storetest

import (
	"context"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testNotFound checks that every Find, Update, Delete and Touch of a missing
// row, and every write that names a missing group or user, is NotFound.
// Group-scoped calls name a group that exists, so only the row is missing.
func testNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	u := MustCreateUser(t, s, "alice")
	_, missingHash := gatehouse.NewToken(gatehouse.SCIMTokenPrefix)

	missingUser := newPersonal("ghost", "ghost@example.org")
	missingUser.ID = missingID
	missingGroup := &gatehouse.Group{ID: missingID, Path: "ghost", Name: "Ghost", DefaultRole: gatehouse.Guest}
	identity := func(groupID, userID int64) *gatehouse.Identity {
		return &gatehouse.Identity{ID: missingID, GroupID: groupID, UserID: userID, ExternUID: "ghost", State: gatehouse.IdentityActive}
	}
	scimIdentity := func(groupID, userID int64) *gatehouse.SCIMIdentity {
		si := newSCIMIdentity(groupID, userID, "ghost")
		si.ID = missingID
		return si
	}
	samlConfig := &gatehouse.SAMLConfig{GroupID: missingID, IdPEntityID: "x", SSOURL: "https://idp.example/sso", Fingerprints: []string{"ab"}}

	tests := []struct {
		name string
		call func(ctx context.Context, q store.Queries) error
	}{
		{"FindUserByID", func(ctx context.Context, q store.Queries) error { _, err := q.FindUserByID(ctx, missingID); return err }},
		{"FindUserByUsername", func(ctx context.Context, q store.Queries) error {
			_, err := q.FindUserByUsername(ctx, "ghost")
			return err
		}},
		{"FindPersonalUserByEmail", func(ctx context.Context, q store.Queries) error {
			_, err := q.FindPersonalUserByEmail(ctx, "ghost@example.org")
			return err
		}},
		{"FindManagedUserByEmail", func(ctx context.Context, q store.Queries) error {
			_, err := q.FindManagedUserByEmail(ctx, g.ID, "ghost@example.org")
			return err
		}},
		{"UpdateUser", func(ctx context.Context, q store.Queries) error { return q.UpdateUser(ctx, missingUser) }},

		{"FindGroupByID", func(ctx context.Context, q store.Queries) error {
			_, err := q.FindGroupByID(ctx, missingID)
			return err
		}},
		{"FindGroupByPath", func(ctx context.Context, q store.Queries) error {
			_, err := q.FindGroupByPath(ctx, "ghost")
			return err
		}},
		{"UpdateGroup", func(ctx context.Context, q store.Queries) error { return q.UpdateGroup(ctx, missingGroup) }},

		{"PutMember of a missing group", func(ctx context.Context, q store.Queries) error {
			return q.PutMember(ctx, &gatehouse.Member{GroupID: missingID, UserID: u.ID, Role: gatehouse.Guest, State: gatehouse.MemberActive})
		}},
		{"PutMember of a missing user", func(ctx context.Context, q store.Queries) error {
			return q.PutMember(ctx, &gatehouse.Member{GroupID: g.ID, UserID: missingID, Role: gatehouse.Guest, State: gatehouse.MemberActive})
		}},
		{"FindMember", func(ctx context.Context, q store.Queries) error { _, err := q.FindMember(ctx, g.ID, u.ID); return err }},
		{"DeleteMember", func(ctx context.Context, q store.Queries) error { return q.DeleteMember(ctx, g.ID, u.ID) }},

		{"CreateIdentity in a missing group", func(ctx context.Context, q store.Queries) error {
			return q.CreateIdentity(ctx, identity(missingID, u.ID))
		}},
		{"CreateIdentity of a missing user", func(ctx context.Context, q store.Queries) error {
			return q.CreateIdentity(ctx, identity(g.ID, missingID))
		}},
		{"UpdateIdentity", func(ctx context.Context, q store.Queries) error { return q.UpdateIdentity(ctx, identity(g.ID, u.ID)) }},
		{"FindIdentityByExternUID", func(ctx context.Context, q store.Queries) error {
			_, err := q.FindIdentityByExternUID(ctx, g.ID, "ghost")
			return err
		}},
		{"FindIdentityByUser", func(ctx context.Context, q store.Queries) error {
			_, err := q.FindIdentityByUser(ctx, g.ID, u.ID)
			return err
		}},
		{"DeleteIdentity", func(ctx context.Context, q store.Queries) error { return q.DeleteIdentity(ctx, g.ID, missingID) }},

		{"CreateSCIMIdentity in a missing group", func(ctx context.Context, q store.Queries) error {
			return q.CreateSCIMIdentity(ctx, newSCIMIdentity(missingID, u.ID, "ghost"))
		}},
		{"CreateSCIMIdentity of a missing user", func(ctx context.Context, q store.Queries) error {
			return q.CreateSCIMIdentity(ctx, newSCIMIdentity(g.ID, missingID, "ghost"))
		}},
		{"UpdateSCIMIdentity", func(ctx context.Context, q store.Queries) error {
			return q.UpdateSCIMIdentity(ctx, scimIdentity(g.ID, u.ID), 0)
		}},
		{"UpdateSCIMIdentity with ifVersion", func(ctx context.Context, q store.Queries) error {
			return q.UpdateSCIMIdentity(ctx, scimIdentity(g.ID, u.ID), 1)
		}},
		{"FindSCIMIdentity", func(ctx context.Context, q store.Queries) error {
			_, err := q.FindSCIMIdentity(ctx, g.ID, "ghost")
			return err
		}},
		{"FindSCIMIdentityByExternUID", func(ctx context.Context, q store.Queries) error {
			_, err := q.FindSCIMIdentityByExternUID(ctx, g.ID, "ghost")
			return err
		}},
		{"FindSCIMIdentityByUserName", func(ctx context.Context, q store.Queries) error {
			_, err := q.FindSCIMIdentityByUserName(ctx, g.ID, "ghost")
			return err
		}},
		{"FindSCIMIdentityForUser", func(ctx context.Context, q store.Queries) error {
			_, err := q.FindSCIMIdentityForUser(ctx, g.ID, u.ID, false)
			return err
		}},
		{"FindSCIMIdentityForUser including deleted", func(ctx context.Context, q store.Queries) error {
			_, err := q.FindSCIMIdentityForUser(ctx, g.ID, u.ID, true)
			return err
		}},

		{"CreateSCIMToken in a missing group", func(ctx context.Context, q store.Queries) error {
			_, hash := gatehouse.NewToken(gatehouse.SCIMTokenPrefix)
			return q.CreateSCIMToken(ctx, &gatehouse.SCIMToken{GroupID: missingID, Hash: hash})
		}},
		{"FindSCIMTokenByHash", func(ctx context.Context, q store.Queries) error {
			_, err := q.FindSCIMTokenByHash(ctx, missingHash)
			return err
		}},
		{"DeleteSCIMToken", func(ctx context.Context, q store.Queries) error { return q.DeleteSCIMToken(ctx, g.ID, missingID) }},
		{"TouchSCIMToken", func(ctx context.Context, q store.Queries) error { return q.TouchSCIMToken(ctx, missingID, fixedTime) }},

		{"CreatePAT of a missing user", func(ctx context.Context, q store.Queries) error {
			_, hash := gatehouse.NewToken(gatehouse.PATPrefix)
			return q.CreatePAT(ctx, &gatehouse.PersonalAccessToken{UserID: missingID, Name: "ghost", Hash: hash})
		}},
		{"FindPATByHash", func(ctx context.Context, q store.Queries) error {
			_, err := q.FindPATByHash(ctx, missingHash)
			return err
		}},
		{"FindPAT", func(ctx context.Context, q store.Queries) error { _, err := q.FindPAT(ctx, missingID); return err }},
		{"DeletePAT", func(ctx context.Context, q store.Queries) error { return q.DeletePAT(ctx, missingID) }},
		{"TouchPAT", func(ctx context.Context, q store.Queries) error { return q.TouchPAT(ctx, missingID, fixedTime) }},

		{"PutSAMLConfig of a missing group", func(ctx context.Context, q store.Queries) error { return q.PutSAMLConfig(ctx, samlConfig) }},
		{"FindSAMLConfig", func(ctx context.Context, q store.Queries) error { _, err := q.FindSAMLConfig(ctx, g.ID); return err }},
		{"SetSAMLMetadataRefreshError", func(ctx context.Context, q store.Queries) error {
			return q.SetSAMLMetadataRefreshError(ctx, g.ID, "failed", fixedTime)
		}},
		{"DeleteSAMLConfig", func(ctx context.Context, q store.Queries) error { return q.DeleteSAMLConfig(ctx, g.ID) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantKind(t, tc.name, tc.call(ctx, s), gatehouse.NotFound)
			// Inside a transaction too; the callback's error comes back as is.
			err := s.InTx(ctx, func(q store.Queries) error { return tc.call(ctx, q) })
			wantKind(t, "InTx: "+tc.name, err, gatehouse.NotFound)
		})
	}
}
