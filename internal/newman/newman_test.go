package newman

import (
	"context"
	"encoding/json"
	"flag"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite testdata/report.json from a real newman run")

// testToken is the token the self-test passes; the stub echoes what it got.
const testToken = "selftest-token"

// wantSelfTest is what newman finds running testdata/collection.json against
// selfTestServer with selfTestFolders: two of four requests fail three of
// eight assertions.
var wantSelfTest = &Result{
	Requests:   4,
	Assertions: 8,
	Failed:     3,
	Failures: []Failure{
		{Folder: "Endpoint tests", Item: "Get Schemas", Assertion: "Body contians User Account",
			Message: `expected '{"Resources":[]}\n' to include 'User Account'`},
		{Folder: "Broken", Item: "Get missing", Assertion: "Status code is 200",
			Message: "expected response to have status code 200 but got 404"},
		{Folder: "Broken", Item: "Get missing", Assertion: "Pach supported is true",
			Message: "TypeError: Cannot read properties of undefined (reading 'supported')"},
	},
}

// selfTestFolders skip "Get Token", as DefaultFolders does.
var selfTestFolders = []string{"Endpoint tests", "Broken", "Get all groups"}

// ignoreDuration leaves out the one field that differs between runs.
var ignoreDuration = cmpopts.IgnoreFields(Result{}, "Duration")

func TestParseReport(t *testing.T) {
	f, err := os.Open("testdata/report.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := parseReport(f)
	if err != nil {
		t.Fatalf("parseReport: %v", err)
	}
	if diff := cmp.Diff(wantSelfTest, got, ignoreDuration); diff != "" {
		t.Errorf("parseReport(testdata/report.json) mismatch (-want +got):\n%s", diff)
	}
	if got.Duration <= 0 || got.Duration > time.Minute {
		t.Errorf("Duration = %v, want the run's few milliseconds", got.Duration)
	}
}

func TestParseReportShapes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    *Result
		wantErr string
	}{
		{
			name: "request error at the top level",
			in: `{"run": {"stats": {"requests": {"total": 1, "failed": 1}, "assertions": {"total": 0, "failed": 0}},
				"timings": {"started": 1000, "completed": 1250.5},
				"failures": [{"error": {"name": "Error", "message": "connect ECONNREFUSED 127.0.0.1:9"},
					"at": "request", "source": {"name": "Get all groups"}, "parent": {"info": {"name": "SCIM Tests"}}}],
				"error": null}}`,
			want: &Result{Requests: 1, Duration: 250500 * time.Microsecond, Failures: []Failure{
				{Item: "Get all groups", Message: "Error: connect ECONNREFUSED 127.0.0.1:9"},
			}},
		},
		{name: "not JSON", in: `newman: error`, wantErr: "invalid character"},
		{name: "no run", in: `{"collection": {}}`, wantErr: `no "run"`},
		{name: "run error", in: `{"run": {"error": {"message": "boom"}}}`, wantErr: `the run failed: {"message": "boom"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseReport(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseReport error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseReport: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseReport mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultFolders(t *testing.T) {
	// The list shared/conformance/README.md gives, in its order.
	want := []string{"Endpoint tests", "User tests", "Group tests", "ComplexAttribute tests",
		"User tests with garbage", "Group tests with garbage", "Teardown garbage", "Get all groups"}
	if diff := cmp.Diff(want, DefaultFolders()); diff != "" {
		t.Errorf("DefaultFolders() (-want +got):\n%s", diff)
	}
	DefaultFolders()[0] = "changed"
	if DefaultFolders()[0] != "Endpoint tests" {
		t.Errorf("DefaultFolders shares its slice between calls")
	}
}

func TestCollectionPath(t *testing.T) {
	root := t.TempDir()
	beside := filepath.Join(root, "shared", "conformance")
	custom := filepath.Join(root, "elsewhere")
	for _, d := range []string{beside, custom, filepath.Join(root, "main")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{beside, custom} {
		if err := os.WriteFile(filepath.Join(d, collectionFile), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	moduleDir := filepath.Join(root, "main")

	t.Setenv(ConformanceDirEnv, "")
	if got, err := collectionPath("", moduleDir); err != nil || got != filepath.Join(beside, collectionFile) {
		t.Errorf("collectionPath by default = %q, %v; want the one in ../shared/conformance", got, err)
	}
	t.Setenv(ConformanceDirEnv, custom)
	if got, err := collectionPath("", moduleDir); err != nil || got != filepath.Join(custom, collectionFile) {
		t.Errorf("collectionPath with $%s = %q, %v; want the one there", ConformanceDirEnv, got, err)
	}
	explicit := filepath.Join(beside, collectionFile)
	if got, err := collectionPath(explicit, moduleDir); err != nil || got != explicit {
		t.Errorf("collectionPath(%q) = %q, %v; want it unchanged", explicit, got, err)
	}

	t.Setenv(ConformanceDirEnv, filepath.Join(root, "missing"))
	_, err := collectionPath("", moduleDir)
	if err == nil || !strings.Contains(err.Error(), "collection not found at "+filepath.Join(root, "missing", collectionFile)) ||
		!strings.Contains(err.Error(), "set "+ConformanceDirEnv) {
		t.Errorf("collectionPath with a missing folder: error = %v, want it to name the path and %s", err, ConformanceDirEnv)
	}
}

func TestOptionsCheck(t *testing.T) {
	_, err := Run(t.Context(), Options{Port: "8080", API: "/api"})
	for _, want := range []string{"options Protocol, Server, Token must be set", `Port "8080" must start with a colon`, `API "/api" must not start with a slash`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Run with bad options: error = %v, want it to contain %q", err, want)
		}
	}
}

// selfTestServer answers testdata/collection.json's requests under /api/x.
func selfTestServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		switch r.URL.Path {
		case "/api/x/Users":
			json.NewEncoder(w).Encode(map[string]any{"Resources": []any{}, "authorization": r.Header.Get("Authorization")})
		case "/api/x/Schemas", "/api/x/Groups":
			json.NewEncoder(w).Encode(map[string]any{"Resources": []any{}})
		default:
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]any{"detail": "not here"})
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// needNode skips a test that runs newman where it cannot run.
func needNode(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs newman (and npm ci on first use); skipped in -short mode")
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH", tool)
		}
	}
}

func TestRun(t *testing.T) {
	needNode(t)
	srv := selfTestServer(t)
	host, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(t.TempDir(), "report.json")
	if *update {
		report, _ = filepath.Abs("testdata/report.json")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var out strings.Builder
	got, err := Run(ctx, Options{
		Collection: "testdata/collection.json",
		Protocol:   "http",
		Server:     host,
		Port:       ":" + port,
		API:        "api/x",
		Token:      testToken,
		Folders:    selfTestFolders,
		Output:     &out,
		ReportPath: report,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if diff := cmp.Diff(wantSelfTest, got, ignoreDuration); diff != "" {
		t.Errorf("Run mismatch (-want +got):\n%s\nnewman's output:\n%s", diff, out.String())
	}
	if !strings.Contains(out.String(), "Gatehouse newman self-test") {
		t.Errorf("Output lacks newman's console report:\n%s", out.String())
	}
	if _, err := os.Stat(report); err != nil {
		t.Errorf("the report was not kept at ReportPath: %v", err)
	}
}

func TestRunUnknownFolder(t *testing.T) {
	needNode(t)
	srv := selfTestServer(t)
	_, err := Run(t.Context(), Options{
		Collection: "testdata/collection.json",
		Protocol:   "http",
		Server:     strings.TrimPrefix(srv.URL, "http://"),
		API:        "api/x",
		Token:      testToken,
		Folders:    []string{"No such folder"},
	})
	if err == nil || !strings.Contains(err.Error(), "newman wrote no report") || !strings.Contains(err.Error(), `Unable to find a folder or request: "No such folder"`) {
		t.Errorf("Run with an unknown folder: error = %v, want newman's own message", err)
	}
}
