package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

// samlChecks returns the checks of a genuine response to the group acme
// as the ACS logs them: passing, or failing the audience check.
func samlChecks(t *testing.T, pass bool) json.RawMessage {
	t.Helper()
	now := time.Now()
	idp := samltest.NewIdP("log-idp")
	sp := samltest.SP("acme", 1)
	spec := idp.Spec(sp, now)
	if !pass {
		spec.Audiences = [][]string{{"https://elsewhere.example/groups/acme"}}
	}
	_, v, err := saml.ParseResponse(sp, idp.Trust(), saml.ResponseInput{
		SAMLResponse: samltest.Encode(idp.Response(t, spec)), ACSURL: sp.ACSURLs[0],
	}, now)
	if pass != (err == nil) {
		t.Fatalf("ParseResponse(pass %v) = %v", pass, err)
	}
	b, err := json.Marshal(v.Checks)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSAMLLog(t *testing.T) {
	passed, failed := samlChecks(t, true), samlChecks(t, false)
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		mustUser(t, svc, "alice", "alice@example.com")
		acme, err := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "acme", Owner: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		bravo, err := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "bravo", Owner: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		// 250 entries, every fifth refused: a filtered listing reads
		// several pages.
		at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		var refs, invalid []string // oldest first
		for i := range 250 {
			e := &gatehouse.SAMLLogEntry{GroupID: acme.ID, At: at.Add(time.Duration(i) * time.Second),
				Outcome: "signed_in", ReferenceID: fmt.Sprintf("ref-%03d", i), NameID: "00u1alice", Checks: passed}
			if i%5 == 0 {
				e.Outcome, e.NameID, e.Checks = "invalid", "", failed
				invalid = append(invalid, e.ReferenceID)
			}
			if err := svc.Store.AppendSAMLLog(ctx, e, 0); err != nil {
				t.Fatalf("AppendSAMLLog(%s): %v", e.ReferenceID, err)
			}
			refs = append(refs, e.ReferenceID)
		}
		other := &gatehouse.SAMLLogEntry{GroupID: bravo.ID, Outcome: "invalid", ReferenceID: "bravo-1", Checks: failed}
		if err := svc.Store.AppendSAMLLog(ctx, other, 0); err != nil {
			t.Fatal(err)
		}
		newest := func(refs []string, n int) []string {
			out := slices.Clone(refs)
			slices.Reverse(out)
			return out[:min(n, len(out))]
		}

		tests := []struct {
			name  string
			group string
			f     admin.SAMLLogFilter
			want  []string
		}{
			{"default limit", "acme", admin.SAMLLogFilter{}, newest(refs, admin.DefaultSAMLLogLimit)},
			{"by id", itoa(acme.ID), admin.SAMLLogFilter{Limit: 3}, newest(refs, 3)},
			{"all", "acme", admin.SAMLLogFilter{Limit: admin.MaxSAMLLogLimit}, newest(refs, 250)},
			{"outcome, few", "acme", admin.SAMLLogFilter{Outcome: "invalid", Limit: 4}, newest(invalid, 4)},
			{"outcome, past the first page", "acme", admin.SAMLLogFilter{Outcome: "invalid", Limit: 45}, newest(invalid, 45)},
			{"outcome, all", "acme", admin.SAMLLogFilter{Outcome: "invalid", Limit: 1000}, newest(invalid, 50)},
			{"outcome nobody has", "acme", admin.SAMLLogFilter{Outcome: "replayed"}, nil},
			{"other group", "bravo", admin.SAMLLogFilter{}, []string{"bravo-1"}},
		}
		for _, tt := range tests {
			g, got, err := svc.SAMLLog(ctx, tt.group, tt.f)
			if err != nil {
				t.Errorf("%s: SAMLLog(%s, %+v): %v", tt.name, tt.group, tt.f, err)
				continue
			}
			var gotRefs []string
			for _, e := range got {
				gotRefs = append(gotRefs, e.ReferenceID)
			}
			if diff := cmp.Diff(tt.want, gotRefs); diff != "" {
				t.Errorf("%s: SAMLLog(%s, %+v) entries (-want +got):\n%s", tt.name, tt.group, tt.f, diff)
			}
			if g == nil || (g.Path != tt.group && itoa(g.ID) != tt.group) {
				t.Errorf("%s: SAMLLog(%s) group = %+v, want that group", tt.name, tt.group, g)
			}
		}

		for _, tt := range []struct {
			name  string
			group string
			f     admin.SAMLLogFilter
			want  gatehouse.Kind
		}{
			{"negative limit", "acme", admin.SAMLLogFilter{Limit: -1}, gatehouse.Invalid},
			{"limit above the log", "acme", admin.SAMLLogFilter{Limit: admin.MaxSAMLLogLimit + 1}, gatehouse.Invalid},
			{"unknown group", "nowhere", admin.SAMLLogFilter{}, gatehouse.NotFound},
		} {
			_, _, err := svc.SAMLLog(ctx, tt.group, tt.f)
			wantKind(t, tt.name, err, tt.want)
		}

		g, e, err := svc.FindSAMLLogEntry(ctx, "ACME", "ref-005")
		if err != nil || g.ID != acme.ID || e.ReferenceID != "ref-005" || e.Outcome != "invalid" || !e.At.Equal(at.Add(5*time.Second)) {
			t.Errorf("FindSAMLLogEntry(ACME, ref-005) = %v, %+v, %v; want acme's fifth entry", g, e, err)
		}
		for _, tt := range []struct {
			name, group, ref string
			want             gatehouse.Kind
			msg              string
		}{
			{"unknown ref", "acme", "ref-999", gatehouse.NotFound, "newest 1000 entries"},
			{"other group's ref", "acme", "bravo-1", gatehouse.NotFound, "no entry in group acme's SAML log"},
			{"letter case counts", "acme", "REF-005", gatehouse.NotFound, "REF-005"},
			{"malformed ref", "acme", "ref 005", gatehouse.Invalid, "not a SAML log reference id"},
			{"empty ref", "acme", "", gatehouse.Invalid, "not a SAML log reference id"},
			{"unknown group", "nowhere", "ref-005", gatehouse.NotFound, `group "nowhere" not found`},
		} {
			_, _, err := svc.FindSAMLLogEntry(ctx, tt.group, tt.ref)
			wantKind(t, tt.name, err, tt.want)
			if msg := gatehouse.ErrorMessage(err); !strings.Contains(msg, tt.msg) {
				t.Errorf("%s: FindSAMLLogEntry(%s, %q) = %q, want it to mention %q", tt.name, tt.group, tt.ref, msg, tt.msg)
			}
		}
	})
}

