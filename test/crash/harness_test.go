package crash

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the checks on PostgreSQL
	_ "modernc.org/sqlite"             // the "sqlite" driver, for PRAGMA integrity_check

	"github.com/gatehouse-sso/gatehouse/internal/acklog"
	"github.com/gatehouse-sso/gatehouse/internal/proctest"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
)

// groupPath is the group every test provisions users into.
const groupPath = "crash"

// backend is one database the tests run on.
type backend struct {
	name   string
	db     string // --db
	sqlite string // the SQLite file, or "" for PostgreSQL
}

// backends returns SQLite always and PostgreSQL when GATEHOUSE_TEST_POSTGRES
// is set (CI sets it), each a fresh database of t's.
func backends(t *testing.T) []backend {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	bs := []backend{{name: "sqlite", db: "sqlite:" + path, sqlite: path}}
	if os.Getenv(pgstoretest.EnvDSN) != "" {
		bs = append(bs, backend{name: "postgres", db: pgstoretest.DSN(t)})
	}
	return bs
}

// seed is the tests' random seed: GATEHOUSE_CRASH_SEED, or the clock. It is
// logged so that a failing run's kill times can be repeated.
func seed(t *testing.T) uint64 {
	t.Helper()
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("GATEHOUSE_CRASH_SEED"); v != "" {
		var err error
		if s, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("GATEHOUSE_CRASH_SEED=%q: %v", v, err)
		}
	}
	t.Logf("seed %d (set GATEHOUSE_CRASH_SEED=%d to repeat the kill times)", s, s)
	return s
}

var (
	buildMu sync.Mutex
	built   = map[string]string{} // build tags → binary
)

