package scimhttp_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/server/scimhttp"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// wantThrottled checks a 429: Retry-After in whole seconds, and a SCIM
// error that says what the limit is.
func wantThrottled(t *testing.T, what string, r response, retryAfter string) {
	t.Helper()
	var body struct {
		Schemas []string
		Status  string
		Detail  string
	}
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != retryAfter ||
		json.Unmarshal([]byte(r.body), &body) != nil || body.Status != "429" ||
		len(body.Schemas) != 1 || body.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" ||
		!strings.Contains(body.Detail, "too many SCIM requests for this group") {
		t.Errorf("%s = %d (Retry-After %q) %s; want 429, Retry-After %s and a SCIM error saying the limit",
			what, r.status, r.header.Get("Retry-After"), r.body, retryAfter)
	}
}

// TestRateLimit: a group over its rate gets 429 with Retry-After, other
// groups do not notice, and the group is served again once its second has
// passed (security.md §2.13).
func TestRateLimit(t *testing.T) {
	e := newEnv(t, sqlitestoretest.Open(t), func(h *scimhttp.Handler, _ *server.Server) { h.RateLimit = 5 })
	list := func(base, token string) response {
		return e.do(http.MethodGet, base+"/Users?count=0", token, "", "")
	}
	other := e.url + scimhttp.Prefix + e.other.Path
	for i := range 5 {
		if r := list(e.byPath(), e.token); r.status != http.StatusOK {
			t.Fatalf("request %d of 5 = %d %s, want 200", i+1, r.status, r.body)
		}
	}
	wantThrottled(t, "the 6th request in the second", list(e.byPath(), e.token), "1")
	wantThrottled(t, "the 7th, by id", list(e.byID(), e.token), "1")
	for i := range 5 {
		if r := list(other, e.otherToken); r.status != http.StatusOK {
			t.Errorf("another group's request %d = %d %s, want 200: the limit is per group", i+1, r.status, r.body)
		}
	}
	// Refused requests spend nothing: after 200 ms, one more is allowed.
	e.skew.Add(int64(200 * time.Millisecond))
	if r := list(e.byPath(), e.token); r.status != http.StatusOK {
		t.Errorf("a request 200 ms later = %d, want 200", r.status)
	}
	wantThrottled(t, "the next one", list(e.byPath(), e.token), "1")
	e.skew.Add(int64(time.Second))
	for i := range 5 {
		if r := list(e.byPath(), e.token); r.status != http.StatusOK {
			t.Errorf("request %d after a second = %d, want 200", i+1, r.status)
		}
	}
	// A bad token is still a 401, never a 429: the limit is counted after
	// authentication, against the token's group.
	if r := list(e.byPath(), "gh-scim-wrong"); r.status != http.StatusUnauthorized {
		t.Errorf("a bad token over the limit = %d, want 401", r.status)
	}
	// The three refusals are counted under their own operation.
	const counted = `gatehouse_scim_requests_total{operation="throttled",status="429"} 3`
	if m := e.do(http.MethodGet, e.url+"/metrics", "", "", ""); !strings.Contains(m.body, counted) {
		t.Errorf("/metrics lacks %s", counted)
	}
}

// TestRateLimitUnderFlood floods one group from 8 clients while another
// provisions users one by one: the flooded group gets 429s and never more
// than its rate, the other group gets every user created.
func TestRateLimitUnderFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("floods a server for a second and a half")
	}
	const rate = 100
	e := newEnv(t, sqlitestoretest.Open(t), func(h *scimhttp.Handler, _ *server.Server) { h.RateLimit = rate })
	client := &http.Client{Timeout: 30 * time.Second}
	send := func(method, url, token, body string) (int, string, error) {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/scim+json")
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, resp.Header.Get("Retry-After"), nil
	}

	start := time.Now()
	stop := make(chan struct{})
	var mu sync.Mutex
	flood := map[int]int{}
	var floodErr error
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				status, retry, err := send(http.MethodGet, e.byPath()+"/Users?count=0", e.token, "")
				mu.Lock()
				flood[status]++
				if err == nil && status == http.StatusTooManyRequests && retry == "" {
					err = fmt.Errorf("a 429 without Retry-After")
				}
				if err != nil && floodErr == nil {
					floodErr = err
				}
				mu.Unlock()
			}
		})
	}
	other := e.url + scimhttp.Prefix + e.other.Path
	created := map[int]int{}
	for i := range 20 {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"calm%02d@example.com","externalId":"calm%02d","emails":[{"value":"calm%02d@example.com","primary":true}]}`, i, i, i)
		status, _, err := send(http.MethodPost, other+"/Users", e.otherToken, body)
		if err != nil {
			t.Fatal(err)
		}
		created[status]++
	}
	time.Sleep(time.Until(start.Add(1500 * time.Millisecond)))
	close(stop)
	wg.Wait()
	elapsed := time.Since(start)
	client.CloseIdleConnections()

	if floodErr != nil {
		t.Errorf("flood: %v", floodErr)
	}
	if created[http.StatusCreated] != 20 {
		t.Errorf("the other group's creations = %v, want 20 × 201", created)
	}
	ok, refused := flood[http.StatusOK], flood[http.StatusTooManyRequests]
	if ok+refused != sum(flood) {
		t.Errorf("the flood's answers = %v, want only 200 and 429", flood)
	}
	if refused == 0 {
		t.Errorf("the flood's answers = %v, want 429s", flood)
	}
	// A second's worth at once, then the rate.
	if most := rate + int(elapsed.Seconds()*rate) + 1; ok > most {
		t.Errorf("the flood got %d answers 200 in %v, want at most %d", ok, elapsed.Round(time.Millisecond), most)
	}
	t.Logf("in %v: flooded group %v, the other group %v", elapsed.Round(time.Millisecond), flood, created)
}

func sum(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
