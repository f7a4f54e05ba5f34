// Package newman runs Microsoft's "SCIM Tests" Postman collection (the
// conformance suite in shared/conformance, idp-clients.md §2) against a
// running Gatehouse with newman, and reads newman's JSON report back into a
// [Result].
//
// newman itself is an npm package pinned in test/newman (package.json and
// package-lock.json at the module root). [Run] installs it there with
// "npm ci" the first time, so a machine needs Node.js and npm but nothing
// installed by hand. Installs run in a staging folder that is renamed into
// place, so tests in several packages may call Run at once.
//
// The collection expects a fresh, empty server: several assertions count
// users. Its first folder fetches a token from an endpoint Gatehouse does not
// have, so [DefaultFolders] skips it and the token is passed in [Options].
package newman

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/gatehouse-sso/gatehouse/internal/proctest"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Options say what to run and against which server. The collection's URLs
// are {{Protocol}}://{{Server}}{{Port}}/{{Api}}/Users and so on.
type Options struct {
	// Collection is the path of the Postman collection. Empty means
	// PostmanCollection.json in $GATEHOUSE_CONFORMANCE_DIR when that is
	// set, and otherwise in ../shared/conformance beside the module root.
	Collection string
	Protocol   string // "http" or "https"
	Server     string // host name or address, e.g. "127.0.0.1"
	Port       string // with its leading colon, e.g. ":8080"; empty for the scheme's default
	API        string // the SCIM base path without a leading slash, e.g. "api/scim/v2/groups/3"
	Token      string // the group's SCIM token, sent as "Authorization: Bearer <token>"
	// Folders are the collection's folders (or requests) to run, in order.
	// Nil means DefaultFolders().
	Folders []string
	// Output receives newman's console report and npm's install log. Nil
	// discards them; a failed run's error still quotes their end.
	Output io.Writer
	// ReportPath, if set, is where newman's JSON report is kept. Empty means
	// a temporary file, removed once read.
	ReportPath string
}

// Result is what one newman run found.
type Result struct {
	Requests   int           // requests sent
	Assertions int           // assertions (pm.test calls) evaluated
	Failed     int           // assertions that failed
	Failures   []Failure     // every failure newman reported, in order
	Duration   time.Duration // from newman's start of the run to its end
}

// Failure is one failed assertion, or a request or script that failed
// outside any assertion (then Assertion is empty).
type Failure struct {
	Folder    string // the folder holding the request; empty at the top level
	Item      string // the request's name
	Assertion string // the pm.test name
	Message   string // what went wrong, prefixed by the error's kind unless it is an AssertionError
}

// DefaultFolders returns the folders shared/conformance/README.md runs:
// every folder but "Get Token", then the top-level request "Get all groups".
// The top-level "Get all users" cannot be picked by name, since a request in
// "User tests with garbage" has the same name.
func DefaultFolders() []string {
	return []string{
		"Endpoint tests",
		"User tests",
		"Group tests",
		"ComplexAttribute tests",
		"User tests with garbage",
		"Group tests with garbage",
		"Teardown garbage",
		"Get all groups",
	}
}

// ConformanceDirEnv names the environment variable that overrides where the
// collection is found.
const ConformanceDirEnv = "GATEHOUSE_CONFORMANCE_DIR"

// collectionFile is the collection's name in the conformance folder.
const collectionFile = "PostmanCollection.json"

// requestTimeout bounds each request, so that a server that hangs fails the
// run instead of stalling it.
const requestTimeout = 30 * time.Second

// Run runs newman over the collection with opts and returns what it found.
// Failed assertions are not an error: they are in the Result. The error
// reports what kept newman from producing a report: a missing collection,
// Node.js or npm, a failed install, an unknown folder, or ctx ending.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	root, err := proctest.ModuleRoot()
	if err != nil {
		return nil, err
	}
	collection, err := collectionPath(opts.Collection, root)
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("newman needs Node.js: %w", err)
	}
	out := opts.Output
	if out == nil {
		out = io.Discard
	}
	dir := filepath.Join(root, "test", "newman")
	if err := install(ctx, dir, out); err != nil {
		return nil, err
	}

	tmp, err := os.MkdirTemp("", "gatehouse-newman-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	env := filepath.Join(tmp, "environment.json")
	if err := writeEnvironment(env, opts); err != nil {
		return nil, err
	}
	report := opts.ReportPath
	if report == "" {
		report = filepath.Join(tmp, "report.json")
	} else if err := os.Remove(report); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err // a stale report must not pass for this run's
	}

	args := []string{
		filepath.Join(dir, "node_modules", "newman", "bin", "newman.js"), "run", collection,
		"--environment", env,
		"--reporters", "cli,json",
		"--reporter-json-export", report,
		"--color", "off",
		"--timeout-request", fmt.Sprint(requestTimeout.Milliseconds()),
	}
	folders := opts.Folders
	if folders == nil {
		folders = DefaultFolders()
	}
	for _, f := range folders {
		args = append(args, "--folder", f)
	}
	var tail tailBuffer
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Stdout = io.MultiWriter(out, &tail)
	cmd.Stderr = cmd.Stdout
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("newman: %w", ctx.Err())
	}
	// newman exits 1 when an assertion fails, and also when it cannot run at
	// all; only the report tells the two apart.
	f, err := os.Open(report)
	if err != nil {
		return nil, fmt.Errorf("newman wrote no report (%v); its output ends:\n%s", runErr, tail.String())
	}
	defer f.Close()
	res, err := parseReport(f)
	if err != nil {
		return nil, fmt.Errorf("newman report %s: %w", report, err)
	}
	var exit *exec.ExitError
	if runErr != nil && !(errors.As(runErr, &exit) && exit.ExitCode() == 1) {
		return nil, fmt.Errorf("newman: %w; its output ends:\n%s", runErr, tail.String())
	}
	return res, nil
}

