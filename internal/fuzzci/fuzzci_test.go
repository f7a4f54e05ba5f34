package fuzzci

import (
	"bytes"
	"context"
	"fmt"
	"github.com/gatehouse-sso/gatehouse/internal/proctest"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The variables that drive TestFuzzTargets.
const (
	// envFuzz set to 1 makes TestFuzzTargets fuzz every target.
	envFuzz = "GATEHOUSE_TEST_FUZZ"
	// envFuzzTime is the -fuzztime of each target (default defaultFuzzTime).
	envFuzzTime = "GATEHOUSE_FUZZTIME"
	// envKeep set to 1 copies, after each target's run, the smallest new
	// inputs of the fuzz cache into its testdata/fuzz (see Keep).
	envKeep = "GATEHOUSE_FUZZ_KEEP"
)

// defaultFuzzTime keeps CI's whole run (11 targets, and building each
// package with the fuzzer's instrumentation) near three minutes on two
// busy cores.
const defaultFuzzTime = 8 * time.Second

// TestFuzzTargets fuzzes every fuzz target of the module in turn, each in
// its own `go test -fuzz` for GATEHOUSE_FUZZTIME, with one worker. A
// failing input is written by go test to the package's
// testdata/fuzz/FuzzX/, which the failure message names; commit it with
// the fix, and every later `go test` replays it.
//
// The fuzzing runs in child processes, whose files go test's result cache
// cannot see, so the test looks at every file of the module itself (see
// statModule): a pass is replayed from the cache only while no source,
// test, corpus or fixture file has changed.
func TestFuzzTargets(t *testing.T) {
	if os.Getenv(envFuzz) != "1" {
		t.Skipf("set %s=1 to fuzz every target for %s each (%s sets the time), as CI does:\n\t%s=1 go test ./internal/fuzzci/",
			envFuzz, defaultFuzzTime, envFuzzTime, envFuzz)
	}
	fuzzTime := defaultFuzzTime
	if v := os.Getenv(envFuzzTime); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q: want a positive duration such as 30s", envFuzzTime, v)
		}
		fuzzTime = d
	}
	keep := os.Getenv(envKeep) == "1"
	root := moduleRoot(t)
	statModule(t, root)
	targets, err := Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	goTool := goTool()
	gocache := ""
	if keep {
		out, err := exec.Command(goTool, "env", "GOCACHE").Output()
		if err != nil {
			t.Fatalf("go env GOCACHE: %v", err)
		}
		gocache = strings.TrimSpace(string(out))
	}
	for _, tg := range targets {
		t.Run(tg.ID(), func(t *testing.T) {
			fuzz(t, goTool, root, tg, fuzzTime)
			if !keep || t.Failed() {
				return
			}
			maxFiles := MaxKeptFiles
			if n, ok := keptFiles[tg.ID()]; ok {
				maxFiles = n
			}
			copied, err := Keep(tg.CacheDir(gocache), filepath.Join(root, tg.CorpusDir()), maxFiles, MaxKeptBytes)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("kept %d new inputs in %s", len(copied), tg.CorpusDir())
		})
	}
}

// keptFiles lowers MaxKeptFiles for the targets of which each input costs
// tens of milliseconds (the HTTP ones, through the whole server): go test
// replays every kept input before it fuzzes, and in CI's few seconds a
// large corpus would leave no time to fuzz.
var keptFiles = map[string]int{
	"scimhttp.FuzzSCIMEndpoint": 10,
	"web.FuzzACS":               10,
}

// fuzzLine is go test's progress line, the last of which gives the
// number of executions.
var fuzzLine = regexp.MustCompile(`(?m)^fuzz: elapsed: .*$`)

