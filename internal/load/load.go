// Package load drives a Gatehouse SCIM endpoint the way identity providers do
// at scale, over real HTTP, and measures it: an Entra-style initial sync (a
// filter GET for each user, then a POST when it is missing), filter GET
// latency against a populated group, and a full paged read.
//
// Every run is bounded in requests and time, and stops by itself; it only
// ever talks to the URL it is given.
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Target is the SCIM endpoint under load.
type Target struct {
	// Base is the group's SCIM base URL, e.g.
	// http://127.0.0.1:8080/api/scim/v2/groups/3.
	Base   string
	Token  string
	Client *http.Client // nil: a client with keep-alive sized for Concurrency
}

// Latencies summarises the durations of one kind of request.
type Latencies struct {
	Count         int
	P50, P99, Max time.Duration
}

func summarise(d []time.Duration) Latencies {
	if len(d) == 0 {
		return Latencies{}
	}
	slices.Sort(d)
	at := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return Latencies{Count: len(d), P50: at(0.50), P99: at(0.99), Max: d[len(d)-1]}
}

func (l Latencies) String() string {
	return fmt.Sprintf("n=%d p50=%s p99=%s max=%s", l.Count, round(l.P50), round(l.P99), round(l.Max))
}

func round(d time.Duration) time.Duration {
	if d > 10*time.Millisecond {
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// SyncReport is the outcome of Sync.
type SyncReport struct {
	Users       int
	Elapsed     time.Duration
	UsersPerSec float64
	Lookup      Latencies // the filter GET before each user
	Create      Latencies // the POST
	PerUser     Latencies // both together
	Errors      int
	FirstError  string
}

func (r SyncReport) String() string {
	s := fmt.Sprintf("sync: %d users in %s = %.0f users/s\n  lookup (GET filter) %s\n  create (POST)       %s\n  per user            %s",
		r.Users, r.Elapsed.Round(time.Millisecond), r.UsersPerSec, r.Lookup, r.Create, r.PerUser)
	if r.Errors > 0 {
		s += fmt.Sprintf("\n  errors: %d (first: %s)", r.Errors, r.FirstError)
	}
	return s
}

// SyncOptions shape an initial sync.
type SyncOptions struct {
	Users       int
	Concurrency int
	// Prefix makes the run's userNames unique, so runs can repeat against
	// one database.
	Prefix string
}

// Sync provisions opts.Users users the way Entra's initial cycle does: for
// each, GET /Users?filter=userName eq "…" and, when the list is empty, POST
// the user. Workers run concurrently; the report has users per second and
// latency percentiles.
func Sync(ctx context.Context, t Target, opts SyncOptions) (SyncReport, error) {
	c := t.client(opts.Concurrency)
	var (
		next     atomic.Int64
		mu       sync.Mutex
		lookups  = make([]time.Duration, 0, opts.Users)
		creates  = make([]time.Duration, 0, opts.Users)
		perUser  = make([]time.Duration, 0, opts.Users)
		errCount int
		firstErr string
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errCount++
		if firstErr == "" {
			firstErr = err.Error()
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range max(opts.Concurrency, 1) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= opts.Users {
					return
				}
				name := fmt.Sprintf("%s-user%07d@load.example", opts.Prefix, i)
				t0 := time.Now()
				found, err := t.lookup(ctx, c, "userName", name)
				t1 := time.Now()
				if err != nil {
					fail(err)
					continue
				}
				var t2 time.Time
				if !found {
					err = t.create(ctx, c, name, fmt.Sprintf("%s-ext%07d", opts.Prefix, i))
					t2 = time.Now()
					if err != nil {
						fail(err)
						continue
					}
				}
				mu.Lock()
				lookups = append(lookups, t1.Sub(t0))
				if !found {
					creates = append(creates, t2.Sub(t1))
					perUser = append(perUser, t2.Sub(t0))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := SyncReport{
		Users: len(creates), Elapsed: elapsed,
		Lookup: summarise(lookups), Create: summarise(creates), PerUser: summarise(perUser),
		Errors: errCount, FirstError: firstErr,
	}
	if elapsed > 0 {
		r.UsersPerSec = float64(len(creates)) / elapsed.Seconds()
	}
	return r, ctx.Err()
}

// FilterReport is the outcome of Filter.
type FilterReport struct {
	ByUserName, ByExternalID Latencies
	Errors                   int
	FirstError               string
}

func (r FilterReport) String() string {
	s := fmt.Sprintf("filter GET: userName eq   %s\n            externalId eq %s", r.ByUserName, r.ByExternalID)
	if r.Errors > 0 {
		s += fmt.Sprintf("\n  errors: %d (first: %s)", r.Errors, r.FirstError)
	}
	return s
}

// Filter measures filter GETs for users a Sync with the same prefix created:
// requests lookups of random existing users by userName and by externalId.
func Filter(ctx context.Context, t Target, prefix string, users, requests, concurrency int) (FilterReport, error) {
	c := t.client(concurrency)
	var (
		next       atomic.Int64
		mu         sync.Mutex
		byName     []time.Duration
		byExternal []time.Duration
		rep        FilterReport
	)
	var wg sync.WaitGroup
	for range max(concurrency, 1) {
		wg.Go(func() {
			for ctx.Err() == nil {
				n := int(next.Add(1)) - 1
				if n >= requests {
					return
				}
				i := rand.IntN(max(users, 1))
				attr, value := "userName", fmt.Sprintf("%s-user%07d@load.example", prefix, i)
				if n%2 == 1 {
					attr, value = "externalId", fmt.Sprintf("%s-ext%07d", prefix, i)
				}
				t0 := time.Now()
				found, err := t.lookup(ctx, c, attr, value)
				d := time.Since(t0)
				mu.Lock()
				switch {
				case err == nil && !found:
					err = fmt.Errorf("%s eq %q found nothing", attr, value)
					fallthrough
				case err != nil:
					rep.Errors++
					if rep.FirstError == "" {
						rep.FirstError = err.Error()
					}
				case attr == "userName":
					byName = append(byName, d)
				default:
					byExternal = append(byExternal, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	rep.ByUserName, rep.ByExternalID = summarise(byName), summarise(byExternal)
	return rep, ctx.Err()
}

// ReadReport is the outcome of ReadAll.
type ReadReport struct {
	Users   int
	Pages   int
	Elapsed time.Duration
	Page    Latencies
}

func (r ReadReport) String() string {
	return fmt.Sprintf("paged read: %d users in %d pages in %s\n  page %s", r.Users, r.Pages, r.Elapsed.Round(time.Millisecond), r.Page)
}

// ReadAll reads every user of the group page by page (startIndex, count), as
// Okta's import does.
func ReadAll(ctx context.Context, t Target, count int) (ReadReport, error) {
	c := t.client(1)
	var rep ReadReport
	var pages []time.Duration
	start := time.Now()
	for index := 1; ctx.Err() == nil; {
		t0 := time.Now()
		var lr struct {
			TotalResults int `json:"totalResults"`
			ItemsPerPage int `json:"itemsPerPage"`
		}
		if err := t.get(ctx, c, fmt.Sprintf("/Users?startIndex=%d&count=%d", index, count), &lr); err != nil {
			return rep, err
		}
		pages = append(pages, time.Since(t0))
		rep.Users += lr.ItemsPerPage
		rep.Pages++
		index += lr.ItemsPerPage
		if lr.ItemsPerPage == 0 || index > lr.TotalResults {
			break
		}
	}
	rep.Elapsed, rep.Page = time.Since(start), summarise(pages)
	return rep, ctx.Err()
}

func (t Target) client(concurrency int) *http.Client {
	if t.Client != nil {
		return t.Client
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = max(concurrency, 2)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// lookup runs GET /Users?filter=attr eq "value" and reports whether it found
// a user.
func (t Target) lookup(ctx context.Context, c *http.Client, attr, value string) (bool, error) {
	var lr struct {
		TotalResults int `json:"totalResults"`
	}
	q := url.Values{"filter": {fmt.Sprintf("%s eq %q", attr, value)}}
	if err := t.get(ctx, c, "/Users?"+q.Encode(), &lr); err != nil {
		return false, err
	}
	return lr.TotalResults > 0, nil
}

func (t Target) get(ctx context.Context, c *http.Client, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.Base+path, nil)
	if err != nil {
		return err
	}
	return t.do(c, req, http.StatusOK, out)
}

// create POSTs a user shaped like Entra's create request.
func (t Target) create(ctx context.Context, c *http.Client, userName, externalID string) error {
	local := strings.SplitN(userName, "@", 2)[0]
	body, _ := json.Marshal(map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
		"externalId":  externalID,
		"userName":    userName,
		"active":      true,
		"displayName": local,
		"emails":      []map[string]any{{"primary": true, "type": "work", "value": userName}},
		"meta":        map[string]any{"resourceType": "User"},
		"name":        map[string]any{"formatted": local, "familyName": "Load", "givenName": local},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"department": "Load testing"},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.Base+"/Users", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/scim+json")
	return t.do(c, req, http.StatusCreated, nil)
}

func (t Target) do(c *http.Client, req *http.Request, want int, out any) error {
	req.Header.Set("Authorization", "Bearer "+t.Token)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s = %d, want %d: %.200s", req.Method, req.URL.Path, resp.StatusCode, want, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