func TestSAMLLogChecks(t *testing.T) {
	failed := samlChecks(t, false)
	checks, err := admin.SAMLLogChecks(&gatehouse.SAMLLogEntry{ReferenceID: "r1", Checks: failed})
	if err != nil {
		t.Fatalf("SAMLLogChecks(a failed verdict): %v", err)
	}
	f, ok := (&saml.Verdict{Checks: checks}).Failed()
	if !ok || f.Name != saml.CheckAudience || !strings.Contains(f.Detail, "elsewhere.example") || len(checks) < 5 || !checks[0].OK {
		t.Errorf("SAMLLogChecks(a failed verdict) = %+v, want passed checks, then the audience failing with the audience sent", checks)
	}

	for _, tt := range []struct {
		name   string
		checks string
	}{
		{"none", ""},
		{"null", "null"},
	} {
		checks, err := admin.SAMLLogChecks(&gatehouse.SAMLLogEntry{ReferenceID: "r2", Checks: json.RawMessage(tt.checks)})
		if err != nil || len(checks) != 0 {
			t.Errorf("SAMLLogChecks(%s) = %v, %v; want no checks", tt.name, checks, err)
		}
	}
	_, err = admin.SAMLLogChecks(&gatehouse.SAMLLogEntry{ReferenceID: "r3", Checks: json.RawMessage(`{"check":"audience"}`)})
	if err == nil || !strings.Contains(err.Error(), "r3") {
		t.Errorf("SAMLLogChecks(an object) = %v, want an error naming the entry", err)
	}
}
