package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

// process is a gatehouse binary serving on loopback.
type process struct {
	addr   string
	stderr *syncBuffer
}

// startBinary runs bin serve with the environment env as a process of its
// own and waits until it listens; the test's cleanup stops it.
func startBinary(t *testing.T, bin string, env map[string]string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--log-format", "json")
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{stderr: &syncBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for p.addr == "" {
		if time.Now().After(deadline) {
			t.Fatalf("the binary did not listen within 30s:\n%s", p.stderr.String())
		}
		sc := bufio.NewScanner(strings.NewReader(p.stderr.String()))
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				p.addr = line.Addr
			}
		}
		time.Sleep(10 * time.Millisecond) // polling the log for the port, not synchronising work
	}
	return p
}

// TestSAMLReplayAcrossProcesses posts one genuine signed response to two
// server processes that share a PostgreSQL database: the replay cache is in
// the database, so exactly one of them signs the user in, whether the posts
// come one after the other or at once (security.md §1.9 and §5.7).
func TestSAMLReplayAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dsn, ok := databases(t)["postgres"]
	if !ok {
		t.Skip("GATEHOUSE_TEST_POSTGRES not set")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gatehouse")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env := map[string]string{"GATEHOUSE_DB": dsn, "GATEHOUSE_BASE_URL": samltest.Base}

	// The group, its SCIM token and its IdP, through the command line.
	idp := samltest.NewIdP("replay")
	certFile := filepath.Join(dir, "idp.pem")
	if err := os.WriteFile(certFile, idp.Keys.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"migrate"},
		{"user", "create", "--username", "owner", "--email", "owner@example.com"},
		{"group", "create", "--path", "acme", "--owner", "owner"},
		{"saml", "configure", "--group", "acme", "--sso-url", idp.SSOURL, "--cert-file", certFile, "--idp-entity-id", idp.EntityID},
	} {
		if r := gh(t, env, "", args...); r.code != 0 {
			t.Fatalf("gatehouse %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	r := gh(t, env, "", "scim", "token", "reset", "--group", "acme")
	if r.code != 0 {
		t.Fatalf("scim token reset: exit %d\n%s", r.code, r.stderr)
	}
	token := strings.TrimSpace(r.stdout)

	nodes := []*process{startBinary(t, bin, env), startBinary(t, bin, env)}

	// Alice is provisioned over SCIM on the first node, so her NameID
	// signs in directly.
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"00u1alice",
		"userName":"alice@example.com","emails":[{"value":"alice@example.com","primary":true}]}`
	req, err := http.NewRequest(http.MethodPost, "http://"+nodes[0].addr+"/api/scim/v2/groups/acme/Users", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("SCIM POST = %d, want 201", resp.StatusCode)
	}

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(n *process, response string) int {
		resp, err := noRedirect.PostForm("http://"+n.addr+"/groups/acme/-/saml/callback", url.Values{"SAMLResponse": {response}})
		if err != nil {
			t.Errorf("POST to %s: %v", n.addr, err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	sp := samltest.SP("acme", 1)
	signed := func() string { return samltest.Encode(idp.Response(t, idp.Spec(sp, time.Now()))) }

	t.Run("one after the other", func(t *testing.T) {
		response := signed()
		if got := post(nodes[0], response); got != http.StatusSeeOther {
			t.Fatalf("first post to node 1 = %d, want 303 (signed in)\n%s", got, nodes[0].stderr.String())
		}
		for i, n := range nodes {
			if got := post(n, response); got < 400 || got >= 500 {
				t.Errorf("replay on node %d = %d, want a 4xx refusal", i+1, got)
			}
		}
	})
	t.Run("at once", func(t *testing.T) {
		for round := range 5 {
			response := signed()
			codes := make([]int, 2*len(nodes))
			var wg sync.WaitGroup
			for i := range codes {
				wg.Go(func() { codes[i] = post(nodes[i%len(nodes)], response) })
			}
			wg.Wait()
			signedIn := 0
			for _, c := range codes {
				switch {
				case c == http.StatusSeeOther:
					signedIn++
				case c < 400 || c >= 500:
					t.Errorf("round %d: a post answered %d, want 303 or a 4xx refusal (all: %v)", round, c, codes)
				}
			}
			if signedIn != 1 {
				t.Errorf("round %d: %d of the posts to both processes signed in, want exactly 1 (%v)", round, signedIn, codes)
			}
		}
	})
	if t.Failed() {
		for i, n := range nodes {
			fmt.Fprintf(os.Stderr, "node %d log:\n%s\n", i+1, n.stderr.String())
		}
	}
}
