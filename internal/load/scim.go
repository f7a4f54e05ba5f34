package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-sso/gatehouse/internal/acklog"
)

// IdPs whose SCIM dialects the workloads speak.
const (
	Entra = "entra"
	Okta  = "okta"
)

// Okta app kinds: an OIN-template app deactivates with PATCH, an App
// Integration Wizard (AIW) app sends every change as a PUT.
const (
	OktaOIN = "oin"
	OktaAIW = "aiw"
)

// Attributes of a user's acklog state besides "exists".
const (
	attrActive      = "active"
	attrDisplayName = "displayName"
	attrTitle       = "title"
	attrGiven       = "name.givenName"
	attrFamily      = "name.familyName"
)

// User is one user of a run's population. Workers take users one at a
// time, so that no two touch the same user at once (acklog's rule).
type User struct {
	Index      int
	UserName   string
	ExternalID string
	ID         string       // the SCIM id, once known
	State      acklog.State // the last state the server acknowledged; nil: unknown
	// Unsure is set when a write to the user got no answer: the run does
	// not know its state any more and leaves the user alone.
	Unsure bool
}

// Population is the users of a run: the same prefix names the same users,
// so a later run can act on users an earlier one created.
type Population struct {
	Prefix string
	Users  []*User
}

// NewPopulation returns n users named after prefix.
func NewPopulation(prefix string, n int) *Population {
	p := &Population{Prefix: prefix, Users: make([]*User, n)}
	for i := range p.Users {
		p.Users[i] = &User{Index: i,
			UserName:   fmt.Sprintf("%s-user%07d@load.example", prefix, i),
			ExternalID: fmt.Sprintf("%s-ext%07d", prefix, i)}
	}
	return p
}

// Active returns the users known to be active, and those whose state
// this run does not know (see Runner.Learn).
func (p *Population) Active() []*User {
	var out []*User
	for _, u := range p.Users {
		if !u.Unsure && (u.State == nil || u.State["exists"] == "true" && u.State[attrActive] == "true") {
			out = append(out, u)
		}
	}
	return out
}

// Runner runs workloads against one target and population.
type Runner struct {
	Target      *Target
	Pop         *Population
	IdP         string // Entra or Okta
	OktaApp     string // OktaOIN or OktaAIW
	Concurrency int
	// AckLog, when set, gets a record before and after every write.
	AckLog   *acklog.Writer
	Progress Progress

	stamp atomic.Int64
}

// each runs op for users on Concurrency workers, each user on one worker,
// and returns the summary. op returns skip=true when it did nothing.
func (r *Runner) each(ctx context.Context, name string, users []*User, op func(ctx context.Context, rec *recorder, u *User) (skip bool, err error)) *Summary {
	rec := newRecorder(name, r.IdP, len(users))
	stop := r.Progress.watch(rec)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(r.Concurrency, 1) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(users) {
					return
				}
				u := users[i]
				if u.Unsure {
					rec.skip()
					continue
				}
				t0 := time.Now()
				skip, err := op(ctx, rec, u)
				switch {
				case err != nil:
					rec.fail(fmt.Errorf("%s: %w", u.ExternalID, err))
				case skip:
					rec.skip()
				default:
					rec.ok(time.Since(t0))
				}
			}
		})
	}
	wg.Wait()
	stop()
	return rec.summary()
}

// scimUser is what the workloads read of a SCIM user.
type scimUser struct {
	ID          string `json:"id"`
	ExternalID  string `json:"externalId"`
	UserName    string `json:"userName"`
	Active      *bool  `json:"active"`
	DisplayName string `json:"displayName"`
	Title       string `json:"title"`
	Name        struct {
		GivenName  string `json:"givenName"`
		FamilyName string `json:"familyName"`
	} `json:"name"`
}