// fuzz runs one target for d and fails t, with go test's output, unless it
// passes.
func fuzz(t *testing.T, goTool, root string, tg Target, d time.Duration) {
	// Building the package and everything it imports with the fuzzer's
	// instrumentation, the first time, takes minutes on a busy machine
	// (SQLite's package is large).
	deadline := time.Now().Add(d + 15*time.Minute)
	if td, ok := t.Deadline(); ok && td.Add(-30*time.Second).Before(deadline) {
		// Stop in time to report, rather than be killed by go test's
		// -timeout with nothing said about the target.
		deadline = td.Add(-30 * time.Second)
	}
	ctx, cancel := context.WithDeadline(t.Context(), deadline)
	defer cancel()
	// One second of minimizing a new input, not go's default minute: the
	// HTTP targets make tens of executions a second where the parsers
	// make thousands, and would spend their whole run shrinking their
	// first interesting input. A failing input is still written, a little
	// less shrunk.
	cmd := exec.CommandContext(ctx, goTool, "test", "-run", "^$", "-fuzz", tg.Pattern(),
		"-fuzztime", d.String(), "-fuzzminimizetime", "1s", "-parallel", "1", tg.PackageArg())
	cmd.Dir = root
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	corpus := filepath.Join(root, tg.CorpusDir())
	before := corpusFiles(corpus)
	start := time.Now()
	err := cmd.Run()
	text := out.String()
	if err == nil && strings.Contains(text, "no fuzz tests to fuzz") {
		err = fmt.Errorf("go test found no fuzz test %s in %s", tg.Name, tg.PackageArg())
	}
	if err != nil && coordinatorDeadline(text, len(corpusFiles(corpus)) > len(before)) {
		t.Logf("%s: go's fuzzing coordinator reported its own -fuzztime deadline as a failure, with no failing input written (go.dev/issue/75804, fixed in Go 1.27); not a finding:\n%s", tg.ID(), text)
		return
	}
	if err != nil {
		t.Fatalf("go test -fuzz %s %s: %v (failing inputs are written under %s)\n%s",
			tg.Pattern(), tg.PackageArg(), err, tg.CorpusDir(), text)
	}
	last := fuzzLine.FindAllString(text, -1)
	if len(last) == 0 {
		t.Fatalf("go test -fuzz %s %s printed no progress:\n%s", tg.Pattern(), tg.PackageArg(), text)
	}
	t.Logf("%s in %s; last: %s", tg.ID(), time.Since(start).Round(time.Second), last[len(last)-1])
}

// coordinatorDeadline reports whether a failed fuzz run is Go 1.26's
// coordinator race (go.dev/issue/75804): when -fuzztime ends while a
// worker is busy, go test fails with a bare "context deadline exceeded".
// A real finding always writes its input (and says so), so a run that
// wrote one is never excused.
func coordinatorDeadline(output string, wroteInput bool) bool {
	if wroteInput || strings.Contains(output, "Failing input written") {
		return false
	}
	lines := strings.Split(strings.TrimSpace(output), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "--- FAIL: Fuzz") && i+1 < len(lines) && strings.TrimSpace(lines[i+1]) == "context deadline exceeded" {
			return true
		}
	}
	return false
}

