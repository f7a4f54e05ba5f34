package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/internal/load"
	"github.com/gatehouse-sso/gatehouse/internal/load/inproc"
)

// TestSmoke runs a small, bounded version of the default run on SQLite:
// the numbers are not checked (speed is measured by the tool, not by
// tests), the outcome is: every user created, every lookup finds its user,
// the paged read sees them all.
func TestSmoke(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	db := "sqlite:" + filepath.Join(t.TempDir(), "load.db")
	err := run(context.Background(), []string{"--db", db, "--users", "60", "--concurrency", "4", "--filter-requests", "20", "--count", "25"}, &out, &errOut)
	if err != nil {
		t.Fatalf("gatehouse-load: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{"sync (entra): 60 ok, 0 errors", "read (entra): 3 ok, 0 errors", ", 60 users",
		"filter userName eq (entra): 10 ok, 0 errors", "filter externalId eq (entra): 10 ok, 0 errors", "200×60 201×60"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestEveryWorkload runs every workload in Okta's dialect on two nodes,
// with an ack log, and reads the JSON summary.
func TestEveryWorkload(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	dir := t.TempDir()
	acks := filepath.Join(dir, "acks.jsonl")
	err := run(context.Background(), []string{"--db", "sqlite:" + filepath.Join(dir, "load.db"), "--nodes", "2", "--idp", "okta",
		"--users", "20", "--concurrency", "3", "--wave", "5", "--filter-requests", "10", "--signins", "6", "--replays", "2",
		"--workload", "sync,update,deprovision,signin,reactivate,filter,read", "--ack-log", acks, "--json"}, &out, &errOut)
	if err != nil {
		t.Fatalf("gatehouse-load: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out.String())
	}
	want := map[string]int{"sync": 20, "update": 5, "deprovision": 5, "signin": 6, "reactivate": 5,
		"filter userName eq": 5, "filter externalId eq": 5, "read": 1}
	for _, s := range rep.Workloads {
		if s.Count != want[s.Workload] || s.Failed() {
			t.Errorf("%s: %d ok, want %d, no errors: %+v", s.Workload, s.Count, want[s.Workload], s)
		}
		delete(want, s.Workload)
		if s.Workload == "signin" && (s.Replays != 2 || s.ReplaysAccepted != 0) {
			t.Errorf("signin: %d replays, %d accepted; want 2, 0", s.Replays, s.ReplaysAccepted)
		}
	}
	if len(want) > 0 {
		t.Errorf("workloads missing from the summary: %v", want)
	}
	if rep.Failed || len(rep.Target) != 2 || rep.AckLog == nil || rep.AckLog.Acked != 35 || rep.AckLog.Sent != 35 {
		t.Errorf("report: failed %v, target %v, ack log %+v; want 2 nodes and 35 writes acknowledged", rep.Failed, rep.Target, rep.AckLog)
	}
}

// TestURLAndVerify drives a running server by --url: a sync and a
// deprovision wave with an ack log, sign-ins with keys from --saml-keygen,
// then --verify, which passes, and fails once a user is deleted behind its
// back.
func TestURLAndVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"--saml-keygen", dir}, &out, &errOut); err != nil {
		t.Fatalf("--saml-keygen: %v", err)
	}
	if !strings.Contains(out.String(), "gatehouse saml configure --group GROUP --sso-url "+load.DefaultIdPSSOURL) {
		t.Errorf("--saml-keygen does not say how to configure the group:\n%s", out.String())
	}
	key, _ := os.ReadFile(filepath.Join(dir, "idp-key.pem"))
	cert, _ := os.ReadFile(filepath.Join(dir, "idp-cert.pem"))
	idp, err := load.LoadIdP(load.DefaultIdPEntityID, load.DefaultIdPSSOURL, key, cert)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := inproc.Start(ctx, inproc.Config{DB: "sqlite:" + filepath.Join(dir, "load.db"), IdP: idp})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	url := cl.Nodes[0] + "/api/scim/v2/groups/" + cl.Group // by path, as an operator would

	acks := filepath.Join(dir, "acks.jsonl")
	out.Reset()
	args := []string{"--url", url, "--token", cl.Token, "--users", "12", "--concurrency", "2", "--prefix", "U", "--ack-log", acks}
	if err := run(ctx, append(args, "--workload", "sync,deprovision", "--wave", "4"), &out, &errOut); err != nil {
		t.Fatalf("sync: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"--url", url, "--token", cl.Token, "--users", "12", "--prefix", "U", "--workload", "signin",
		"--idp-key", filepath.Join(dir, "idp-key.pem"), "--idp-cert", filepath.Join(dir, "idp-cert.pem")}, &out, &errOut); err != nil {
		t.Fatalf("signin: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "signin (entra): 8 ok, 0 errors") || !strings.Contains(out.String(), "replays sent: 3, replays accepted: 0") {
		t.Errorf("signin output:\n%s", out.String())
	}

	out.Reset()
	if err := run(ctx, []string{"--url", url, "--token", cl.Token, "--verify", acks}, &out, &errOut); err != nil {
		t.Fatalf("--verify: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "checked 12 acknowledged keys: 0 lost") {
		t.Errorf("--verify output:\n%s", out.String())
	}

	// One user deleted behind the tool's back is lost.
	var lr struct{ Resources []struct{ ID string } }
	get(t, cl, `/Users?filter=externalId+eq+"U-ext0000005"`, &lr)
	req, _ := http.NewRequest(http.MethodDelete, cl.SCIM[0]+"/Users/"+lr.Resources[0].ID, nil)
	req.Header.Set("Authorization", "Bearer "+cl.Token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE = %v, %v", resp, err)
	}
	out.Reset()
	err = run(ctx, []string{"--url", url, "--token", cl.Token, "--verify", acks, "--json"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "1 acknowledged writes lost") {
		t.Errorf("--verify after a delete = %v, want 1 lost", err)
	}
	var rep report
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil || rep.Verify == nil || rep.Verify.Lost != 1 || rep.Verify.Checked != 12 {
		t.Errorf("--verify --json = %s (%v)", out.String(), jerr)
	}
}

func get(t *testing.T, cl *inproc.Cluster, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, cl.SCIM[0]+path, nil)
	req.Header.Set("Authorization", "Bearer "+cl.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

func TestFlags(t *testing.T) {
	db := []string{"--db", "sqlite:x"}
	url := []string{"--url", "http://127.0.0.1:1/api/scim/v2/groups/g", "--token", "t"}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"nothing", nil, "give either --db"},
		{"both", append(append([]string{}, db...), url...), "give either --db"},
		{"url without token", []string{"--url", "http://127.0.0.1:1/x"}, "--url needs --token"},
		{"url not http", []string{"--url", "127.0.0.1:1/x", "--token", "t"}, "want the group's SCIM base URL"},
		{"zero concurrency", append(db, "--concurrency", "0"), "--concurrency and --count ≥ 1"},
		{"negative users", append(db, "--users", "-1"), "must be ≥ 0"},
		{"unknown idp", append(db, "--idp", "onelogin"), `--idp "onelogin": want entra or okta`},
		{"unknown okta app", append(db, "--okta-app", "x"), "--okta-app"},
		{"unknown workload", append(db, "--workload", "sync,delete"), `unknown workload "delete"`},
		{"workload and sync", append(db, "--workload", "sync", "--sync=false"), "older spelling"},
		{"waves without prefix", append(db, "--workload", "update"), "give its --prefix"},
		{"nodes with url", append(url, "--nodes", "2"), "--nodes is for --db"},
		{"zero nodes", append(db, "--nodes", "0"), "--nodes must be 1 to 16"},
		{"key without cert", append(db, "--idp-key", "k"), "go together"},
		{"signin by url without key", append(url, "--workload", "sync,signin"), "needs --idp-key"},
		{"signin by a non-SCIM url", []string{"--url", "http://h/x", "--token", "t", "--workload", "sync,signin", "--idp-key", "k", "--idp-cert", "c"}, "is not a group's SCIM base URL"},
		{"bad saml flow", append(db, "--saml-flow", "both"), "--saml-flow"},
		{"verify with db", append(db, "--verify", "f"), "--verify checks a running server"},
		{"verify with workload", append(url, "--verify", "f", "--workload", "sync"), "--verify runs no workloads"},
		{"unknown flag", append(db, "--user", "3"), "flag provided but not defined"},
		{"stray argument", append(db, "sync"), "unexpected arguments"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args, &bytes.Buffer{}, &bytes.Buffer{})
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want a usage error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestDefaultWorkloads(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "sync,filter,read"},
		{[]string{"--sync=false", "--prefix", "p"}, "filter,read"},
		{[]string{"--filter-requests", "0", "--read=false"}, "sync"},
		{[]string{"--workload", "sync, signin"}, "sync,signin"},
	} {
		c, err := parse(append([]string{"--db", "sqlite:x"}, tt.args...), &bytes.Buffer{})
		if err != nil {
			t.Fatalf("parse(%q): %v", tt.args, err)
		}
		if got := strings.Join(c.workloads, ","); got != tt.want {
			t.Errorf("parse(%q) workloads = %s, want %s", tt.args, got, tt.want)
		}
	}
}
