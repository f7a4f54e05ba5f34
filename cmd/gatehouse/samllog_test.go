package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
	"github.com/gatehouse-sso/gatehouse/sso"
)

// TestSAMLLogKeep: what saml log says about the log's size is what the
// ACS keeps.
func TestSAMLLogKeep(t *testing.T) {
	if admin.SAMLLogKeep != sso.LogKeep {
		t.Errorf("admin.SAMLLogKeep = %d, want sso.LogKeep = %d", admin.SAMLLogKeep, sso.LogKeep)
	}
}

// verdict signs a response of the test IdP to the group acme.corp and runs
// the SAML checks on it, as the ACS does: it passes, or fails the audience
// check when audience is set.
func verdict(t *testing.T, audience string) *saml.Verdict {
	t.Helper()
	now := time.Now()
	idp := samltest.NewIdP("log-idp")
	sp := samltest.SP("acme.corp", 1)
	spec := idp.Spec(sp, now)
	if audience != "" {
		spec.Audiences = [][]string{{audience}}
	}
	_, v, err := saml.ParseResponse(sp, idp.Trust(), saml.ResponseInput{
		SAMLResponse: samltest.Encode(idp.Response(t, spec)), ACSURL: sp.ACSURLs[0],
	}, now)
	if (audience == "") != (err == nil) {
		t.Fatalf("ParseResponse(audience %q) = %v", audience, err)
	}
	return v
}

// logEntry is a SAML log entry of the verdict, as the ACS writes it.
func logEntry(t *testing.T, v *saml.Verdict, e gatehouse.SAMLLogEntry) *gatehouse.SAMLLogEntry {
	t.Helper()
	b, err := json.Marshal(v.Checks)
	if err != nil {
		t.Fatal(err)
	}
	e.Checks, e.Response = b, v.XML
	return &e
}