// corpusFiles lists the inputs kept in dir (none if it does not exist).
func corpusFiles(dir string) []string {
	entries, _ := os.ReadDir(dir)
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// goTool is the go command: the one on PATH, else the one this test was
// built with.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := proctest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// statModule looks at every file of the module but .git's. go test caches
// a result under the files the test itself opened or looked at (and the
// environment variables it read); the child go test processes read the
// sources, so without this a pass would be replayed after a source file
// changed. Stat records each file's size and modification time, which is
// what go test compares.
func statModule(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		_, err = os.Stat(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDiscoverModule checks that Discover finds the module's known
// targets; a new one is found without being added here.
func TestDiscoverModule(t *testing.T) {
	root := moduleRoot(t)
	targets, err := Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]Target{}
	for _, tg := range targets {
		found[tg.Dir+" "+tg.Name] = tg
	}
	for _, tt := range []struct {
		dir, name, pkg string
	}{
		{"admin", "FuzzSAMLInputs", "admin"},
		{"saml", "FuzzParseResponse", "saml"},
		{"scim", "FuzzParseUser", "scim"},
		{"scim/scimfilter", "FuzzParse", "scimfilter"},
		{"scim/scimgroup", "FuzzGroup", "scimgroup"},
		{"scim/scimpatch", "FuzzApply", "scimpatch"},
		{"scim/scimpatch", "FuzzParseRequest", "scimpatch"},
		{"scimlog", "FuzzRedactBody", "scimlog"},
		{"server/scimhttp", "FuzzSCIMEndpoint", "scimhttp"},
		{"server/web", "FuzzACS", "web"},
		{"store/sqlitestore", "FuzzFilterSQL", "sqlitestore"},
	} {
		tg, ok := found[tt.dir+" "+tt.name]
		if !ok {
			t.Errorf("Discover(%s) did not find %s in %s", root, tt.name, tt.dir)
			continue
		}
		if want := "github.com/gatehouse-sso/gatehouse/" + tt.dir; tg.ImportPath != want || tg.Package != tt.pkg {
			t.Errorf("Discover found %s in %s as package %s (%s), want %s (%s)", tt.name, tt.dir, tg.ImportPath, tg.Package, want, tt.pkg)
		}
	}
}

// TestDiscover checks Discover's rules on a module made for the test.
func TestDiscover(t *testing.T) {
	files := map[string]string{
		"go.mod":        "module example.com/m // comment\n\ngo 1.26\n",
		"a_test.go":     "package m\nimport \"testing\"\nfunc FuzzRoot(f *testing.F) {}\n",
		"x/x_test.go":   "package x_test\nimport \"testing\"\nfunc FuzzA(f *testing.F) {}\nfunc Fuzz(f *testing.F) {}\nfunc Fuzz_b(f *testing.F) {}\n",
		"x/y_test.go":   "package x_test\nimport tst \"testing\"\nfunc FuzzAlias(f *tst.F) {}\n",
		"x/dot_test.go": "package x_test\nimport . \"testing\"\nfunc FuzzDot(f *F) {}\n",
		"x/not_test.go": `package x_test
import "testing"
type T struct{}
func (T) FuzzMethod(f *testing.F) {}
func Fuzzy(f *testing.F) {}
func FuzzT(t *testing.T) {}
func FuzzTwo(f *testing.F, n int) {}
func FuzzResult(f *testing.F) error { return nil }
func FuzzValue(f testing.F) {}
func TestFuzzNot(t *testing.T) {}
`,
		"x/other_test.go":      "package x_test\nimport testing \"example.com/fake\"\nfunc FuzzFake(f *testing.F) {}\n",
		"x/x.go":               "package x\nimport \"testing\"\nfunc FuzzInCode(f *testing.F) {}\n",
		"x/ignored_test.go":    "//go:build ignore\n\npackage x_test\nimport \"testing\"\nfunc FuzzIgnored(f *testing.F) {}\n",
		"x/x_plan9_test.go":    "package x_test\nimport \"testing\"\nfunc FuzzOtherOS(f *testing.F) {}\n",
		"x/testdata/a_test.go": "package a\nimport \"testing\"\nfunc FuzzTestdata(f *testing.F) {}\n",
		"_x/a_test.go":         "package a\nimport \"testing\"\nfunc FuzzUnderscore(f *testing.F) {}\n",
		".x/a_test.go":         "package a\nimport \"testing\"\nfunc FuzzDot(f *testing.F) {}\n",
		"sub/go.mod":           "module example.com/sub\n",
		"sub/a_test.go":        "package sub\nimport \"testing\"\nfunc FuzzNested(f *testing.F) {}\n",
		"deep/er/z_test.go":    "package er\n\nimport (\n\t\"testing\"\n)\n\nfunc FuzzDeep(f *testing.F) {}\n",
	}
	if runtime.GOOS == "plan9" {
		t.Skip("the test names a plan9 file as one for another system")
	}
	root := t.TempDir()
	for name, text := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []Target{
		{Dir: ".", ImportPath: "example.com/m", Package: "m", Name: "FuzzRoot", File: "a_test.go"},
		{Dir: "deep/er", ImportPath: "example.com/m/deep/er", Package: "er", Name: "FuzzDeep", File: "deep/er/z_test.go"},
		{Dir: "x", ImportPath: "example.com/m/x", Package: "x", Name: "Fuzz", File: "x/x_test.go"},
		{Dir: "x", ImportPath: "example.com/m/x", Package: "x", Name: "FuzzA", File: "x/x_test.go"},
		{Dir: "x", ImportPath: "example.com/m/x", Package: "x", Name: "FuzzAlias", File: "x/y_test.go"},
		{Dir: "x", ImportPath: "example.com/m/x", Package: "x", Name: "FuzzDot", File: "x/dot_test.go"},
		{Dir: "x", ImportPath: "example.com/m/x", Package: "x", Name: "Fuzz_b", File: "x/x_test.go"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Discover() mismatch (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		tg                          Target
		id, pattern, pkg, corpusDir string
	}{
		{want[0], "m.FuzzRoot", "^FuzzRoot$", ".", filepath.Join(".", "testdata", "fuzz", "FuzzRoot")},
		{want[1], "er.FuzzDeep", "^FuzzDeep$", "./deep/er", filepath.Join("deep", "er", "testdata", "fuzz", "FuzzDeep")},
	} {
		if got := []string{tt.tg.ID(), tt.tg.Pattern(), tt.tg.PackageArg(), tt.tg.CorpusDir()}; !cmp.Equal(got, []string{tt.id, tt.pattern, tt.pkg, tt.corpusDir}) {
			t.Errorf("%s: ID, Pattern, PackageArg, CorpusDir = %q, want %q", tt.tg.Name, got, []string{tt.id, tt.pattern, tt.pkg, tt.corpusDir})
		}
	}
	if got, want := want[1].CacheDir("/c"), filepath.FromSlash("/c/fuzz/example.com/m/deep/er/FuzzDeep"); got != want {
		t.Errorf("CacheDir(/c) = %q, want %q", got, want)
	}
}

func TestKeep(t *testing.T) {
	for _, tt := range []struct {
		name          string
		cache, kept   map[string]int // file name → size
		maxFiles      int
		maxBytes      int64
		wantCopied    []string
		wantKeptAfter int
	}{
		{"empty cache", nil, nil, 50, 1000, nil, 0},
		{"smallest first, up to the count", map[string]int{"c": 30, "a": 10, "b": 20, "d": 5}, nil, 2, 1000, []string{"d", "a"}, 2},
		{"up to the bytes", map[string]int{"a": 10, "b": 20, "c": 30}, nil, 50, 35, []string{"a", "b"}, 2},
		{"already kept are skipped and count", map[string]int{"a": 10, "b": 20, "c": 30}, map[string]int{"a": 10, "x": 100}, 3, 1000, []string{"b"}, 3},
		{"full", map[string]int{"a": 1}, map[string]int{"x": 100}, 1, 1000, nil, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cache, corpus := filepath.Join(dir, "cache"), filepath.Join(dir, "corpus")
			write := func(d string, files map[string]int) {
				for name, n := range files {
					if err := os.MkdirAll(d, 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(d, name), bytes.Repeat([]byte("x"), n), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			write(cache, tt.cache)
			write(corpus, tt.kept)
			copied, err := Keep(cache, corpus, tt.maxFiles, tt.maxBytes)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantCopied, copied); diff != "" {
				t.Errorf("Keep() copied (-want +got):\n%s", diff)
			}
			entries, _ := os.ReadDir(corpus)
			if len(entries) != tt.wantKeptAfter {
				t.Errorf("corpus holds %d files after Keep, want %d", len(entries), tt.wantKeptAfter)
			}
		})
	}
}

func TestCoordinatorDeadline(t *testing.T) {
	race := "fuzz: elapsed: 8s, execs: 4330 (601/sec), new interesting: 10 (total: 189)\n--- FAIL: FuzzSAMLInputs (8.10s)\n    context deadline exceeded\nFAIL\nexit status 1\n"
	tests := []struct {
		name   string
		output string
		wrote  bool
		want   bool
	}{
		{"the coordinator's race", race, false, true},
		{"an input was written", race, true, false},
		{"go says it wrote one", race + "    Failing input written to testdata/fuzz/FuzzSAMLInputs/abc\n", false, false},
		{"a real failure", "--- FAIL: FuzzACS (3.00s)\n    --- FAIL: FuzzACS (0.00s)\n        fuzz_test.go:90: answered 500\n", false, false},
		{"a target's own deadline in its message", "--- FAIL: FuzzX (1.00s)\n    x_test.go:9: GET: context deadline exceeded\n", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := coordinatorDeadline(tt.output, tt.wrote); got != tt.want {
				t.Errorf("coordinatorDeadline = %v, want %v", got, tt.want)
			}
		})
	}
}
