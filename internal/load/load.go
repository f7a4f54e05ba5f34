// Package load drives a Gatehouse group the way identity providers do at
// scale, over real HTTP, and measures it. The SCIM workloads speak the
// dialect of Microsoft Entra ID or of Okta (docs/idp-clients.md): an
// initial sync (a filter GET for each user, then a POST when it is
// missing), an update wave, a deprovision wave, a reactivation wave, filter
// GETs against the populated group and a full paged read. The SAML
// workload signs users in with a built-in identity provider that signs
// genuine responses, and checks that a replayed response is refused.
//
// Every write can be logged in an acklog (sent before, acknowledged or
// refused after), and Verify checks a log against the server: the check an
// operator runs after a crash.
//
// Every run is bounded in requests and time, and stops by itself; it only
// ever talks to the URLs it is given.
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Target is the group's SCIM endpoint under load, on one or more nodes.
type Target struct {
	// Bases are the group's SCIM base URLs, one per node, e.g.
	// http://127.0.0.1:8080/api/scim/v2/groups/3. Requests go to them in
	// turn.
	Bases  []string
	Token  string
	Client *http.Client // nil: a client with keep-alive for 64 connections per node
	// UserAgent is sent with every SCIM request; "" sends Go's.
	UserAgent string

	next atomic.Uint64
}

// NewTarget returns the target of the SCIM base URLs, with a client sized
// for concurrency connections per node.
func NewTarget(token string, concurrency int, bases ...string) *Target {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = max(concurrency, 2)
	tr.MaxIdleConns = 0
	for i, b := range bases {
		bases[i] = strings.TrimRight(b, "/")
	}
	return &Target{Bases: bases, Token: token, Client: &http.Client{Transport: tr, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// base returns the next node's base URL.
func (t *Target) base() string {
	return t.Bases[int(t.next.Add(1)-1)%len(t.Bases)]
}

func (t *Target) client() *http.Client {
	if t.Client == nil {
		t.Client = &http.Client{Timeout: 60 * time.Second}
	}
	return t.Client
}

// reply is an answer: its status (0 when none came) and body.
type reply struct {
	status int
	body   []byte
}

// call sends a SCIM request to the next node with the token, counts its
// status in rec, and returns the answer. An error is a request that got no
// answer, or a body that could not be read. A 429 is counted, then waited
// out as its Retry-After says and sent again, as Okta and Entra ID do, up
// to maxThrottled times.
func (t *Target) call(ctx context.Context, rec *recorder, method, path string, body any) (reply, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return reply{}, err
		}
	}
	for attempt := 1; ; attempt++ {
		r, wait, err := t.send(ctx, rec, method, path, payload)
		if err != nil || r.status != http.StatusTooManyRequests || attempt == maxThrottled {
			return r, err
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// maxThrottled is how many times call sends a request that is answered 429.
const maxThrottled = 10

// send sends the request once; wait is the answer's Retry-After (1 s when
// it has none, at most 30 s).
func (t *Target) send(ctx context.Context, rec *recorder, method, path string, payload []byte) (r reply, wait time.Duration, err error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.base()+path, rd)
	if err != nil {
		return reply{}, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+t.Token)
	req.Header.Set("Accept", "application/scim+json")
	if t.UserAgent != "" {
		req.Header.Set("User-Agent", t.UserAgent)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	}
	t0 := time.Now()
	resp, err := t.client().Do(req)
	if err != nil {
		rec.request(kind(method, path), 0, time.Since(t0))
		return reply{}, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	rec.request(kind(method, path), resp.StatusCode, time.Since(t0))
	wait = time.Second
	if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && secs > 0 {
		wait = min(time.Duration(secs)*time.Second, 30*time.Second)
	}
	if err != nil {
		return reply{status: resp.StatusCode}, wait, err
	}
	return reply{status: resp.StatusCode, body: b}, wait, nil
}

// kind names a SCIM request's kind for the latency breakdown.
func kind(method, path string) string {
	switch {
	case strings.Contains(path, "filter="):
		return method + " filter"
	case strings.Contains(path, "startIndex="):
		return method + " page"
	case strings.HasPrefix(path, "/Users/"):
		return method + " /Users/{id}"
	}
	return method + " " + path
}

// statusError is an answer with a status the workload did not expect.
type statusError struct {
	method, path string
	status       int
	body         []byte
}

func (e *statusError) Error() string {
	body := bytes.TrimSpace(e.body)
	// A failure page says what failed in its title.
	if i := bytes.Index(body, []byte("<title>")); i >= 0 {
		if j := bytes.Index(body[i:], []byte("</title>")); j > 0 {
			body = body[i+len("<title>") : i+j]
		}
	}
	return fmt.Sprintf("%s %s = %d: %.200s", e.method, e.path, e.status, body)
}

// expect returns an error unless r's status is one of want.
func expect(method, path string, r reply, want ...int) error {
	for _, w := range want {
		if r.status == w {
			return nil
		}
	}
	return &statusError{method, path, r.status, r.body}
}
