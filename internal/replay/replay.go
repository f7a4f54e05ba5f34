package replay

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Config says where the fixtures are sent.
type Config struct {
	// Client sends the requests. Nil means a client with a 30-second
	// timeout that does not follow redirects, so that a 3xx is seen as sent.
	Client *http.Client
	// Base is the SCIM base URL that relative targets are appended to,
	// e.g. http://127.0.0.1:8080/api/scim/v2/groups/acme.corp. It is also
	// the variable {{base}}, unless Vars sets one.
	Base string
	// Vars are the variables every sequence starts with, e.g. "token".
	// Run does not modify the map.
	Vars map[string]string
}

// Limits on what a failure message shows, and on what a response may hold.
const (
	maxShownBody = 2048
	maxBody      = 10 << 20
)

// tb is the part of *testing.T that the runner uses. It exists so that the
// runner's own tests can watch it fail.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Context() context.Context
	Run(name string, f func(tb)) bool
}

// testingT adapts *testing.T to tb.
type testingT struct{ *testing.T }

func (t testingT) Run(name string, f func(tb)) bool {
	return t.T.Run(name, func(t *testing.T) { f(testingT{t}) })
}

// Run replays fixture files against c.Base, each as a subtest named after
// the file (without .http). A path may name a directory: its *.http files
// then run in file-name order in a subtest named after the directory, and
// share captures with each other only. Files named directly share captures
// with each other, in the order given.
func Run(t *testing.T, c Config, paths ...string) {
	t.Helper()
	run(testingT{t}, c, paths)
}

func run(t tb, c Config, paths []string) {
	t.Helper()
	if len(paths) == 0 {
		t.Fatalf("replay: no fixture paths given")
	}
	type group struct {
		dir   string   // "" for files named directly
		files []string // in the order to run
	}
	var groups []group
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if !fi.IsDir() {
			groups = append(groups, group{files: []string{p}})
			continue
		}
		files, err := filepath.Glob(filepath.Join(p, "*.http"))
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if len(files) == 0 {
			t.Fatalf("replay: %s holds no .http fixtures", p)
		}
		slices.Sort(files)
		groups = append(groups, group{dir: p, files: files})
	}

	client := c.Client
	if client == nil {
		client = &http.Client{
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	loose := newSequence(c, client)
	for _, g := range groups {
		if g.dir == "" {
			f := g.files[0]
			t.Run(stepName(f), func(t tb) { loose.runFile(t, f) })
			continue
		}
		seq := newSequence(c, client)
		t.Run(filepath.Base(g.dir), func(t tb) {
			for _, f := range g.files {
				t.Run(stepName(f), func(t tb) { seq.runFile(t, f) })
			}
		})
	}
}

func stepName(file string) string {
	return strings.TrimSuffix(filepath.Base(file), ".http")
}

// A sequence is a run of steps that share variables.
type sequence struct {
	client *http.Client
	base   string
	vars   map[string]string
}

func newSequence(c Config, client *http.Client) *sequence {
	vars := maps.Clone(c.Vars)
	if vars == nil {
		vars = map[string]string{}
	}
	if _, ok := vars["base"]; !ok && c.Base != "" {
		vars["base"] = c.Base
	}
	return &sequence{client: client, base: c.Base, vars: vars}
}

func (q *sequence) lookup(name string) (string, bool) {
	v, ok := q.vars[name]
	return v, ok
}

// runFile reads, sends and checks one fixture.
func (q *sequence) runFile(t tb, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v", err)
	}
	s, err := parse(file, data)
	if err != nil {
		t.Fatalf("%v", err)
	}
	req, shown, err := q.request(t.Context(), s)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	resp, err := q.client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v\n--- request\n%s", file, err, shown)
	}
	body, err := readBody(resp)
	if err != nil {
		t.Fatalf("%s: reading the response: %v\n--- request\n%s", file, err, shown)
	}

	m := newMatcher(q.vars)
	check(m, s, resp, body)
	maps.Copy(q.vars, m.captured)
	if len(m.problems) > 0 {
		t.Errorf("%s: the response does not match:\n    %s\n--- request\n%s--- want\n%s--- got\n%s",
			file, strings.Join(m.problems, "\n    "), shown, showWant(s), showResponse(resp, body))
	}
}

