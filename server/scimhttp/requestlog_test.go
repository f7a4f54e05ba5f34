package scimhttp_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/scimlog"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/server/scimhttp"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// logEnv is an env whose handler keeps the SCIM request log, each group's
// trimmed to its newest keep entries.
type logEnv struct {
	*env
	log *scimlog.Writer
}

// logBackends runs fn against a fresh server with a request log on each
// backend.
func logBackends(t *testing.T, keep int, fn func(t *testing.T, e *logEnv)) {
	t.Helper()
	for _, b := range []struct {
		name string
		open func(testing.TB) store.Store
	}{{"sqlite", sqlitestoretest.Open}, {"postgres", pgstoretest.Open}} {
		t.Run(b.name, func(t *testing.T) { fn(t, newLogEnv(t, b.open(t), keep)) })
	}
}

func newLogEnv(t *testing.T, s store.Store, keep int) *logEnv {
	t.Helper()
	e := &logEnv{}
	e.env = newEnv(t, s, func(h *scimhttp.Handler, srv *server.Server) {
		// A flush interval longer than any test: entries land when the test
		// closes the writer, which is when it reads them.
		var err error
		e.log, err = scimlog.New(scimlog.Config{Store: s, Keep: keep, FlushInterval: time.Hour,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registerer: srv.Registry()})
		if err != nil {
			t.Fatal(err)
		}
		h.RequestLog = e.log
		// Registered before the server's own cleanup, so it runs after the
		// server has stopped.
		t.Cleanup(func() { e.log.Close(context.Background()) })
	})
	return e
}

// entries writes what the log holds and returns the group's entries, newest
// first. The writer is closed afterwards: read once, after every request.
func (e *logEnv) entries(groupID int64) []*gatehouse.SCIMRequestLog {
	e.t.Helper()
	if err := e.log.Close(e.t.Context()); err != nil {
		e.t.Fatalf("closing the request log: %v", err)
	}
	list, total, err := e.s.ListSCIMRequestLogs(e.t.Context(), groupID, store.Page{Limit: 1000})
	if err != nil || total != len(list) {
		e.t.Fatalf("ListSCIMRequestLogs(%d) = %d entries of %d, %v", groupID, len(list), total, err)
	}
	return list
}

// text is every text field of an entry, for checks that a value appears
// nowhere.
func text(l *gatehouse.SCIMRequestLog) string {
	return strings.Join([]string{l.RequestID, l.Method, l.Path, l.Operation, l.RequestBody, l.ResponseBody, l.Note, l.ClientIP, l.UserAgent}, "\n")
}

