package provision_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
	"github.com/gatehouse-sso/gatehouse/store"
)

// ownerCaller is the group's owner acting through the admin API.
func (e *env) ownerCaller() provision.Caller {
	return provision.Caller{Group: e.group, UserID: e.owner.ID, RequestID: "req-owner"}
}

func wantKind(t *testing.T, what string, err error, want gatehouse.Kind) {
	t.Helper()
	if got := gatehouse.ErrorKind(err); err == nil || got != want {
		t.Errorf("%s: err = %v (kind %v), want kind %v", what, err, got, want)
	}
}

func TestOwnerIdentityErrors(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.create(user(t, "00uA", "ann@acme.example", "ann@acme.example"))
		e.create(user(t, "00uB", "ben@acme.example", "ben@acme.example"))
		c := e.ownerCaller()
		for _, tc := range []struct {
			name string
			err  error
			want gatehouse.Kind
		}{
			{"SCIM blank", second(e.svc.SetExternUID(ctx, c, "00uA", " \t")), gatehouse.Invalid},
			{"SCIM too long", second(e.svc.SetExternUID(ctx, c, "00uA", string(make([]byte, 1025)))), gatehouse.Invalid},
			{"SCIM unknown", second(e.svc.SetExternUID(ctx, c, "00uX", "new")), gatehouse.NotFound},
			{"SCIM taken", second(e.svc.SetExternUID(ctx, c, "00uA", "00Ub")), gatehouse.Conflict},
			{"SAML blank", second(e.svc.SetSAMLExternUID(ctx, c, "00uA", "")), gatehouse.Invalid},
			{"SAML unknown", second(e.svc.SetSAMLExternUID(ctx, c, "00uX", "new")), gatehouse.NotFound},
			{"SAML taken", second(e.svc.SetSAMLExternUID(ctx, c, "00ua", "00UB")), gatehouse.Conflict},
			{"SCIM remove unknown", e.svc.Remove(ctx, c, "00uX"), gatehouse.NotFound},
			{"SAML unlink unknown", e.svc.UnlinkSAML(ctx, c, "00uX"), gatehouse.NotFound},
			{"SCIM find unknown", second(e.svc.FindByExternUID(ctx, e.group.ID, "00uX")), gatehouse.NotFound},
			{"SAML find unknown", second(e.svc.FindSAMLIdentity(ctx, e.group.ID, "00uX")), gatehouse.NotFound},
			{"SAML list without configuration", third(e.svc.ListSAMLIdentities(ctx, e.group, store.Page{Limit: 10})), gatehouse.Invalid},
		} {
			wantKind(t, tc.name, tc.err, tc.want)
		}
	})
}

func TestOwnerRekeysBothIdentities(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ann := e.create(user(t, "", "ann@acme.example", "ann@acme.example")) // no externalId: extern_uid is the userName

		// Through the SAML identity: the SCIM identity follows.
		ident, err := e.svc.SetSAMLExternUID(ctx, e.ownerCaller(), "ANN@acme.example", "ann-nameid")
		if err != nil || ident.ExternUID != "ann-nameid" || ident.UserID != ann.UserID {
			t.Fatalf("SetSAMLExternUID = %+v, %v", ident, err)
		}
		si, err := e.svc.Get(ctx, e.group.ID, ann.SCIMID)
		if err != nil || si.ExternUID != "ann-nameid" || !si.ExternalIDSet {
			t.Errorf("the SCIM identity after SetSAMLExternUID = %+v, %v; want extern_uid ann-nameid, set as an externalId", si, err)
		}
		// Through the SCIM identity: the SAML identity follows.
		if _, err := e.svc.SetExternUID(ctx, e.ownerCaller(), "Ann-NameID", "ann-2"); err != nil {
			t.Fatal(err)
		}
		if i := e.samlIdentity(ann.UserID); i == nil || i.ExternUID != "ann-2" {
			t.Errorf("the SAML identity after SetExternUID = %+v, want ann-2", i)
		}
		// The IdP now changes the userName: the extern_uid the owner set stays.
		if _, err := e.patch(ann.SCIMID, scimpatch.Operation{Op: "replace", Path: "userName", Value: "ann.renamed@acme.example"}); err != nil {
			t.Fatal(err)
		}
		if i := e.samlIdentity(ann.UserID); i == nil || i.ExternUID != "ann-2" {
			t.Errorf("the SAML identity after a userName change = %+v, want ann-2 kept", i)
		}

		// Every change is one audit event by the owner.
		evs, _, err := e.s.ListAuditEvents(ctx, e.group.ID, store.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ours []string
		for _, ev := range evs {
			if ev.ActorKind == gatehouse.ActorUser && ev.ActorID == e.owner.ID {
				var d map[string]any
				json.Unmarshal(ev.Detail, &d)
				ours = append(ours, ev.Action+" "+d["previous_extern_uid"].(string)+"→"+d["extern_uid"].(string))
			}
		}
		want := []string{"scim_identity_extern_uid_updated ann-nameid→ann-2", "saml_identity_extern_uid_updated ann@acme.example→ann-nameid"}
		if len(ours) != 2 || ours[0] != want[0] || ours[1] != want[1] {
			t.Errorf("the owner's audit events, newest first = %q, want %q", ours, want)
		}
	})
}