// request builds the HTTP request for s. It also returns the request as a
// failure message shows it: headers as written in the fixture (so that
// tokens stay {{token}}) and the body as sent.
func (q *sequence) request(ctx context.Context, s *step) (*http.Request, string, error) {
	target, err := s.target.expand(q.lookup)
	if err != nil {
		return nil, "", fmt.Errorf("request target: %w", err)
	}
	rawURL, err := q.resolve(target)
	if err != nil {
		return nil, "", err
	}
	body, err := s.body.expand(q.lookup)
	if err != nil {
		return nil, "", fmt.Errorf("request body: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, s.method, rawURL, strings.NewReader(body))
	if err != nil {
		return nil, "", fmt.Errorf("request: %w", err)
	}
	if body == "" {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	setRawTarget(req.URL, rawURL)
	// Only what the fixture says is sent: no Go User-Agent unless written.
	req.Header.Set("User-Agent", "")
	var shown strings.Builder
	fmt.Fprintf(&shown, "%s %s\n", s.method, rawURL)
	written := map[string]bool{}
	for _, h := range s.header {
		v, err := h.value.expand(q.lookup)
		if err != nil {
			return nil, "", fmt.Errorf("header %s: %w", h.name, err)
		}
		name := http.CanonicalHeaderKey(h.name)
		switch {
		case name == "Host":
			req.Host = v
		case !written[name]:
			req.Header.Set(name, v)
		default:
			req.Header.Add(name, v)
		}
		written[name] = true
		fmt.Fprintf(&shown, "%s: %s\n", h.name, h.value.String())
	}
	if body != "" {
		fmt.Fprintf(&shown, "\n%s\n", truncate(body, maxShownBody))
	}
	return req, shown.String(), nil
}

// resolve turns a target into a URL: absolute URLs stay as they are, and
// paths are appended to the base.
func (q *sequence) resolve(target string) (string, error) {
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		return target, nil
	}
	if !strings.HasPrefix(target, "/") {
		return "", fmt.Errorf("request target %q: want a path starting with / or an absolute URL", target)
	}
	if q.base == "" {
		return "", fmt.Errorf("request target %q is relative but Config.Base is empty", target)
	}
	return strings.TrimSuffix(q.base, "/") + target, nil
}

// setRawTarget makes u send the path and query exactly as written in raw:
// url.URL would otherwise re-encode a path it considers unusual, and IdPs'
// quirks (raw quotes, a trailing ? or &) are what the fixtures pin.
func setRawTarget(u *url.URL, raw string) {
	rest := raw[strings.Index(raw, "://")+3:]
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return // no path: the URL is just scheme and host
	}
	path, query, hasQuery := strings.Cut(rest[i:], "?")
	u.Opaque = path
	u.RawQuery = query
	u.ForceQuery = hasQuery && query == ""
	u.Fragment, u.RawFragment = "", ""
}

// readBody reads the response body, undoing a gzip or deflate encoding: a
// fixture that sends Accept-Encoding (as Okta does) turns off Go's own
// transparent decompression.
func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	var r io.Reader = io.LimitReader(resp.Body, maxBody+1)
	switch strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))) {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		r = zr
	case "deflate":
		raw, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		// RFC 9110's deflate is zlib; some servers send raw DEFLATE.
		if zr, err := zlib.NewReader(bytes.NewReader(raw)); err == nil {
			r = zr
		} else {
			r = flate.NewReader(bytes.NewReader(raw))
		}
	}
	b, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err == nil && len(b) > maxBody {
		err = errors.New("body larger than 10 MiB")
	}
	return b, err
}

// check compares a response with a step's expectations.
func check(m *matcher, s *step, resp *http.Response, body []byte) {
	if !slices.Contains(s.statuses, resp.StatusCode) {
		m.problemf("status: got %d, want %s", resp.StatusCode, statusList(s.statuses))
		return // the rest would only restate that this is another response
	}
	m.headers(s.wantHeader, resp.Header)
	switch {
	case s.wantAny:
	case s.wantEmpty || resp.StatusCode == http.StatusNoContent:
		if len(body) > 0 {
			m.problemf("body: got %d bytes, want none", len(body))
		}
	default:
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		var got any
		if err := d.Decode(&got); err != nil {
			m.problemf("body: not JSON: %v", err)
			return
		}
		if d.More() {
			m.problemf("body: more than one JSON value")
			return
		}
		m.value("$", s.want, got)
	}
}

func statusList(codes []int) string {
	var s []string
	for _, c := range codes {
		s = append(s, fmt.Sprint(c))
	}
	return strings.Join(s, " or ")
}

// showWant renders the expected response as written.
func showWant(s *step) string {
	var b strings.Builder
	b.WriteString("=== " + strings.ReplaceAll(statusList(s.statuses), " or ", "|") + "\n")
	for _, h := range s.wantHeader {
		fmt.Fprintf(&b, "%s: %s\n", h.name, h.value.String())
	}
	if s.wantText != "" {
		fmt.Fprintf(&b, "\n%s\n", truncate(s.wantText, maxShownBody))
	}
	return b.String()
}

// showResponse renders the actual response, with a JSON body indented.
func showResponse(resp *http.Response, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", resp.Status)
	for _, k := range slices.Sorted(maps.Keys(resp.Header)) {
		if k == "Date" {
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(resp.Header[k], ", "))
	}
	if len(body) > 0 {
		text := string(body)
		var ind bytes.Buffer
		if json.Indent(&ind, body, "", "  ") == nil {
			text = ind.String()
		}
		fmt.Fprintf(&b, "\n%s\n", truncate(text, maxShownBody))
	}
	return b.String()
}
