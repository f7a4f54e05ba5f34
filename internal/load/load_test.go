package load_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/internal/acklog"
	"github.com/gatehouse-sso/gatehouse/internal/load"
	"github.com/gatehouse-sso/gatehouse/internal/load/inproc"
)

var (
	idpOnce sync.Once
	testIdP *load.IdP
)

// idp is one built-in IdP for the whole test binary (a key takes a while
// under -race).
func idp(t *testing.T) *load.IdP {
	t.Helper()
	idpOnce.Do(func() {
		var err error
		if testIdP, err = load.NewIdP(load.DefaultIdPEntityID, load.DefaultIdPSSOURL); err != nil {
			panic(err)
		}
	})
	return testIdP
}

// start runs nodes servers over a new SQLite database.
func start(t *testing.T, nodes int, withIdP bool) *inproc.Cluster {
	t.Helper()
	cfg := inproc.Config{DB: "sqlite:" + filepath.Join(t.TempDir(), "load.db"), Nodes: nodes}
	if withIdP {
		cfg.IdP = idp(t)
	}
	cl, err := inproc.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("inproc.Start: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// serverUser reads a user by externalId with plain HTTP: nil when absent.
func serverUser(t *testing.T, cl *inproc.Cluster, externalID string) map[string]any {
	t.Helper()
	q := url.Values{"filter": {fmt.Sprintf("externalId eq %q", externalID)}}
	body := scim(t, cl, http.MethodGet, "/Users?"+q.Encode(), "", http.StatusOK)
	var lr struct {
		Resources []map[string]any
	}
	if err := json.Unmarshal(body, &lr); err != nil {
		t.Fatal(err)
	}
	if len(lr.Resources) == 0 {
		return nil
	}
	return lr.Resources[0]
}

func scim(t *testing.T, cl *inproc.Cluster, method, path, body string, want int) []byte {
	t.Helper()
	req, err := http.NewRequest(method, cl.SCIM[0]+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+cl.Token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return b
}

// clean fails the test when a workload had anything wrong or did fewer
// operations than want.
func clean(t *testing.T, s *load.Summary, want int) {
	t.Helper()
	if s.Failed() || s.Count != want {
		t.Errorf("%s: %d ok, want %d, and no errors:\n%s", s.Workload, s.Count, want, s)
	}
}

func verify(t *testing.T, cl *inproc.Cluster, log string) acklog.Report {
	t.Helper()
	recs, err := acklog.Read(log)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := load.Verify(context.Background(), load.NewTarget(cl.Token, 4, cl.SCIM...), recs, 4, load.Progress{})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

// TestWaves runs each IdP's sync and waves against one SQLite database
// (Entra's through two nodes), and checks the server's users after each wave, then
// the ack log: nothing lost, and a user deleted or changed behind the
// tool's back is found.
func TestWaves(t *testing.T) {
	const wave = 20
	for _, tc := range []struct {
		idp, app     string
		nodes, users int
	}{{load.Entra, "", 2, 50}, {load.Okta, load.OktaOIN, 1, 30}, {load.Okta, load.OktaAIW, 1, 30}} {
		users := tc.users
		t.Run(tc.idp+tc.app, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cl := start(t, tc.nodes, false)
			logPath := filepath.Join(t.TempDir(), "acks.jsonl")
			w, err := acklog.Create(logPath)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			pop := load.NewPopulation("T", users)
			r := &load.Runner{Target: load.NewTarget(cl.Token, 4, cl.SCIM...), Pop: pop, IdP: tc.idp, OktaApp: tc.app,
				Concurrency: 4, AckLog: w}

			clean(t, r.Sync(ctx), users)
			if s := r.Sync(ctx); s.Failed() || s.Skipped != users {
				t.Errorf("a second sync: want every user found and skipped:\n%s", s)
			}
			clean(t, r.Update(ctx, 0), users)
			for _, i := range []int{0, 1, users - 1} {
				u := serverUser(t, cl, pop.Users[i].ExternalID)
				if u == nil || !strings.HasPrefix(fmt.Sprint(u["title"]), "Load title ") {
					t.Errorf("user %d after the update = %v, want a title", i, u)
				}
			}
			clean(t, r.Deprovision(ctx, wave), wave)
			for i, pu := range pop.Users {
				u := serverUser(t, cl, pu.ExternalID)
				if u == nil || u["active"] != (i >= wave) {
					t.Fatalf("user %d after deprovisioning the first %d = %v, want active %v", i, wave, u, i >= wave)
				}
			}
			if got := len(pop.Active()); got != users-wave {
				t.Errorf("Active() = %d users, want %d", got, users-wave)
			}
			clean(t, r.Reactivate(ctx, wave/2), wave/2)
			if u := serverUser(t, cl, pop.Users[0].ExternalID); u["active"] != true {
				t.Errorf("user 0 after reactivation = %v, want active", u)
			}
			for _, s := range r.Filter(ctx, 20) {
				clean(t, s, 10)
			}
			read := r.Read(ctx, 7, users)
			clean(t, read, (users+6)/7)
			if read.Users != users {
				t.Errorf("read saw %d users, want %d", read.Users, users)
			}

			if got := w.Count(acklog.Ack); got != users+users+wave+wave/2 {
				t.Errorf("ack log has %d acknowledged writes, want %d", got, users+users+wave+wave/2)
			}
			if rep := verify(t, cl, logPath); rep.Checked != users || rep.Lost != 0 {
				t.Errorf("verify after the run: %s, want %d checked and 0 lost", rep, users)
			}

			// Behind the tool's back: one user deleted, one renamed.
			scim(t, cl, http.MethodDelete, "/Users/"+pop.Users[3].ID, "", http.StatusNoContent)
			scim(t, cl, http.MethodPatch, "/Users/"+pop.Users[25].ID,
				`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"changed"}]}`, http.StatusOK)
			rep := verify(t, cl, logPath)
			if rep.Lost != 2 || !strings.Contains(rep.String(), "T-ext0000003: server has {exists=false}") ||
				!strings.Contains(rep.String(), "T-ext0000025: server has") {
				t.Errorf("verify after a delete and a change behind its back: %s, want both found", rep)
			}
		})
	}
}

// TestWavesFindEarlierUsers runs the waves in a second runner that did not
// sync: it finds the users by externalId.
func TestWavesFindEarlierUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cl := start(t, 1, false)
	target := load.NewTarget(cl.Token, 2, cl.SCIM...)
	clean(t, (&load.Runner{Target: target, Pop: load.NewPopulation("E", 10), IdP: load.Entra, Concurrency: 2}).Sync(ctx), 10)
	later := &load.Runner{Target: target, Pop: load.NewPopulation("E", 10), IdP: load.Okta, OktaApp: load.OktaOIN, Concurrency: 2}
	clean(t, later.Deprovision(ctx, 0), 10)
	if u := serverUser(t, cl, "E-ext0000009"); u["active"] != false {
		t.Errorf("user 9 = %v, want inactive", u)
	}
	missing := &load.Runner{Target: target, Pop: load.NewPopulation("nobody", 2), IdP: load.Entra, Concurrency: 1}
	if s := missing.Update(ctx, 0); s.Errors != 2 || !strings.Contains(s.FirstError, "run a sync with this --prefix first") {
		t.Errorf("an update of users never created: %s", s)
	}
}

// TestSignIn signs SCIM-provisioned users in through two nodes, both
// SP- and IdP-initiated, and checks the replays are refused and that
// deprovisioned users are not chosen.
func TestSignIn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cl := start(t, 2, true)
	pop := load.NewPopulation("S", 12)
	r := &load.Runner{Target: load.NewTarget(cl.Token, 3, cl.SCIM...), Pop: pop, IdP: load.Entra, Concurrency: 3}
	clean(t, r.Sync(ctx), 12)
	clean(t, r.Deprovision(ctx, 4), 4)
	for _, idpInit := range []bool{false, true} {
		st := &load.SAMLTarget{Nodes: cl.Nodes, Group: cl.Group, IdP: idp(t), IdPInitiated: idpInit}
		s := r.SignIn(ctx, st, 0, 2)
		clean(t, s, 8)
		if s.Replays != 2 || s.ReplaysAccepted != 0 {
			t.Errorf("IdP-initiated %v: replays %d, accepted %d; want 2 and 0", idpInit, s.Replays, s.ReplaysAccepted)
		}
		if want := 4 * 8; idpInit && s.Requests != 3*8 || !idpInit && s.Requests != want {
			t.Errorf("IdP-initiated %v: %d requests for 8 sign-ins", idpInit, s.Requests)
		}
	}

	// An IdP the group does not trust signs no one in.
	other, err := load.NewIdP(load.DefaultIdPEntityID, load.DefaultIdPSSOURL)
	if err != nil {
		t.Fatal(err)
	}
	s := r.SignIn(ctx, &load.SAMLTarget{Nodes: cl.Nodes, Group: cl.Group, IdP: other}, 2, 1)
	if s.Count != 0 || s.Errors != 2 || s.Status["403"]+s.Status["400"] != 2 {
		t.Errorf("sign-ins signed by an untrusted key: %s", s)
	}
}

func TestLoadIdP(t *testing.T) {
	a := idp(t)
	b, err := load.LoadIdP(a.EntityID, a.SSOURL, a.KeyPEM(), a.CertPEM())
	if err != nil || !b.Key.Equal(a.Key) {
		t.Fatalf("LoadIdP(KeyPEM, CertPEM) = %v, %v", b, err)
	}
	other, _ := load.NewIdP(a.EntityID, a.SSOURL)
	if _, err := load.LoadIdP(a.EntityID, a.SSOURL, a.KeyPEM(), other.CertPEM()); err == nil {
		t.Error("LoadIdP with another key's certificate = nil error")
	}
	if _, err := load.LoadIdP(a.EntityID, a.SSOURL, []byte("x"), a.CertPEM()); err == nil {
		t.Error("LoadIdP without a key = nil error")
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {95, 95 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}} {
		if got := load.Percentile(d, tt.p); got != tt.want {
			t.Errorf("Percentile(1..100ms, %v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := load.Percentile(d[:1], 99); got != time.Millisecond {
		t.Errorf("Percentile of one value = %v", got)
	}
	if got := load.Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(nil) = %v, want 0", got)
	}
	three := []time.Duration{1, 2, 3}
	if got := load.Percentile(three, 50); got != 2 {
		t.Errorf("Percentile(1,2,3, 50) = %v, want 2", got)
	}
}

func TestSummary(t *testing.T) {
	s := &load.Summary{Workload: "sync", IdP: "okta", Count: 10, Elapsed: 2, PerSec: 5, P50: 1.5, P99: 120,
		Requests: 12, Status: map[string]int{"201": 10, "500": 1, "network": 1}, Errors: 2, FirstError: "POST /Users = 500"}
	text := s.String()
	for _, want := range []string{"sync (okta): 10 ok, 2 errors in 2.00s = 5.0/s", "p50=1.50ms", "p99=120ms",
		"201×10 500×1 network×1", "!!! 1 SERVER ERRORS (5xx) !!!", "first error: POST /Users = 500"} {
		if !strings.Contains(text, want) {
			t.Errorf("String() lacks %q:\n%s", want, text)
		}
	}
	if !s.Failed() || s.ServerErrors() != 1 {
		t.Errorf("Failed() = %v, ServerErrors() = %d", s.Failed(), s.ServerErrors())
	}
	b, _ := json.Marshal(s)
	var back map[string]any
	json.Unmarshal(b, &back)
	if back["p99_ms"] != 120.0 || back["status"].(map[string]any)["500"] != 1.0 || back["replays_accepted"] != 0.0 {
		t.Errorf("JSON = %s", b)
	}
	ok := &load.Summary{Workload: "signin", Count: 3, Replays: 3, Status: map[string]int{"303": 6}}
	if ok.Failed() || strings.Contains(ok.String(), "!!!") || !strings.Contains(ok.String(), "replays sent: 3, replays accepted: 0") {
		t.Errorf("a clean sign-in run: Failed() = %v\n%s", ok.Failed(), ok)
	}
	if bad := (&load.Summary{ReplaysAccepted: 1}); !bad.Failed() || !strings.Contains(bad.String(), "REPLAYED RESPONSES ACCEPTED") {
		t.Errorf("an accepted replay is not prominent:\n%s", bad)
	}
}