func TestOwnerRemoveLastOwner(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// alice, the only owner, is provisioned by email: a pending link to
		// her personal account, whose membership is her ownership.
		si := e.create(user(t, "00uAlice", "alice", "alice@example.com"))
		if si.UserID != e.owner.ID {
			t.Fatalf("provisioned %d, want alice's account %d", si.UserID, e.owner.ID)
		}
		wantKind(t, "Remove the last owner", e.svc.Remove(ctx, e.ownerCaller(), "00uAlice"), gatehouse.Invalid)
		if m := e.member(e.owner.ID); m == nil || m.Role != gatehouse.Owner {
			t.Errorf("the last owner's membership after a refused Remove = %+v", m)
		}
	})
}

func second[T any](_ T, err error) error { return err }

func third[T, U any](_ T, _ U, err error) error { return err }

// TestSetUserExternUID re-keys a member's identities from the owner's
// identity page, which names the user rather than an extern_uid.
func TestSetUserExternUID(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		bob := e.create(user(t, "00u1bob", "bob@acme.example", "bob@acme.example"))
		e.create(user(t, "00u1carol", "carol@acme.example", "carol@acme.example"))
		dave, err := e.adm.CreateUser(ctx, admin.System, admin.NewUser{Username: "dave", Email: "dave@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		c := e.ownerCaller()
		if err := e.svc.SetUserExternUID(ctx, c, bob.UserID, "bob-nameid"); err != nil {
			t.Fatalf("SetUserExternUID(bob-nameid): %v", err)
		}
		if i := e.samlIdentity(bob.UserID); i == nil || i.ExternUID != "bob-nameid" {
			t.Errorf("the SAML identity after SetUserExternUID = %+v, want bob-nameid", i)
		}
		si, err := e.svc.Get(ctx, e.group.ID, bob.SCIMID)
		if err != nil || si.ExternUID != "bob-nameid" || !si.ExternalIDSet {
			t.Errorf("the SCIM identity after SetUserExternUID = %+v, %v; want bob-nameid under the same id", si, err)
		}
		events, _, err := e.s.ListAuditEvents(ctx, e.group.ID, store.Page{Limit: 1})
		if err != nil || len(events) != 1 || events[0].Action != "scim_identity_extern_uid_updated" || events[0].ActorID != e.owner.ID {
			t.Errorf("newest audit event = %+v, %v; want the owner's scim_identity_extern_uid_updated", events, err)
		}
		// A change of letter case only is the person's own value.
		if err := e.svc.SetUserExternUID(ctx, c, bob.UserID, "Bob-NameID"); err != nil {
			t.Errorf("SetUserExternUID(case only): %v", err)
		}
		for _, tc := range []struct {
			name   string
			userID int64
			uid    string
			want   gatehouse.Kind
			msg    string
		}{
			{"carol's", bob.UserID, "00u1carol", gatehouse.Conflict, "already used by carol"},
			{"carol's in another case", bob.UserID, "00U1CAROL", gatehouse.Conflict, "letter case is ignored"},
			{"empty", bob.UserID, "", gatehouse.Invalid, "blank"},
			{"spaces", bob.UserID, " bob ", gatehouse.Invalid, "spaces"},
			{"no identity", dave.ID, "dave", gatehouse.NotFound, "no SAML or SCIM identity"},
			{"no user", 999999, "x", gatehouse.NotFound, "no SAML or SCIM identity"},
		} {
			err := e.svc.SetUserExternUID(ctx, c, tc.userID, tc.uid)
			wantKind(t, "SetUserExternUID("+tc.name+")", err, tc.want)
			if err != nil && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("SetUserExternUID(%s) = %q, want a message with %q", tc.name, err, tc.msg)
			}
		}
		if i := e.samlIdentity(bob.UserID); i == nil || i.ExternUID != "Bob-NameID" {
			t.Errorf("refused changes moved the identity to %+v", i)
		}
	})
}