// binary builds cmd/gatehouse once per test binary and tag set. It is built
// without the race detector (proctest.BuildPlain): these tests are about
// the process's life, and a race-enabled server is so much slower on a
// busy machine that a round would hold a handful of writes and a restart
// would take seconds. The race detector covers the same code in the
// server's own packages.
func binary(t *testing.T, tags ...string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	k := strings.Join(tags, ",")
	if bin, ok := built[k]; ok {
		return bin
	}
	dir, err := os.MkdirTemp("", "gatehouse-crash-")
	if err != nil {
		t.Fatal(err)
	}
	bin := proctest.BuildPlain(t, tags...)
	// BuildPlain's directory belongs to t; keep a copy for later tests.
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(dir, "gatehouse")
	if err := os.WriteFile(keep, b, 0o755); err != nil {
		t.Fatal(err)
	}
	built[k] = keep
	return keep
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, bin := range built {
		os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

// fixture is a database with the group, its SCIM token and an owner's
// personal access token, made through the command line.
type fixture struct {
	backend
	bin      string
	scim     string // the group's SCIM token
	pat      string // the owner's personal access token
	ackPath  string
	acks     *acklog.Writer
	serveEnv map[string]string
}

func setup(t *testing.T, bin string, b backend) *fixture {
	t.Helper()
	env := map[string]string{"GATEHOUSE_DB": b.db}
	run := func(args ...string) string {
		t.Helper()
		out, err := proctest.Run(bin, env, "", args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	run("migrate")
	run("user", "create", "--username", "owner", "--email", "owner@example.com")
	run("group", "create", "--path", groupPath, "--owner", "owner")
	// The writers go as fast as the server lets them, and what is tested
	// is what survives a crash, not the SCIM rate limit (which has tests
	// of its own): it is off.
	serveEnv := map[string]string{"GATEHOUSE_DB": b.db, "GATEHOUSE_SCIM_RATE_LIMIT": "0"}
	f := &fixture{backend: b, bin: bin, serveEnv: serveEnv}
	f.scim = run("scim", "token", "reset", "--group", groupPath)
	f.pat = run("token", "create", "--user", "owner")
	f.ackPath = filepath.Join(t.TempDir(), "acks.jsonl")
	var err error
	if f.acks, err = acklog.Create(f.ackPath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.acks.Close() })
	return f
}

// start runs serve on the fixture's database.
func (f *fixture) start(t *testing.T, bin string, args ...string) *proctest.Server {
	t.Helper()
	return proctest.Start(t, bin, proctest.Options{Env: f.serveEnv, Args: args})
}

// Outcomes of one request, as a SCIM client sees them.
const (
	outAck       = iota // 2xx with a complete, correct body
	outFail             // 4xx: refused, did not happen
	outRefused          // connection refused: never sent
	outUnknown          // no answer, or a 5xx: may or may not have happened
	outTruncated        // a status line but not the whole body
)

// stats counts what the SCIM clients saw; safe for concurrent use.
type stats struct {
	acked, failed, refused, unknown, truncated atomic.Int64
	// unknownKeptAlive are the requests without an answer that were sent
	// on a kept-alive connection (a shutdown closing idle connections races
	// with them); the others were on a new connection.
	unknownKeptAlive atomic.Int64
	mu               sync.Mutex
	status           map[int]int    // every status answered
	byNode           map[string]int // acknowledgements by server
	problems         []string       // wrong answers, at most 20
}

func (s *stats) problem(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.problems) < 20 {
		s.problems = append(s.problems, fmt.Sprintf(format, args...))
	}
}

func (s *stats) saw(node string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status == nil {
		s.status, s.byNode = map[int]int{}, map[string]int{}
	}
	s.status[code]++
	if code/100 == 2 {
		s.byNode[node]++
	}
}

// acksBy is how many writes the server at base acknowledged.
func (s *stats) acksBy(base string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byNode[base]
}

// count5xx is how many answers were 5xx; except503 leaves out 503.
func (s *stats) count5xx(except503 bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for code, c := range s.status {
		if code >= 500 && !(except503 && code == 503) {
			n += c
		}
	}
	return n
}

func (s *stats) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("acknowledged %d, refused by the server %d, connection refused %d, no answer %d (%d on a kept-alive connection), cut-off answers %d, statuses %v",
		s.acked.Load(), s.failed.Load(), s.refused.Load(), s.unknown.Load(), s.unknownKeptAlive.Load(), s.truncated.Load(), s.status)
}

// user is one SCIM user as the writer that owns it knows it.
type user struct {
	key   string // externalId
	id    string // SCIM id, once a create was acknowledged
	state acklog.State
	// retired: a write's outcome is unknown, so its state is too; it is
	// never written again (the check still holds it to its log).
	retired bool
}

// writer is one SCIM client goroutine, Entra-shaped; it alone writes its
// users, so the log's order per key is the server's.
type writer struct {
	n     int
	rng   *rand.Rand
	next  int
	users []*user
}

// nodes is the set of servers the writers send to; safe for concurrent use.
type nodes struct {
	mu   sync.Mutex
	urls []string
}

func (n *nodes) set(urls ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.urls = urls
}

func (n *nodes) pick(rng *rand.Rand) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.urls[rng.IntN(len(n.urls))]
}

// load is a fleet of writers sharing one acklog and one HTTP client.
type load struct {
	f       *fixture
	client  *http.Client
	writers []*writer
	stats   *stats
	nodes   nodes
	// untilError: a writer ends its round at the first request without an
	// answer (the server is gone); otherwise it goes on until ctx ends.
	untilError bool
}

func newLoad(f *fixture, n int, seed uint64) *load {
	l := &load{
		f: f,
		client: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: 2 * n},
		},
		stats:      &stats{},
		untilError: true,
	}
	for i := range n {
		l.writers = append(l.writers, &writer{n: i + 1, rng: rand.New(rand.NewPCG(seed, uint64(i)))})
	}
	return l
}

// run runs every writer until ctx ends (or, with untilError, until each
// has met a request without an answer).
func (l *load) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, w := range l.writers {
		wg.Go(func() {
			for ctx.Err() == nil {
				if out := l.step(w); l.untilError && (out == outUnknown || out == outRefused || out == outTruncated) {
					return
				}
			}
		})
	}
	wg.Wait()
}