func TestSAMLLogCommand(t *testing.T) {
	pass, fail := verdict(t, ""), verdict(t, "https://elsewhere.example/sp")
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"GATEHOUSE_DB": db}
			for _, args := range [][]string{
				{"user", "create", "--username", "alice", "--email", "alice@example.com"},
				{"group", "create", "--path", "acme.corp", "--owner", "alice"},
				{"group", "create", "--path", "quiet", "--owner", "alice"},
			} {
				if r := gh(t, env, "", args...); r.code != exitOK {
					t.Fatalf("gatehouse %v = exit %d, %s", args, r.code, r.stderr)
				}
			}
			ctx := context.Background()
			s, err := openStore(ctx, db, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			g, err := admin.FindGroup(ctx, s, "acme.corp")
			if err != nil {
				t.Fatal(err)
			}
			entries := []*gatehouse.SAMLLogEntry{ // oldest first
				logEntry(t, pass, gatehouse.SAMLLogEntry{At: at, Outcome: "signed_in", ReferenceID: "aaaa0001",
					NameID: "00u1alice", RequestID: "_req1", ClientIP: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11)"}),
				logEntry(t, fail, gatehouse.SAMLLogEntry{At: at.Add(time.Minute), Outcome: "invalid", ReferenceID: "bbbb0002",
					ClientIP: "203.0.113.8", UserAgent: "curl/8.5"}),
				logEntry(t, pass, gatehouse.SAMLLogEntry{At: at.Add(2 * time.Minute), Outcome: "unknown_name_id", ReferenceID: "cccc0003",
					NameID: "00u1bob", ClientIP: "203.0.113.9", UserAgent: "Mozilla/5.0 (Mac)"}),
				// Whoever posts to the ACS chooses what the entry holds.
				{At: at.Add(3 * time.Minute), Outcome: "invalid", ReferenceID: "dddd0004", ClientIP: "198.51.100.1",
					UserAgent: "evil\x1b[2J\u202e", Response: "<x>\x1b]0;owned\x07</x>\n\tend",
					Checks: json.RawMessage(`[{"Name":"xml","OK":false,"Detail":"not XML: \u001b[31m"}]`)},
			}
			for _, e := range entries {
				e.GroupID = g.ID
				if err := s.AppendSAMLLog(ctx, e, 0); err != nil {
					t.Fatalf("AppendSAMLLog(%s): %v", e.ReferenceID, err)
				}
			}
			s.Close()
			failedDetail, _ := fail.Failed()

			for _, tt := range []struct {
				name string
				args []string
				want []string // the lines of stdout after the header, in order, with runs of spaces as one
			}{
				{"newest first", nil, []string{
					`2026-03-01T09:33:00Z invalid dddd0004 - xml not XML: \x1b[31m`,
					"2026-03-01T09:32:00Z unknown_name_id cccc0003 00u1bob - -",
					"2026-03-01T09:31:00Z invalid bbbb0002 - audience " + failedDetail.Detail,
					"2026-03-01T09:30:00Z signed_in aaaa0001 00u1alice - -",
				}},
				{"limit", []string{"--limit", "2"}, []string{
					`2026-03-01T09:33:00Z invalid dddd0004 - xml not XML: \x1b[31m`,
					"2026-03-01T09:32:00Z unknown_name_id cccc0003 00u1bob - -",
				}},
				{"outcome", []string{"--outcome", "invalid", "--limit", "1000"}, []string{
					`2026-03-01T09:33:00Z invalid dddd0004 - xml not XML: \x1b[31m`,
					"2026-03-01T09:31:00Z invalid bbbb0002 - audience " + failedDetail.Detail,
				}},
				{"outcome and limit", []string{"--outcome", "signed_in", "--limit", "1"}, []string{
					"2026-03-01T09:30:00Z signed_in aaaa0001 00u1alice - -",
				}},
				{"group by id", []string{"--group", itoa(g.ID), "--outcome", "unknown_name_id"}, []string{
					"2026-03-01T09:32:00Z unknown_name_id cccc0003 00u1bob - -",
				}},
				{"outcome nobody has", []string{"--outcome", "replayed"}, nil},
			} {
				args := append([]string{"saml", "log", "--group", "acme.corp"}, tt.args...)
				r := gh(t, env, "", args...)
				lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
				if r.code != exitOK || len(lines) == 0 || strings.Join(strings.Fields(lines[0]), " ") != "AT OUTCOME REFERENCE_ID NAME_ID FAILED_CHECK MESSAGE" {
					t.Errorf("%s: gatehouse %v = exit %d, stdout %q, stderr %q; want a table", tt.name, args, r.code, r.stdout, r.stderr)
					continue
				}
				var got []string
				for _, l := range lines[1:] {
					got = append(got, strings.Join(strings.Fields(l), " "))
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("%s: gatehouse %v rows (-want +got):\n%s", tt.name, args, diff)
				}
				if strings.Contains(r.stdout, "\x1b") {
					t.Errorf("%s: gatehouse %v printed an escape character: %q", tt.name, args, r.stdout)
				}
			}
			if r := gh(t, env, "", "saml", "log", "--group", "acme.corp", "--outcome", "replayed"); !strings.Contains(r.stderr, "no entries with the outcome replayed") {
				t.Errorf("saml log --outcome replayed: stderr %q, want it to say there are none", r.stderr)
			}
			if r := gh(t, env, "", "saml", "log", "--group", "quiet"); r.code != exitOK || !strings.Contains(r.stderr, "SAML log is empty") {
				t.Errorf("saml log of a group without entries = exit %d, stderr %q; want 0 and a note", r.code, r.stderr)
			}

			// One entry in full.
			r := gh(t, env, "", "saml", "log", "--group", "acme.corp", "--ref", "bbbb0002")
			if r.code != exitOK {
				t.Fatalf("saml log --ref bbbb0002 = exit %d, %s", r.code, r.stderr)
			}
			head, xml, _ := strings.Cut(r.stdout, "\n\n")
			var rows []string
			for _, l := range strings.Split(head, "\n") {
				rows = append(rows, strings.Join(strings.Fields(l), " "))
			}
			want := []string{
				"at 2026-03-01T09:31:00Z", "outcome invalid", "reference_id bbbb0002", "name_id -", "request_id -",
				"client_ip 203.0.113.8", "user_agent curl/8.5",
			}
			for _, c := range fail.Checks {
				state := "pass"
				if !c.OK {
					state = "FAIL"
				}
				want = append(want, strings.Join(strings.Fields("check "+state+" "+c.Name+" "+c.Detail), " "))
			}
			if diff := cmp.Diff(want, rows); diff != "" {
				t.Errorf("saml log --ref bbbb0002 (-want +got):\n%s", diff)
			}
			if last := rows[len(rows)-1]; !strings.HasPrefix(last, "check FAIL audience") || !strings.Contains(last, "elsewhere.example") {
				t.Errorf("saml log --ref bbbb0002: last row %q, want the failed audience check with the audience sent", last)
			}
			if xml != fail.XML+"\n" || !strings.Contains(xml, "<saml:Audience>https://elsewhere.example/sp</saml:Audience>") {
				t.Errorf("saml log --ref bbbb0002 printed the response %q, want the logged XML %q", xml, fail.XML)
			}
			r = gh(t, env, "", "saml", "log", "--group", "acme.corp", "--ref", "dddd0004")
			if r.code != exitOK || strings.Contains(r.stdout, "\x1b") || strings.Contains(r.stdout, "\u202e") ||
				!strings.Contains(r.stdout, `evil\x1b[2J\u202e`) || !strings.Contains(r.stdout, "<x>\\x1b]0;owned\\x07</x>\n\tend\n") {
				t.Errorf("saml log --ref dddd0004 = exit %d, stdout %q; want the escape characters shown, not sent", r.code, r.stdout)
			}

			// JSON.
			r = gh(t, env, "", "saml", "log", "--group", "acme.corp", "--ref", "aaaa0001", "--json")
			var one map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &one); err != nil {
				t.Fatalf("saml log --ref --json printed %q: %v", r.stdout, err)
			}
			wantOne := map[string]any{
				"at": "2026-03-01T09:30:00Z", "outcome": "signed_in", "reference_id": "aaaa0001", "name_id": "00u1alice",
				"request_id": "_req1", "client_ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (X11)", "response": pass.XML,
			}
			var wantChecks []any
			for _, c := range pass.Checks {
				wantChecks = append(wantChecks, map[string]any{"name": c.Name, "ok": true, "detail": c.Detail})
			}
			wantOne["checks"] = wantChecks
			if diff := cmp.Diff(wantOne, one); diff != "" {
				t.Errorf("saml log --ref aaaa0001 --json (-want +got):\n%s", diff)
			}
			r = gh(t, env, "", "saml", "log", "--group", "acme.corp", "--outcome", "invalid", "--json")
			var list []map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
				t.Fatalf("saml log --json printed %q: %v", r.stdout, err)
			}
			if len(list) != 2 || list[0]["reference_id"] != "dddd0004" || list[1]["reference_id"] != "bbbb0002" {
				t.Errorf("saml log --outcome invalid --json = %s, want dddd0004 and bbbb0002", r.stdout)
			} else if checks, _ := list[1]["checks"].([]any); len(checks) != len(fail.Checks) ||
				cmp.Diff(map[string]any{"name": "audience", "ok": false, "detail": failedDetail.Detail}, checks[len(checks)-1]) != "" {
				t.Errorf("saml log --json: bbbb0002's checks = %v, want the audience failure last", list[1]["checks"])
			}
			for _, args := range [][]string{{"--json"}, {"--outcome", "replayed", "--json"}} {
				r = gh(t, env, "", append([]string{"saml", "log", "--group", "quiet"}, args...)...)
				if r.code != exitOK || strings.TrimSpace(r.stdout) != "[]" {
					t.Errorf("saml log --group quiet %v = exit %d, %q; want []", args, r.code, r.stdout)
				}
			}

			// Not found.
			for _, tt := range []struct {
				name string
				args []string
				msg  string
			}{
				{"unknown ref", []string{"--group", "acme.corp", "--ref", "ffff0009"}, "no entry in group acme.corp's SAML log has the reference id ffff0009; the log keeps only the group's newest 1000 entries"},
				{"another group's ref", []string{"--group", "quiet", "--ref", "aaaa0001"}, "no entry in group quiet's SAML log"},
				{"unknown group", []string{"--group", "nowhere"}, `group "nowhere" not found`},
				{"unknown group, ref", []string{"--group", "nowhere", "--ref", "aaaa0001"}, `group "nowhere" not found`},
			} {
				args := append([]string{"saml", "log"}, tt.args...)
				r := gh(t, env, "", args...)
				if r.code != exitNotFound || !strings.Contains(r.stderr, tt.msg) || r.stdout != "" {
					t.Errorf("%s: gatehouse %v = exit %d, stdout %q, stderr %q; want exit 4 mentioning %q", tt.name, args, r.code, r.stdout, r.stderr, tt.msg)
				}
			}
		})
	}
}

func TestPrintable(t *testing.T) {
	for _, tt := range []struct {
		in, keep, want string
	}{
		{"00u1alice", "", "00u1alice"},
		{"Zoë 🦊", "", "Zoë 🦊"},
		{"a\tb\nc\r", "", `a\x09b\x0ac\x0d`},
		{"a\tb\nc\r", "\n\t", "a\tb\nc\\x0d"},
		{"\x1b[2J\x7f", "", `\x1b[2J\x7f`},
		{"\u009b31m", "", `\u009b31m`},
		{"abc\u202edef\u2066", "", `abc\u202edef\u2066`},
		{"line\u2028sep", "\n", `line\u2028sep`},
	} {
		if got := printable(tt.in, tt.keep); got != tt.want {
			t.Errorf("printable(%q, %q) = %q, want %q", tt.in, tt.keep, got, tt.want)
		}
	}
}