// state is the acklog state of a user the server returned.
func (s *scimUser) state() acklog.State {
	return acklog.State{"exists": "true", attrActive: strconv.FormatBool(s.Active == nil || *s.Active),
		attrDisplayName: s.DisplayName, attrTitle: s.Title, attrGiven: s.Name.GivenName, attrFamily: s.Name.FamilyName}
}

type listResponse struct {
	TotalResults int               `json:"totalResults"`
	ItemsPerPage int               `json:"itemsPerPage"`
	Resources    []json.RawMessage `json:"Resources"`
}

// find runs GET /Users?filter=attr eq "value" in the IdP's shape and
// returns the first user found, or nil.
func (r *Runner) find(ctx context.Context, rec *recorder, attr, value string) (*scimUser, error) {
	path := "/Users?" + url.Values{"filter": {fmt.Sprintf("%s eq %q", attr, value)}}.Encode()
	if r.IdP == Okta {
		// Okta encodes the space as %20 and pages even a lookup.
		path = "/Users?filter=" + strings.ReplaceAll(url.QueryEscape(fmt.Sprintf("%s eq %q", attr, value)), "+", "%20") + "&startIndex=1&count=100"
	}
	return lookup(ctx, r.Target, rec, path)
}

func lookup(ctx context.Context, t *Target, rec *recorder, path string) (*scimUser, error) {
	rp, err := t.call(ctx, rec, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	if err := expect("GET", path, rp, http.StatusOK); err != nil {
		return nil, err
	}
	var lr listResponse
	if err := json.Unmarshal(rp.body, &lr); err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if len(lr.Resources) == 0 {
		return nil, nil
	}
	var u scimUser
	if err := json.Unmarshal(lr.Resources[0], &u); err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return &u, nil
}

// write sends one write for u and keeps the acklog: sent before, ack on a
// 2xx, fail on a 4xx; a 5xx or no answer leaves the outcome unknown and the
// user Unsure. want is the state the write leaves, on success u.State.
func (r *Runner) write(ctx context.Context, rec *recorder, u *User, op, method, path string, body any, want acklog.State, ok ...int) (reply, error) {
	if err := r.log(acklog.Record{Kind: acklog.Sent, Op: op, Key: u.ExternalID, ID: u.ID, State: want}); err != nil {
		return reply{}, err
	}
	rp, err := r.Target.call(ctx, rec, method, path, body)
	if err == nil {
		err = expect(method, path, rp, ok...)
	}
	switch {
	case err == nil:
		if op == "create" {
			var su scimUser
			if json.Unmarshal(rp.body, &su) == nil {
				u.ID = su.ID
			}
		}
		u.State = want
		if err := r.log(acklog.Record{Kind: acklog.Ack, Op: op, Key: u.ExternalID, ID: u.ID, Status: rp.status, State: want}); err != nil {
			return rp, err
		}
		if u.ID == "" {
			u.Unsure = true // acknowledged, but later waves cannot address it
			return rp, fmt.Errorf("%s %s answered %d without a user id", method, path, rp.status)
		}
		return rp, nil
	case rp.status >= 400 && rp.status < 500:
		return rp, errors.Join(err, r.log(acklog.Record{Kind: acklog.Fail, Op: op, Key: u.ExternalID, ID: u.ID, Status: rp.status, State: want}))
	default:
		u.Unsure = true
		return rp, err
	}
}

func (r *Runner) log(rec acklog.Record) error {
	if r.AckLog == nil {
		return nil
	}
	return r.AckLog.Append(rec)
}

// local is the part of a userName before the @.
func local(userName string) string { return strings.SplitN(userName, "@", 2)[0] }

// created is the state a create leaves.
func (r *Runner) created(u *User) acklog.State {
	l := local(u.UserName)
	if r.IdP == Okta {
		return acklog.State{"exists": "true", attrActive: "true", attrDisplayName: l + " Load", attrTitle: "", attrGiven: l, attrFamily: "Load"}
	}
	return acklog.State{"exists": "true", attrActive: "true", attrDisplayName: l, attrTitle: "", attrGiven: l, attrFamily: "Load"}
}

// createBody is the IdP's POST /Users body.
func (r *Runner) createBody(u *User) map[string]any {
	l := local(u.UserName)
	if r.IdP == Okta {
		return map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName":    u.UserName,
			"name":        map[string]any{"givenName": l, "familyName": "Load"},
			"emails":      []map[string]any{{"primary": true, "value": u.UserName, "type": "work"}},
			"displayName": l + " Load",
			"locale":      "en-US",
			"externalId":  u.ExternalID,
			"groups":      []any{},
			"password":    "load-" + strconv.Itoa(u.Index),
			"active":      true,
		}
	}
	return map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
		"externalId":  u.ExternalID,
		"userName":    u.UserName,
		"active":      true,
		"displayName": l,
		"emails":      []map[string]any{{"primary": true, "type": "work", "value": u.UserName}},
		"meta":        map[string]any{"resourceType": "User"},
		"name":        map[string]any{"formatted": l + " Load", "familyName": "Load", "givenName": l},
		"roles":       []any{},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"department": "Load testing"},
	}
}