// check reports every missing option at once.
func (o Options) check() error {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"Protocol", o.Protocol}, {"Server", o.Server}, {"API", o.API}, {"Token", o.Token},
	} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	var errs []error
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("newman: options %s must be set", strings.Join(missing, ", ")))
	}
	if o.Port != "" && !strings.HasPrefix(o.Port, ":") {
		errs = append(errs, fmt.Errorf("newman: Port %q must start with a colon, e.g. \":8080\"", o.Port))
	}
	if strings.HasPrefix(o.API, "/") {
		errs = append(errs, fmt.Errorf("newman: API %q must not start with a slash: the collection adds one", o.API))
	}
	return errors.Join(errs...)
}

// collectionPath finds the collection: the explicit path, else the one in
// $GATEHOUSE_CONFORMANCE_DIR, else the one beside the module root.
func collectionPath(explicit, root string) (string, error) {
	path, from := explicit, "Options.Collection"
	if path == "" {
		if dir := os.Getenv(ConformanceDirEnv); dir != "" {
			path, from = filepath.Join(dir, collectionFile), "$"+ConformanceDirEnv
		} else {
			path, from = filepath.Join(root, "..", "shared", "conformance", collectionFile), "the default location"
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("newman: collection not found at %s (%s): set %s to the folder holding %s, or Options.Collection to the file: %w",
			abs, from, ConformanceDirEnv, collectionFile, err)
	}
	return abs, nil
}

// install runs "npm ci" for the pinned newman unless it is installed. It
// installs into a staging folder and renames its node_modules into place, so
// that concurrent callers never see half an install: the first rename wins
// and the others discard theirs.
func install(ctx context.Context, dir string, out io.Writer) error {
	bin := filepath.Join(dir, "node_modules", "newman", "bin", "newman.js")
	if _, err := os.Stat(bin); err == nil {
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("newman needs npm to install it: %w", err)
	}
	stage, err := os.MkdirTemp(dir, ".install-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	for _, name := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("newman: %w", err)
		}
		if err := os.WriteFile(filepath.Join(stage, name), b, 0o644); err != nil {
			return err
		}
	}
	var tail tailBuffer
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = stage
	cmd.Stdout = io.MultiWriter(out, &tail)
	cmd.Stderr = cmd.Stdout
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("newman: npm ci in %s: %w; its output ends:\n%s", dir, err, tail.String())
	}
	if err := os.Rename(filepath.Join(stage, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		if _, statErr := os.Stat(bin); statErr == nil {
			return nil // another caller installed it first
		}
		return fmt.Errorf("newman: %w", err)
	}
	return nil
}

// writeEnvironment writes the collection's variables as a Postman
// environment file, which keeps the token off the command line.
func writeEnvironment(path string, o Options) error {
	type value struct {
		Key     string `json:"key"`
		Value   string `json:"value"`
		Enabled bool   `json:"enabled"`
	}
	env := struct {
		Name   string  `json:"name"`
		Values []value `json:"values"`
	}{Name: "gatehouse"}
	for _, kv := range [][2]string{
		{"Protocol", o.Protocol}, {"Server", o.Server}, {"Port", o.Port}, {"Api", o.API}, {"token", o.Token},
	} {
		env.Values = append(env.Values, value{kv[0], kv[1], true})
	}
	b, err := json.Marshal(env)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// report is the part of newman's JSON report that Result needs.
type report struct {
	Run *struct {
		Stats struct {
			Requests   struct{ Total int }         `json:"requests"`
			Assertions struct{ Total, Failed int } `json:"assertions"`
		} `json:"stats"`
		Timings struct {
			Started, Completed float64 // milliseconds since the Unix epoch
		} `json:"timings"`
		Failures []struct {
			Error struct {
				Name, Test, Message string
			} `json:"error"`
			Source struct{ Name string } `json:"source"`
			// Parent is the folder, or for a top-level request the
			// collection, which has no name of its own.
			Parent struct{ Name string } `json:"parent"`
		} `json:"failures"`
		Error json.RawMessage `json:"error"`
	} `json:"run"`
}

// parseReport reads newman's JSON report.
func parseReport(r io.Reader) (*Result, error) {
	var rep report
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return nil, err
	}
	run := rep.Run
	if run == nil {
		return nil, errors.New(`no "run" in the report`)
	}
	if e := bytes.TrimSpace(run.Error); len(e) > 0 && !bytes.Equal(e, []byte("null")) {
		return nil, fmt.Errorf("the run failed: %s", e)
	}
	res := &Result{
		Requests:   run.Stats.Requests.Total,
		Assertions: run.Stats.Assertions.Total,
		Failed:     run.Stats.Assertions.Failed,
		Duration:   time.Duration((run.Timings.Completed - run.Timings.Started) * float64(time.Millisecond)),
	}
	for _, f := range run.Failures {
		msg := f.Error.Message
		if f.Error.Name != "" && f.Error.Name != "AssertionError" {
			msg = f.Error.Name + ": " + msg
		}
		res.Failures = append(res.Failures, Failure{
			Folder:    f.Parent.Name,
			Item:      f.Source.Name,
			Assertion: f.Error.Test,
			Message:   msg,
		})
	}
	return res, nil
}

// tailBuffer keeps the last few KiB written to it, for error messages.
type tailBuffer struct{ b []byte }

const tailSize = 4 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > tailSize {
		t.b = t.b[len(t.b)-tailSize:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }
