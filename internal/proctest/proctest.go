// Package proctest runs the real gatehouse binary as a child process for
// tests that must crash it, stop it, or run several of it against one
// database: build it once, start "serve" on loopback, wait until it answers,
// and stop it with SIGTERM or SIGKILL.
package proctest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Package is the import path of the binary's main package.
const Package = "github.com/gatehouse-sso/gatehouse/cmd/gatehouse"

// Build builds cmd/gatehouse into a temporary directory of t's and returns
// its path. Tags are build tags (a test may build a variant of the binary).
// The binary carries the race detector when the test does. Build also looks
// at every source file of the module, so that go test's cache cannot replay
// an old "ok" after the server's code changed.
func Build(t testing.TB, tags ...string) string {
	t.Helper()
	bin, err := BuildTo(t.TempDir(), tags...)
	if err != nil {
		t.Fatal(err)
	}
	if err := statSources(); err != nil {
		t.Fatal(err)
	}
	return bin
}

// BuildPlain is Build without the race detector, whatever the test runs
// with: for tests whose subject is the process's life (crashes, restarts,
// two versions), where a binary ten times slower would only mean fewer
// writes and slower restarts. The race detector still covers the server's
// code in its own packages' tests.
func BuildPlain(t testing.TB, tags ...string) string {
	t.Helper()
	bin, err := buildTo(t.TempDir(), false, tags)
	if err != nil {
		t.Fatal(err)
	}
	if err := statSources(); err != nil {
		t.Fatal(err)
	}
	return bin
}

// BuildTo is Build into dir, for a TestMain that builds once per package.
// It does not look at the sources; call StatSources from a test for that.
func BuildTo(dir string, tags ...string) (string, error) {
	return buildTo(dir, RaceEnabled(), tags)
}

func buildTo(dir string, race bool, tags []string) (string, error) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if p, err := exec.LookPath("go"); err == nil {
		goTool = p
	}
	bin := filepath.Join(dir, "gatehouse")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.Command(goTool, append(args, Package)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", Package, err, out)
	}
	return bin, nil
}

// StatSources looks at every source file of the module (see Build).
func StatSources(t testing.TB) {
	t.Helper()
	if err := statSources(); err != nil {
		t.Fatal(err)
	}
}

func statSources() error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "testdata" || d.Name() == "docs") {
			return filepath.SkipDir
		}
		switch filepath.Ext(path) {
		case ".go", ".html", ".js", ".sql", ".json", ".mod", ".sum":
			_, err = os.Stat(path)
		}
		return err
	})
}

// ModuleRoot walks up from the working directory (a test's is its
// package's folder) to the folder holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("proctest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// RaceEnabled reports whether this test binary runs with the race detector.
func RaceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// Buffer collects a process's output; it is safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Reset empties the buffer.
func (l *Buffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

// Options configure a server process.
type Options struct {
	Env  map[string]string // added to this process's environment
	Args []string          // after "serve --addr A --log-format json"
	// Addr is the loopback address to listen on; empty picks a free port
	// (the base URL may then be set from the Base function below).
	Addr string
	// Base, when set, is called with the chosen address and its result
	// passed as GATEHOUSE_BASE_URL (SAML needs the base URL to name the
	// real port).
	Base func(addr string) string
	// Ready is how long to wait for /-/health; zero means 60 s.
	Ready time.Duration
}

// Server is one running "gatehouse serve".
type Server struct {
	Addr   string // host:port
	URL    string // http://host:port
	Stderr *Buffer
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// Start runs bin serve with opts and waits until /-/health answers 200. The
// test's cleanup kills it if it still runs, and prints the end of its log
// when the test failed.
func Start(t testing.TB, bin string, opts Options) *Server {
	t.Helper()
	s, err := Launch(bin, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			t.Logf("serve %s's log:\n%s", s.Addr, Tail(s.Stderr.String(), 40))
		}
	})
	return s
}

// Launch is Start without a test: it returns what went wrong, and the
// caller must stop the server.
func Launch(bin string, opts Options) (*Server, error) {
	for attempt := 1; ; attempt++ {
		addr := opts.Addr
		if addr == "" {
			var err error
			if addr, err = freeAddr(); err != nil {
				return nil, err
			}
		}
		s, err := launch(bin, addr, opts)
		if err == nil {
			return s, nil
		}
		// Another process may have taken the port meanwhile: try another.
		if opts.Addr != "" || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			return nil, err
		}
	}
}

func launch(bin, addr string, opts Options) (*Server, error) {
	args := append([]string{"serve", "--addr", addr, "--log-format", "json"}, opts.Args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	for k, v := range opts.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if opts.Base != nil {
		cmd.Env = append(cmd.Env, "GATEHOUSE_BASE_URL="+opts.Base(addr))
	}
	s := &Server{Addr: addr, URL: "http://" + addr, Stderr: &Buffer{}, cmd: cmd, exited: make(chan struct{})}
	cmd.Stderr = s.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.err = cmd.Wait(); close(s.exited) }()
	ready := opts.Ready
	if ready == 0 {
		ready = 60 * time.Second
	}
	if err := s.WaitHealthy(ready); err != nil {
		s.Kill()
		return nil, fmt.Errorf("serve on %s did not start: %v\n%s", addr, err, Tail(s.Stderr.String(), 40))
	}
	return s, nil
}

// WaitHealthy polls /-/health until it answers 200, the process exits, or d
// passes.
func (s *Server) WaitHealthy(d time.Duration) error {
	deadline := time.Now().Add(d)
	c := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("serve exited: %v", s.err)
		default:
		}
		if resp, err := c.Get(s.URL + "/-/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(25 * time.Millisecond) // polling a starting process
	}
	return fmt.Errorf("no 200 from /-/health within %s", d)
}

// PID is the process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Kill sends SIGKILL (as a crash or the OOM killer would) and waits for the
// process to end. Killing an ended process does nothing.
func (s *Server) Kill() {
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Kill()
	<-s.exited
}

// Term sends SIGTERM, as an orchestrator does, and waits up to d for the
// process to exit; it returns the process's exit error, or an error when it
// did not exit in time (the process is then killed).
func (s *Server) Term(d time.Duration) error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return s.err
	case <-time.After(d):
		s.Kill()
		return fmt.Errorf("serve did not exit within %s of SIGTERM", d)
	}
}

// Exited is closed when the process has ended.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// Run runs a command of bin (not serve) with env added and stdin, and
// returns its standard output; the error carries standard error.
func Run(bin string, env map[string]string, stdin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("gatehouse %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Tail is the last n lines of s.
func Tail(s string, n int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return strings.Join(all, "\n")
}