// Sync provisions the users the way the IdP's initial cycle does: for each,
// a filter GET on userName, then a POST when the list is empty. A user
// found is remembered (its id and state) and counted as skipped.
func (r *Runner) Sync(ctx context.Context) *Summary {
	return r.each(ctx, "sync", r.Pop.Users, func(ctx context.Context, rec *recorder, u *User) (bool, error) {
		found, err := r.find(ctx, rec, "userName", u.UserName)
		if err != nil {
			return false, err
		}
		if found != nil {
			u.ID, u.State = found.ID, found.state()
			return true, nil
		}
		_, err = r.write(ctx, rec, u, "create", http.MethodPost, "/Users", r.createBody(u), r.created(u), http.StatusCreated)
		return false, err
	})
}

// resolve makes sure the run knows u's id and state, looking it up by
// externalId when it does not (users an earlier run created).
func (r *Runner) resolve(ctx context.Context, rec *recorder, u *User) error {
	if u.ID != "" && u.State != nil {
		return nil
	}
	found, err := r.find(ctx, rec, "externalId", u.ExternalID)
	if err != nil {
		return err
	}
	if found == nil {
		return fmt.Errorf("externalId eq %q found nothing: run a sync with this --prefix first", u.ExternalID)
	}
	u.ID, u.State = found.ID, found.state()
	return nil
}

// Learn looks up, by externalId, the users whose state the run does not
// know yet (users an earlier run created), so that Active is true. A user
// not found is remembered as gone. Its requests are not part of any
// workload's summary.
func (r *Runner) Learn(ctx context.Context) error {
	var unknown []*User
	for _, u := range r.Pop.Users {
		if u.State == nil && !u.Unsure {
			unknown = append(unknown, u)
		}
	}
	s := r.quiet().each(ctx, "learn", unknown, func(ctx context.Context, rec *recorder, u *User) (bool, error) {
		found, err := r.find(ctx, rec, "externalId", u.ExternalID)
		switch {
		case err != nil:
			return false, err
		case found == nil:
			u.State = acklog.Gone()
		default:
			u.ID, u.State = found.ID, found.state()
		}
		return false, nil
	})
	if s.Errors > 0 {
		return fmt.Errorf("look the users up: %s", s.FirstError)
	}
	return nil
}

// quiet returns a copy of r that shows no progress.
func (r *Runner) quiet() *Runner {
	return &Runner{Target: r.Target, Pop: r.Pop, IdP: r.IdP, OktaApp: r.OktaApp, Concurrency: r.Concurrency}
}