const (
	coreSchema       = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	patchSchema      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// step sends one write of w: create, update of several attributes at
// once, deprovision, reactivate or delete, as Entra ID sends them.
func (l *load) step(w *writer) int {
	var live []*user
	for _, u := range w.users {
		if !u.retired && u.state["exists"] == "true" {
			live = append(live, u)
		}
	}
	r := w.rng.IntN(100)
	if len(live) < 3 || r < 25 {
		return l.create(w)
	}
	u := live[w.rng.IntN(len(live))]
	switch {
	case r < 60:
		return l.update(w, u)
	case r < 90:
		return l.setActive(w, u, u.state["active"] != "true")
	default:
		return l.remove(w, u)
	}
}

func word(rng *rand.Rand) string { return fmt.Sprintf("v%06d", rng.IntN(1000000)) }

func (l *load) usersURL(rng *rand.Rand) string {
	return l.nodes.pick(rng) + "/api/scim/v2/groups/" + groupPath + "/Users"
}

func (l *load) create(w *writer) int {
	w.next++
	u := &user{key: fmt.Sprintf("w%d-%d", w.n, w.next)}
	w.users = append(w.users, u)
	st := acklog.State{"exists": "true", "active": "true", "member": "true",
		"displayName": word(w.rng), "givenName": word(w.rng), "familyName": word(w.rng),
		"title": word(w.rng), "department": word(w.rng)}
	email := u.key + "@crash.example"
	body := map[string]any{
		"schemas":        []string{coreSchema, enterpriseSchema},
		"externalId":     u.key,
		"userName":       email,
		"active":         true,
		"displayName":    st["displayName"],
		"title":          st["title"],
		"name":           map[string]any{"givenName": st["givenName"], "familyName": st["familyName"]},
		"emails":         []map[string]any{{"primary": true, "type": "work", "value": email}},
		enterpriseSchema: map[string]any{"department": st["department"]},
	}
	return l.write(w, u, "create", http.MethodPost, l.usersURL(w.rng), body, st)
}

func (l *load) update(w *writer, u *user) int {
	st := clone(u.state)
	for _, k := range []string{"displayName", "givenName", "familyName", "title", "department"} {
		st[k] = word(w.rng)
	}
	var ops []map[string]any
	if w.rng.IntN(2) == 0 {
		// Entra's aadOptscim062020 flag: one path-less replace.
		ops = []map[string]any{{"op": "replace", "value": map[string]any{
			"displayName":                    st["displayName"],
			"name.givenName":                 st["givenName"],
			"name.familyName":                st["familyName"],
			"title":                          st["title"],
			enterpriseSchema + ":department": st["department"],
		}}}
	} else {
		// Entra's default: one Replace per attribute, in one request.
		ops = []map[string]any{
			{"op": "Replace", "path": "displayName", "value": st["displayName"]},
			{"op": "Replace", "path": "name.givenName", "value": st["givenName"]},
			{"op": "Replace", "path": "name.familyName", "value": st["familyName"]},
			{"op": "Replace", "path": "title", "value": st["title"]},
			{"op": "Replace", "path": enterpriseSchema + ":department", "value": st["department"]},
		}
	}
	body := map[string]any{"schemas": []string{patchSchema}, "Operations": ops}
	return l.write(w, u, "update", http.MethodPatch, l.usersURL(w.rng)+"/"+u.id, body, st)
}

// setActive deprovisions (active false: the SCIM identity inactive and
// the membership removed, together) or reactivates.
func (l *load) setActive(w *writer, u *user, active bool) int {
	st := clone(u.state)
	st["active"], st["member"] = strconv.FormatBool(active), strconv.FormatBool(active)
	op := "reactivate"
	if !active {
		op = "deprovision"
	}
	// Entra sends "False"/"True" as strings without its 2020 flag, and
	// booleans with it.
	var v any = active
	if w.rng.IntN(2) == 0 {
		v = map[bool]string{true: "True", false: "False"}[active]
	}
	body := map[string]any{"schemas": []string{patchSchema},
		"Operations": []map[string]any{{"op": "Replace", "path": "active", "value": v}}}
	return l.write(w, u, op, http.MethodPatch, l.usersURL(w.rng)+"/"+u.id, body, st)
}

func (l *load) remove(w *writer, u *user) int {
	return l.write(w, u, "delete", http.MethodDelete, l.usersURL(w.rng)+"/"+u.id, nil, acklog.Gone())
}

func clone(s acklog.State) acklog.State {
	c := acklog.State{}
	for k, v := range s {
		c[k] = v
	}
	return c
}

// write sends one request and logs it: Sent before, then Ack (2xx) or
// Fail (4xx, or a connection refused, which never reached the server), and
// nothing more when the outcome is unknown.
func (l *load) write(w *writer, u *user, op, method, url string, body any, st acklog.State) int {
	log := func(kind string, status int) {
		if err := l.f.acks.Append(acklog.Record{Kind: kind, Op: op, Key: u.key, ID: u.id, Status: status, State: st}); err != nil {
			panic(err) // the client's own disk failed: nothing can be judged
		}
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			panic(err)
		}
		rd = bytes.NewReader(b)
	}
	// No context: ending a round lets the requests in flight finish (the
	// client's timeout bounds them), so that ending the load never turns
	// an answer into an unknown outcome.
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		panic(err)
	}
	var reused atomic.Bool
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(ci httptrace.GotConnInfo) { reused.Store(ci.Reused) },
	}))
	req.Header.Set("Authorization", "Bearer "+l.f.scim)
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	log(acklog.Sent, 0)
	resp, err := l.client.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			l.stats.refused.Add(1)
			log(acklog.Fail, 0)
			return outRefused
		}
		l.stats.unknown.Add(1)
		if reused.Load() {
			l.stats.unknownKeptAlive.Add(1)
		}
		u.retired = true
		return outUnknown
	}
	respBody, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	node, _, _ := strings.Cut(url, "/api/")
	l.stats.saw(node, resp.StatusCode)
	if rerr != nil {
		l.stats.truncated.Add(1)
		u.retired = true
		if resp.StatusCode/100 == 2 {
			l.stats.problem("%s %s: %d with its body cut off: %v", op, u.key, resp.StatusCode, rerr)
		}
		return outTruncated
	}
	switch {
	case resp.StatusCode/100 == 2:
		if p := checkAnswer(op, u, resp.StatusCode, respBody, st); p != "" {
			l.stats.problem("%s %s: %s", op, u.key, p)
		}
		if op == "create" {
			var doc struct{ ID string }
			json.Unmarshal(respBody, &doc)
			u.id = doc.ID
		}
		u.state = st
		log(acklog.Ack, resp.StatusCode)
		l.stats.acked.Add(1)
		return outAck
	case resp.StatusCode/100 == 4:
		// Nothing in this load should be refused; the log says it did
		// not happen, and the check holds the server to that.
		l.stats.failed.Add(1)
		l.stats.problem("%s %s: %d %s", op, u.key, resp.StatusCode, respBody)
		log(acklog.Fail, resp.StatusCode)
		if op == "create" {
			u.retired = true
		}
		return outFail
	default:
		// A 5xx is no acknowledgement; whether the write happened is
		// unknown.
		l.stats.unknown.Add(1)
		u.retired = true
		if resp.StatusCode != http.StatusServiceUnavailable || !json.Valid(respBody) {
			l.stats.problem("%s %s: %d %s", op, u.key, resp.StatusCode, respBody)
		}
		return outUnknown
	}
}

// scimUser is what the checks read of a SCIM User.
type scimUser struct {
	ID          string `json:"id"`
	ExternalID  string `json:"externalId"`
	UserName    string `json:"userName"`
	Active      bool   `json:"active"`
	DisplayName string `json:"displayName"`
	Title       string `json:"title"`
	Name        struct {
		GivenName  string `json:"givenName"`
		FamilyName string `json:"familyName"`
	} `json:"name"`
	Enterprise struct {
		Department string `json:"department"`
	} `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
}

// state is u's acklog state; member is said by the admin API.
func (u *scimUser) state(member bool) acklog.State {
	return acklog.State{"exists": "true", "active": strconv.FormatBool(u.Active), "member": strconv.FormatBool(member),
		"displayName": u.DisplayName, "givenName": u.Name.GivenName, "familyName": u.Name.FamilyName,
		"title": u.Title, "department": u.Enterprise.Department}
}

// checkAnswer checks that a 2xx answer is the resource the write asked for
// (a DELETE's is empty), and returns what is wrong with it.
func checkAnswer(op string, u *user, status int, body []byte, want acklog.State) string {
	if op == "delete" {
		if status != http.StatusNoContent {
			return fmt.Sprintf("DELETE answered %d, want 204", status)
		}
		return ""
	}
	if want := map[bool]int{true: http.StatusCreated, false: http.StatusOK}[op == "create"]; status != want {
		return fmt.Sprintf("answered %d, want %d", status, want)
	}
	var doc scimUser
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Sprintf("answer is not a SCIM User: %v: %.200s", err, body)
	}
	if doc.ExternalID != u.key || doc.ID == "" || (u.id != "" && doc.ID != u.id) {
		return fmt.Sprintf("answer is user %q (externalId %q), want %q (externalId %q)", doc.ID, doc.ExternalID, u.id, u.key)
	}
	got := doc.state(want["member"] == "true") // membership is not in the answer
	for k, v := range want {
		if got[k] != v {
			return fmt.Sprintf("answer has %s=%q, want %q", k, got[k], v)
		}
	}
	return ""
}

// serverView is what a server holds for the group, read through its SCIM
// and admin APIs.
type serverView struct {
	users   map[string]*scimUser // by externalId
	members map[string]bool      // extern_uid of SCIM members → membership active
	orphans []string             // members with no SCIM identity, but the owner
	dups    []string
}

func (f *fixture) get(url, authHeader, auth string, into any) (http.Header, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(authHeader, auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s = %d %.300s", url, resp.StatusCode, b)
	}
	return resp.Header, json.Unmarshal(b, into)
}

func (f *fixture) view(base string) (*serverView, error) {
	v := &serverView{users: map[string]*scimUser{}, members: map[string]bool{}}
	userNames := map[string]string{}
	for start := 1; ; {
		var page struct {
			TotalResults int        `json:"totalResults"`
			Resources    []scimUser `json:"Resources"`
		}
		url := fmt.Sprintf("%s/api/scim/v2/groups/%s/Users?startIndex=%d&count=1000", base, groupPath, start)
		if _, err := f.get(url, "Authorization", "Bearer "+f.scim, &page); err != nil {
			return nil, err
		}
		for i := range page.Resources {
			u := &page.Resources[i]
			if _, dup := v.users[u.ExternalID]; dup {
				v.dups = append(v.dups, "externalId "+u.ExternalID)
			}
			if other, dup := userNames[strings.ToLower(u.UserName)]; dup {
				v.dups = append(v.dups, fmt.Sprintf("userName %s (externalIds %s and %s)", u.UserName, other, u.ExternalID))
			}
			v.users[u.ExternalID], userNames[strings.ToLower(u.UserName)] = u, u.ExternalID
		}
		start += len(page.Resources)
		if len(page.Resources) == 0 || start > page.TotalResults {
			break
		}
	}
	for page := 1; page > 0; {
		var ms []struct {
			Username        string `json:"username"`
			MembershipState string `json:"membership_state"`
			SCIM            *struct {
				ExternUID string `json:"extern_uid"`
			} `json:"group_scim_identity"`
		}
		url := fmt.Sprintf("%s/api/v4/groups/%s/members?per_page=100&page=%d", base, groupPath, page)
		hd, err := f.get(url, "PRIVATE-TOKEN", f.pat, &ms)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			switch {
			case m.SCIM != nil:
				if _, dup := v.members[m.SCIM.ExternUID]; dup {
					v.dups = append(v.dups, "member "+m.SCIM.ExternUID)
				}
				v.members[m.SCIM.ExternUID] = m.MembershipState == "active"
			case m.Username != "owner":
				v.orphans = append(v.orphans, m.Username)
			}
		}
		page, _ = strconv.Atoi(hd.Get("X-Next-Page"))
	}
	return v, nil
}

// verification is the outcome of one check against the acklog.
type verification struct {
	checked, lost int
}

// verify checks the server at base against everything the writers were
// told (see check), failing t for each problem.
func (f *fixture) verify(t *testing.T, base string) verification {
	t.Helper()
	v, problems, err := f.check(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	return v
}

// check checks the server at base: no acknowledged write lost, nothing
// half-applied (a state that is no write's, or a SCIM identity whose
// membership disagrees with its active flag, or a membership left by a
// delete), no duplicate users.
func (f *fixture) check(base string) (verification, []string, error) {
	v, err := f.view(base)
	if err != nil {
		return verification{}, nil, fmt.Errorf("reading the server's users: %w", err)
	}
	recs, err := acklog.Read(f.ackPath)
	if err != nil {
		return verification{}, nil, err
	}
	rep, err := acklog.Check(acklog.Expect(recs), func(e *acklog.Expectation) (acklog.State, error) {
		u, ok := v.users[e.Key]
		if !ok {
			return acklog.Gone(), nil
		}
		return u.state(v.members[e.Key]), nil
	})
	if err != nil {
		return verification{}, nil, err
	}
	var problems []string
	if rep.Lost > 0 {
		problems = append(problems, fmt.Sprintf("acknowledged writes lost or wrong: %s", rep))
	}
	for _, key := range slices.Sorted(maps.Keys(v.users)) {
		u := v.users[key]
		if member, ok := v.members[key]; u.Active != (ok && member) {
			problems = append(problems, fmt.Sprintf("user %s half-deprovisioned: SCIM active=%v, member=%v", key, u.Active, ok && member))
		}
	}
	for key := range v.members {
		if _, ok := v.users[key]; !ok {
			problems = append(problems, fmt.Sprintf("member %s has no SCIM user: a half-applied delete", key))
		}
	}
	if len(v.orphans) > 0 {
		problems = append(problems, fmt.Sprintf("members without a SCIM identity (a half-applied delete): %v", v.orphans))
	}
	if len(v.dups) > 0 {
		problems = append(problems, fmt.Sprintf("duplicate users: %v", v.dups))
	}
	return verification{checked: rep.Checked, lost: rep.Lost}, problems, nil
}

// openDB opens the fixture's database directly, as no server does.
func (f *fixture) openDB(t *testing.T) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", f.db
	if f.sqlite != "" {
		driver, dsn = "sqlite", "file:"+f.sqlite+"?_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// checkDatabase opens the database directly while no server runs: on
// SQLite, PRAGMA integrity_check must say ok and foreign_key_check find
// nothing; on both, no two accounts may share an email.
func (f *fixture) checkDatabase(t *testing.T) {
	t.Helper()
	db := f.openDB(t)
	defer db.Close()
	strs := func(q string) []string {
		t.Helper()
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(vals...))
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return out
	}
	if f.sqlite != "" {
		if got := strs("PRAGMA integrity_check"); len(got) != 1 || got[0] != "ok" {
			t.Errorf("PRAGMA integrity_check = %q, want ok", got)
		}
		if got := strs("PRAGMA foreign_key_check"); len(got) != 0 {
			t.Errorf("PRAGMA foreign_key_check = %q, want nothing", got)
		}
	}
	if got := strs(`SELECT e.email_key, COUNT(DISTINCT e.user_id) FROM user_emails e
GROUP BY e.email_key HAVING COUNT(DISTINCT e.user_id) > 1`); len(got) > 0 {
		t.Errorf("accounts sharing an email (duplicate users): %q", got)
	}
	if got := strs(`SELECT extern_uid_key, COUNT(*) FROM scim_identities WHERE state <> 'deleted'
GROUP BY group_id, extern_uid_key HAVING COUNT(*) > 1`); len(got) > 0 {
		t.Errorf("SCIM identities sharing an externalId: %q", got)
	}
}

// pgSettings returns name=value for each PostgreSQL setting named.
func (f *fixture) pgSettings(t *testing.T, names ...string) string {
	t.Helper()
	db, err := sql.Open("pgx", f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, n := range names {
		var v string
		if err := db.QueryRow("SELECT current_setting($1)", n).Scan(&v); err != nil {
			t.Fatalf("reading %s: %v", n, err)
		}
		out = append(out, n+"="+v)
	}
	return strings.Join(out, " ")
}
