package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/internal/proctest"
)

// mandatory says whether a test that cannot run here must fail instead of
// skipping (CI sets it).
var mandatory = os.Getenv("GATEHOUSE_TEST_FAULTS") == "1"

// require skips the test, or fails it under GATEHOUSE_TEST_FAULTS=1, when
// what it needs is missing. -short skips every fault test.
func require(t *testing.T, ok bool, why string) {
	t.Helper()
	if testing.Short() {
		t.Skip("injects database faults into the real binary")
	}
	if ok {
		return
	}
	if mandatory {
		t.Fatalf("GATEHOUSE_TEST_FAULTS=1 but %s", why)
	}
	t.Skipf("%s (set GATEHOUSE_TEST_FAULTS=1 to make this a failure)", why)
}

// The binary is built once for the package, on first use, and removed by
// TestMain.
var (
	buildOnce sync.Once
	buildDir  string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary returns the gatehouse binary, built with the race detector when the
// tests run with it.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and injects faults")
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "gatehouse-faults-bin-")
		if buildErr == nil {
			binPath, buildErr = proctest.BuildTo(buildDir)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	proctest.StatSources(t)
	return binPath
}

// gh runs a gatehouse command and returns its standard output.
func gh(t *testing.T, bin string, env map[string]string, args ...string) string {
	t.Helper()
	out, err := proctest.Run(bin, env, "", args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// setupGroup creates the group acme, owned by owner, on the database of
// env, and returns its SCIM token.
func setupGroup(t *testing.T, bin string, env map[string]string) string {
	t.Helper()
	gh(t, bin, env, "migrate")
	gh(t, bin, env, "user", "create", "--username", "owner", "--email", "owner@example.com")
	gh(t, bin, env, "group", "create", "--path", "acme", "--owner", "owner")
	return gh(t, bin, env, "scim", "token", "reset", "--group", "acme")
}

// margin is how long past its own deadline the server may take to answer
// before the test calls it a hang: generous, since the machine is shared
// and the binary runs under the race detector.
const margin = 15 * time.Second

// outcome is one request's answer.
type outcome struct {
	status  int    // 0 when the request got no answer
	err     error  // why there was no answer, or what was wrong with the body
	id      string // the SCIM id of a created user
	detail  string // the SCIM error detail
	elapsed time.Duration
}

// tally counts the answers of a test's requests; it is safe for concurrent
// use.
type tally struct {
	mu       sync.Mutex
	deadline time.Duration // the server's request deadline
	sent     int
	codes    map[int]int
	noAnswer int // transport errors and client timeouts
	late     int // answered after deadline + margin
	badBody  int // a SCIM error without a SCIM error body
	slowest  time.Duration
	examples []string
	details  map[string]int // the distinct details of the 503s
}

func newTally(deadline time.Duration) *tally {
	return &tally{deadline: deadline, codes: map[int]int{}, details: map[string]int{}}
}

func (ta *tally) add(o outcome, what string) {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	ta.sent++
	ta.slowest = max(ta.slowest, o.elapsed)
	if o.elapsed > ta.deadline+margin {
		ta.late++
	}
	switch {
	case o.status == 0:
		ta.noAnswer++
		ta.example("%s: no answer after %v: %v", what, o.elapsed, o.err)
	default:
		ta.codes[o.status]++
		if o.err != nil {
			ta.badBody++
			ta.example("%s: %d: %v", what, o.status, o.err)
		}
		if d, _, _ := strings.Cut(o.detail, " (reference"); o.status == http.StatusServiceUnavailable && len(ta.details) < 10 {
			ta.details[d]++
		}
		if o.status == http.StatusInternalServerError {
			ta.example("%s: 500: %s", what, o.detail)
		}
	}
}

func (ta *tally) example(format string, args ...any) {
	if len(ta.examples) < 10 {
		ta.examples = append(ta.examples, fmt.Sprintf(format, args...))
	}
}

// count returns how many answers had the status.
func (ta *tally) count(status int) int {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	return ta.codes[status]
}

// ok2xx returns how many answers were 2xx.
func (ta *tally) ok2xx() int {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	n := 0
	for c, k := range ta.codes {
		if c >= 200 && c < 300 {
			n += k
		}
	}
	return n
}

// String sums the tally up for the log and docs/reliability.md.
func (ta *tally) String() string {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	var other []string
	n2xx := 0
	for c, k := range ta.codes {
		if c >= 200 && c < 300 {
			n2xx += k
		} else if c != 503 && c != 500 {
			other = append(other, fmt.Sprintf("%d×%d", k, c))
		}
	}
	return fmt.Sprintf("sent %d: 2xx %d, 503 %d, 500 %d, other %v, no answer %d, late %d, bad body %d, slowest %v; 503 details %v",
		ta.sent, n2xx, ta.codes[503], ta.codes[500], other, ta.noAnswer, ta.late, ta.badBody, ta.slowest.Round(time.Millisecond), ta.details)
}

// check fails the test unless every request was answered, in time, with a
// proper body, and none with a 500.
func (ta *tally) check(t *testing.T) {
	t.Helper()
	ta.mu.Lock()
	defer ta.mu.Unlock()
	if ta.codes[500] != 0 || ta.noAnswer != 0 || ta.late != 0 || ta.badBody != 0 {
		t.Errorf("answers: %d 500s, %d without an answer, %d later than %v, %d bad bodies; want none of them; examples:\n%s",
			ta.codes[500], ta.noAnswer, ta.late, ta.deadline+margin, ta.badBody, strings.Join(ta.examples, "\n"))
	}
}

// scimClient sends SCIM requests to one server and tallies the answers.
// It is safe for concurrent use.
type scimClient struct {
	base  string // …/api/scim/v2/groups/acme
	token string
	user  []byte // testdata/user.json
	http  *http.Client
	tally *tally
}

func newSCIMClient(t *testing.T, url, token string, ta *tally) *scimClient {
	t.Helper()
	user, err := os.ReadFile("testdata/user.json")
	if err != nil {
		t.Fatal(err)
	}
	return &scimClient{
		base:  url + "/api/scim/v2/groups/acme",
		token: token,
		user:  user,
		// The client gives up well after the server should have: a request
		// that reaches this timeout is a hang, counted as no answer.
		http: &http.Client{
			Timeout:   ta.deadline + 2*margin,
			Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
		},
		tally: ta,
	}
}

// do sends one request and checks the shape of its answer: a SCIM error
// body (the Error schema, status as a string, a detail) for any error
// status, JSON for a success. The outcome is tallied.
func (c *scimClient) do(method, path string, body []byte) outcome {
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		panic(err) // the test built a bad URL
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/scim+json")
	start := time.Now()
	resp, err := c.http.Do(req)
	o := outcome{elapsed: time.Since(start)}
	if err != nil {
		o.err = err
		c.tally.add(o, method+" "+path)
		return o
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	o.elapsed = time.Since(start)
	o.status = resp.StatusCode
	if err != nil {
		o.status, o.err = 0, err
		c.tally.add(o, method+" "+path)
		return o
	}
	var doc struct {
		Schemas []string `json:"schemas"`
		ID      string   `json:"id"`
		Status  string   `json:"status"`
		Detail  string   `json:"detail"`
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &doc); err != nil {
			o.err = fmt.Errorf("body is not JSON: %q", raw)
		}
	}
	o.id, o.detail = doc.ID, doc.Detail
	if o.err == nil && resp.StatusCode >= 400 {
		switch {
		case len(doc.Schemas) != 1 || doc.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error":
			o.err = fmt.Errorf("error body without the SCIM Error schema: %q", raw)
		case doc.Status != strconv.Itoa(resp.StatusCode):
			o.err = fmt.Errorf("error body status %q, want %q", doc.Status, strconv.Itoa(resp.StatusCode))
		case doc.Detail == "":
			o.err = fmt.Errorf("error body without a detail: %q", raw)
		case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "":
			o.err = fmt.Errorf("503 without Retry-After: %q", raw)
		}
	}
	c.tally.add(o, method+" "+path)
	return o
}

// create posts the user of testdata/user.json with external id ext.
func (c *scimClient) create(ext string) outcome {
	return c.do(http.MethodPost, "/Users", bytes.ReplaceAll(c.user, []byte("EXT"), []byte(ext)))
}

// list reads one page of users.
func (c *scimClient) list(filter string) outcome {
	path := "/Users?count=5"
	if filter != "" {
		path += "&filter=" + strings.ReplaceAll(filter, " ", "%20")
	}
	return c.do(http.MethodGet, path, nil)
}

// externalIDs returns the externalId of every user of the group, paging
// through the list; a failure ends the test.
func (c *scimClient) externalIDs(t *testing.T) []string {
	t.Helper()
	var all []string
	for start := 1; ; {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/Users?startIndex=%d&count=200", c.base, start), nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			TotalResults int `json:"totalResults"`
			Resources    []struct {
				ExternalID string `json:"externalId"`
			} `json:"Resources"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("list users from %d: %d %v", start, resp.StatusCode, err)
		}
		for _, r := range page.Resources {
			all = append(all, r.ExternalID)
		}
		start += len(page.Resources)
		if len(page.Resources) == 0 || start > page.TotalResults {
			return all
		}
	}
}

// get answers a plain GET (health, readiness, metrics) with a short client
// timeout: status 0 means no answer.
func get(url string, timeout time.Duration) (int, string) {
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitFor polls cond every 100 ms until it holds or d passes, and returns
// how long it took; failing to hold ends the test.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(100 * time.Millisecond) // polling a process from outside
	}
	return time.Since(start)
}

// goroutines reads go_goroutines from the server's /metrics.
func goroutines(t *testing.T, url string) int {
	t.Helper()
	status, body := get(url+"/metrics", 10*time.Second)
	if status != http.StatusOK {
		t.Fatalf("/metrics = %d %s", status, body)
	}
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, "go_goroutines "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("go_goroutines %q: %v", v, err)
			}
			return int(n)
		}
	}
	t.Fatal("no go_goroutines in /metrics")
	return 0
}

// freePort returns a loopback TCP port nobody listens on at the moment.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// isRoot says whether the tests run as root.
func isRoot() bool { return os.Geteuid() == 0 }
