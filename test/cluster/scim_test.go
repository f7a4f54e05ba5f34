package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"text/template"
)

// entraCreate is the POST /Users body Microsoft Entra ID sends.
var entraCreate = template.Must(template.ParseFiles(filepath.Join("testdata", "entra-create.json")))

// person is someone the IdP provisions.
type person struct {
	ExternalID, UserName, Name, Given string
}

// newPerson is the nth person of a series: a GUID externalId, as Entra
// sends, and an email userName.
func newPerson(series string, n int) person {
	given := fmt.Sprintf("%s%03d", series, n)
	return person{
		ExternalID: fmt.Sprintf("%08x-0000-4000-8000-%012d", crc32.ChecksumIEEE([]byte(series)), n),
		UserName:   given + "@cluster.example",
		Name:       given + " Tester",
		Given:      given,
	}
}

func (p person) body(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	if err := entraCreate.Execute(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// scimError is the RFC 7644 error body.
type scimError struct {
	Schemas  []string
	Status   string
	ScimType string
	Detail   string
}

const errorSchema = "urn:ietf:params:scim:api:messages:2.0:Error"

// isSCIMError reports whether r carries the RFC 7644 error body of its
// status.
func isSCIMError(r reply) bool {
	var e scimError
	return json.Unmarshal(r.body, &e) == nil && slices.Contains(e.Schemas, errorSchema) && e.Status == fmt.Sprint(r.status)
}

// identicalPOSTs is how many users testIdenticalPOSTs provisions.
const identicalPOSTs = 50

// testIdenticalPOSTs fires, for each of 50 people, the same Entra POST
// /Users at the three nodes at once: exactly one 201 each, the others 409
// with a SCIM error body, never a 500; in the end the group has 50 users,
// one per externalId and userName, in SCIM, in the admin API and among the
// members.
func testIdenticalPOSTs(t *testing.T, c *cluster) {
	g := c.newGroup(t, "scim.race")
	// Warm every node's token cache so that the POSTs start together.
	for i := range nodes {
		if r := c.scim(t, i, g, g.token, http.MethodGet, "/Users?count=1", ""); r.status != http.StatusOK {
			t.Fatalf("GET /Users on node %d = %s", i, r)
		}
	}
	counts := map[int]int{}
	var mu sync.Mutex
	for n := range identicalPOSTs {
		p := newPerson("race", n)
		body := p.body(t)
		replies := make([]reply, nodes)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range nodes {
			wg.Go(func() {
				<-start
				replies[i] = c.scim(t, i, g, g.token, http.MethodPost, "/Users", body)
			})
		}
		close(start)
		wg.Wait()
		created := 0
		for i, r := range replies {
			mu.Lock()
			counts[r.status]++
			mu.Unlock()
			switch {
			case r.status == http.StatusCreated:
				created++
			case r.status == http.StatusConflict:
				var e scimError
				if !isSCIMError(r) || json.Unmarshal(r.body, &e) != nil || e.ScimType != "uniqueness" {
					t.Errorf("%s: node %d answered 409 without a SCIM uniqueness error: %s", p.UserName, i, r)
				}
			default:
				t.Errorf("%s: node %d answered %s, want 201 or 409", p.UserName, i, r)
			}
		}
		if created != 1 {
			t.Errorf("%s: %d of the %d identical POSTs created the user, want exactly 1", p.UserName, created, nodes)
		}
	}
	t.Logf("%d people × %d nodes: %v", identicalPOSTs, nodes, counts)

	// SCIM, on every node: 50 users, one per externalId and userName.
	for i := range nodes {
		var list struct {
			TotalResults int
			Resources    []struct {
				ID, ExternalID, UserName string
			}
		}
		r := c.scim(t, i, g, g.token, http.MethodGet, "/Users?count=200", "")
		if r.status != http.StatusOK || json.Unmarshal(r.body, &list) != nil {
			t.Fatalf("GET /Users on node %d = %s", i, r)
		}
		if list.TotalResults != identicalPOSTs || len(list.Resources) != identicalPOSTs {
			t.Errorf("node %d lists %d users (totalResults %d), want %d", i, len(list.Resources), list.TotalResults, identicalPOSTs)
		}
		byUID, byName := map[string]int{}, map[string]int{}
		for _, u := range list.Resources {
			byUID[u.ExternalID]++
			byName[u.UserName]++
		}
		for n := range identicalPOSTs {
			p := newPerson("race", n)
			if byUID[p.ExternalID] != 1 || byName[p.UserName] != 1 {
				t.Errorf("node %d lists externalId %s %d times and userName %s %d times, want once each",
					i, p.ExternalID, byUID[p.ExternalID], p.UserName, byName[p.UserName])
			}
		}
		// And a filter finds each one once.
		p := newPerson("race", identicalPOSTs-1)
		r = c.scim(t, i, g, g.token, http.MethodGet, "/Users?filter="+url.QueryEscape(`userName eq "`+p.UserName+`"`), "")
		if r.status != http.StatusOK || json.Unmarshal(r.body, &list) != nil || list.TotalResults != 1 {
			t.Errorf("filter userName on node %d = %s, want 1 result", i, r)
		}
	}

	// The admin API: 50 SCIM identities and 51 members (with the owner).
	var identities []struct {
		ExternUID string `json:"extern_uid"`
	}
	if r := c.api(t, 0, "groups/"+g.id+"/scim/identities?per_page=100", &identities); r.status != http.StatusOK {
		t.Fatalf("scim/identities = %s", r)
	}
	uids := map[string]bool{}
	for _, id := range identities {
		uids[id.ExternUID] = true
	}
	if len(identities) != identicalPOSTs || len(uids) != identicalPOSTs {
		t.Errorf("the admin API lists %d SCIM identities (%d distinct), want %d", len(identities), len(uids), identicalPOSTs)
	}
	var members []struct{ Username string }
	if r := c.api(t, 1, "groups/"+g.id+"/members?per_page=100", &members); r.status != http.StatusOK {
		t.Fatalf("members = %s", r)
	}
	names := usernames(members)
	distinct := len(slices.Compact(slices.Clone(names)))
	if len(names) != identicalPOSTs+1 || distinct != identicalPOSTs+1 {
		t.Errorf("the group has %d members (%d distinct), want %d", len(names), distinct, identicalPOSTs+1)
	}
}