// with returns a copy of s with the attributes kv (name, value, …) set.
func with(s acklog.State, kv ...string) acklog.State {
	out := acklog.State{}
	for k, v := range s {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func patchOp(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
}

// Update changes the first n users' profile (all when n ≤ 0 or larger than
// the population). Entra PATCHes: users of even index get the default
// dialect (op "Replace" with a path per attribute), users of odd index the
// aadOptscim062020 one (a path-less "replace" whose value map has dotted
// keys). Okta GETs the user and PUTs it back changed.
func (r *Runner) Update(ctx context.Context, n int) *Summary {
	stamp := r.newStamp()
	return r.each(ctx, "update", r.first(n), func(ctx context.Context, rec *recorder, u *User) (bool, error) {
		if err := r.resolve(ctx, rec, u); err != nil {
			return false, err
		}
		l := local(u.UserName)
		title := "Load title " + stamp
		if r.IdP == Okta {
			given := l + " " + stamp
			display := given + " Load"
			want := with(u.State, attrGiven, given, attrDisplayName, display, attrTitle, title)
			return false, r.oktaPut(ctx, rec, u, "update", want, func(m map[string]any) {
				name, _ := m["name"].(map[string]any)
				if name == nil {
					name = map[string]any{}
				}
				name["givenName"] = given
				m["name"], m["displayName"], m["title"] = name, display, title
			})
		}
		display, family := l+" "+stamp, "Load "+stamp
		want := with(u.State, attrDisplayName, display, attrTitle, title, attrFamily, family)
		body := patchOp(
			map[string]any{"op": "Replace", "path": "displayName", "value": display},
			map[string]any{"op": "Replace", "path": "title", "value": title},
			map[string]any{"op": "Replace", "path": "name.familyName", "value": family})
		if u.Index%2 == 1 {
			body = patchOp(map[string]any{"op": "replace", "value": map[string]any{
				"displayName": display, "title": title, "name.familyName": family}})
		}
		_, err := r.write(ctx, rec, u, "update", http.MethodPatch, "/Users/"+u.ID, body, want, http.StatusOK, http.StatusNoContent)
		return false, err
	})
}

// newStamp returns a value unique to this wave of this run, so that each
// update changes something.
func (r *Runner) newStamp() string {
	return fmt.Sprintf("%s-%d-%d", time.Now().UTC().Format("150405"), r.stamp.Add(1), rand.IntN(1000))
}

// oktaPut GETs u and PUTs it back after edit, as Okta does.
func (r *Runner) oktaPut(ctx context.Context, rec *recorder, u *User, op string, want acklog.State, edit func(map[string]any)) error {
	path := "/Users/" + u.ID
	rp, err := r.Target.call(ctx, rec, http.MethodGet, path, nil)
	if err == nil {
		err = expect("GET", path, rp, http.StatusOK)
	}
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(rp.body, &m); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	m["groups"] = []any{}
	edit(m)
	_, err = r.write(ctx, rec, u, op, http.MethodPut, path, m, want, http.StatusOK)
	return err
}

// first returns the first n users, all when n ≤ 0.
func (r *Runner) first(n int) []*User {
	if n <= 0 || n > len(r.Pop.Users) {
		return r.Pop.Users
	}
	return r.Pop.Users[:n]
}

// Deprovision deactivates the first n users (all when n ≤ 0). Entra sends
// PATCH replace active: "False" as a string with op "Replace" to users of
// even index (its default), a boolean with op "replace" to those of odd
// index (the aadOptscim062020 flag). Okta's OIN apps PATCH a path-less
// replace {"active": false}; AIW apps GET and PUT the user.
func (r *Runner) Deprovision(ctx context.Context, n int) *Summary {
	return r.setActive(ctx, "deprovision", n, false)
}

// Reactivate is Deprovision's opposite: active true, in the same shapes.
func (r *Runner) Reactivate(ctx context.Context, n int) *Summary {
	return r.setActive(ctx, "reactivate", n, true)
}

func (r *Runner) setActive(ctx context.Context, name string, n int, active bool) *Summary {
	return r.each(ctx, name, r.first(n), func(ctx context.Context, rec *recorder, u *User) (bool, error) {
		if err := r.resolve(ctx, rec, u); err != nil {
			return false, err
		}
		want := with(u.State, attrActive, strconv.FormatBool(active))
		var body map[string]any
		switch {
		case r.IdP == Okta && r.OktaApp == OktaAIW:
			return false, r.oktaPut(ctx, rec, u, name, want, func(m map[string]any) { m["active"] = active })
		case r.IdP == Okta:
			body = patchOp(map[string]any{"op": "replace", "value": map[string]any{"active": active}})
		case u.Index%2 == 0:
			s := "False"
			if active {
				s = "True"
			}
			body = patchOp(map[string]any{"op": "Replace", "path": "active", "value": s})
		default:
			body = patchOp(map[string]any{"op": "replace", "path": "active", "value": active})
		}
		_, err := r.write(ctx, rec, u, name, http.MethodPatch, "/Users/"+u.ID, body, want, http.StatusOK, http.StatusNoContent)
		return false, err
	})
}

// Filter times requests filter GETs for random users of the population,
// alternately by userName and by externalId, each expected to find its
// user (deactivated users included). It returns one summary per attribute.
func (r *Runner) Filter(ctx context.Context, requests int) []*Summary {
	recs := map[string]*recorder{
		"userName":   newRecorder("filter userName eq", r.IdP, (requests+1)/2),
		"externalId": newRecorder("filter externalId eq", r.IdP, requests/2),
	}
	stop := r.Progress.watch(recs["userName"])
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(r.Concurrency, 1) {
		wg.Go(func() {
			for ctx.Err() == nil {
				n := int(next.Add(1)) - 1
				if n >= requests || len(r.Pop.Users) == 0 {
					return
				}
				u := r.Pop.Users[rand.IntN(len(r.Pop.Users))]
				attr, value := "userName", u.UserName
				if n%2 == 1 {
					attr, value = "externalId", u.ExternalID
				}
				rec := recs[attr]
				t0 := time.Now()
				found, err := r.find(ctx, rec, attr, value)
				d := time.Since(t0)
				switch {
				case err != nil:
					rec.fail(err)
				case found == nil:
					rec.fail(fmt.Errorf("%s eq %q found nothing", attr, value))
				default:
					rec.ok(d)
				}
			}
		})
	}
	wg.Wait()
	stop()
	return []*Summary{recs["userName"].summary(), recs["externalId"].summary()}
}

// Read reads every user of the group page by page (startIndex, count), as
// Okta's import does, and fails when it sees fewer than want users. Its
// operations are pages.
func (r *Runner) Read(ctx context.Context, count, want int) *Summary {
	rec := newRecorder("read", r.IdP, 0)
	stop := r.Progress.watch(rec)
	for index := 1; ctx.Err() == nil; {
		path := fmt.Sprintf("/Users?startIndex=%d&count=%d", index, count)
		t0 := time.Now()
		rp, err := r.Target.call(ctx, rec, http.MethodGet, path, nil)
		if err == nil {
			err = expect("GET", path, rp, http.StatusOK)
		}
		var lr listResponse
		if err == nil {
			err = json.Unmarshal(rp.body, &lr)
		}
		if err != nil {
			rec.fail(err)
			break
		}
		rec.ok(time.Since(t0))
		rec.mu.Lock()
		rec.users += len(lr.Resources)
		rec.mu.Unlock()
		rec.total.Store(int64((lr.TotalResults + count - 1) / max(count, 1)))
		index += len(lr.Resources)
		if len(lr.Resources) == 0 || index > lr.TotalResults {
			break
		}
	}
	stop()
	s := rec.summary()
	if s.Users < want && s.Errors == 0 {
		s.Errors++
		s.FirstError = fmt.Sprintf("the read saw %d users, the group has at least %d", s.Users, want)
	}
	return s
}