func TestRequestLogRedacts(t *testing.T) {
	const secret = "Hunter2-very-secret"
	logBackends(t, 100, func(t *testing.T, e *logEnv) {
		post := e.do("POST", e.byPath()+"/Users", e.token, "application/scim+json",
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@acme.example","password":"`+secret+`",
			"adreses":[{"street":"1 Main St"}],"emails":[{"primary":true,"value":"ann@acme.example"}]}`)
		if post.status != http.StatusCreated {
			t.Fatalf("POST = %d %s, want 201", post.status, post.body)
		}
		var created struct{ ID string }
		json.Unmarshal([]byte(post.body), &created)
		user := e.byPath() + "/Users/" + created.ID
		patches := []string{
			// Entra ID
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"password","value":"` + secret + `"}]}`,
			// Okta, without a path
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"password":"` + secret + `","displayName":"Ann"}}]}`,
		}
		for _, body := range patches {
			// Gatehouse may refuse password changes; either way nothing
			// of the body's secret may reach the log.
			e.do("PATCH", user, e.token, "application/scim+json", body)
		}
		e.do("GET", e.byPath()+"/Users?filter=userName%20eq%20%22ann%40acme.example%22&access_token="+secret, e.token, "", "")
		bad := e.do("POST", e.byPath()+"/Users", e.token, "application/scim+json", `{"userName":"x","password":"`+secret+`"`)
		if bad.status != http.StatusBadRequest {
			t.Fatalf("POST of cut JSON = %d, want 400", bad.status)
		}

		got := e.entries(e.group.ID)
		ops := make([]string, len(got))
		for i, l := range got {
			ops[i] = l.Method + " " + l.Operation
			if s := text(l); strings.Contains(s, secret) || strings.Contains(s, e.token) {
				t.Errorf("entry %d (%s) holds the secret or the token:\n%s", i, ops[i], s)
			}
		}
		if want := []string{"POST create_user", "GET list_users", "PATCH patch_user", "PATCH patch_user", "POST create_user"}; !slices.Equal(ops, want) {
			t.Fatalf("logged %v, want %v (newest first)", ops, want)
		}
		bad0, list, okta, entra, create := got[0], got[1], got[2], got[3], got[4]

		if create.Status != http.StatusCreated || create.Path != "/api/scim/v2/groups/acme.corp/Users" ||
			!strings.Contains(create.RequestBody, `"password":"[FILTERED]"`) || !strings.Contains(create.ResponseBody, created.ID) ||
			create.Note != "ignored unknown attributes: adreses" || create.ClientIP != "127.0.0.1" ||
			create.UserAgent == "" || create.RequestID == "" || create.Duration < 0 || create.GroupID != e.group.ID {
			t.Errorf("POST entry = %+v, want 201 with the redacted body, the response, the ignored attribute and the client", create)
		}
		if !strings.Contains(entra.RequestBody, `"path":"password","value":"[FILTERED]"`) {
			t.Errorf("Entra PATCH entry body = %s, want the value filtered", entra.RequestBody)
		}
		if !strings.Contains(okta.RequestBody, `{"password":"[FILTERED]","displayName":"Ann"}`) {
			t.Errorf("Okta PATCH entry body = %s, want the password filtered", okta.RequestBody)
		}
		if want := "access_token=[FILTERED]"; !strings.HasSuffix(list.Path, want) || !strings.Contains(list.Path, "filter=userName") {
			t.Errorf("GET entry path = %q, want the filter kept and …%s", list.Path, want)
		}
		if bad0.Status != http.StatusBadRequest || !strings.Contains(bad0.ResponseBody, `"scimType":"invalidSyntax"`) ||
			!strings.Contains(bad0.RequestBody, `"password":"[FILTERED]"`) {
			t.Errorf("failed POST entry = %d, request %s, response %s; want 400 with the SCIM error and the password filtered",
				bad0.Status, bad0.RequestBody, bad0.ResponseBody)
		}
	})
}

func TestRequestLogPerGroup(t *testing.T) {
	logBackends(t, 100, func(t *testing.T, e *logEnv) {
		otherBase := e.url + scimhttp.Prefix + e.other.Path
		e.do("POST", e.byPath()+"/Users", e.token, "application/scim+json", userBody)
		e.do("GET", otherBase+"/Users", e.otherToken, "", "")
		// Neither of these is authenticated, so neither belongs to a group.
		e.do("GET", otherBase+"/Users", e.token, "", "")
		e.do("GET", e.byPath()+"/Users", "", "", "")

		a := e.entries(e.group.ID)
		if len(a) != 1 || a[0].Operation != "create_user" || a[0].GroupID != e.group.ID {
			t.Errorf("group A's log = %d entries (%v), want its POST only", len(a), a)
		}
		b, _, err := e.s.ListSCIMRequestLogs(t.Context(), e.other.ID, store.Page{Limit: 100})
		if err != nil || len(b) != 1 || b[0].Operation != "list_users" || b[0].Status != http.StatusOK {
			t.Fatalf("group B's log = %v, %v; want its GET only", b, err)
		}
		if strings.Contains(text(b[0]), "bob@acme.example") {
			t.Errorf("group B's entry holds group A's user: %s", text(b[0]))
		}
	})
}

func TestRequestLogBounded(t *testing.T) {
	const keep = 5
	logBackends(t, keep, func(t *testing.T, e *logEnv) {
		var ids []string
		for range 2*keep + 2 {
			r := e.do("GET", e.byPath()+"/Users", e.token, "", "")
			ids = append(ids, r.header.Get("X-Request-Id"))
		}
		got := e.entries(e.group.ID)
		var logged []string
		for _, l := range got {
			logged = append(logged, l.RequestID)
		}
		var want []string
		for i := len(ids) - 1; len(want) < keep; i-- {
			want = append(want, ids[i])
		}
		if !slices.Equal(logged, want) {
			t.Errorf("log holds requests %v, want the newest %d: %v", logged, keep, want)
		}
	})
}
