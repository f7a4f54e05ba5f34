package proctest

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestStartTermKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := Build(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "gh.db")
	if _, err := Run(bin, nil, "", "migrate", "--db", db); err != nil {
		t.Fatal(err)
	}
	s := Start(t, bin, Options{Env: map[string]string{"GATEHOUSE_DB": db}})
	resp, err := http.Get(s.URL + "/-/ready")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/-/ready = %d", resp.StatusCode)
	}
	if err := s.Term(30 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}

	s = Start(t, bin, Options{Env: map[string]string{"GATEHOUSE_DB": db}})
	s.Kill()
	select {
	case <-s.Exited():
	default:
		t.Fatal("Kill returned before the process ended")
	}
	s.Kill() // killing an ended process does nothing
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "proctest", "proctest.go")); err != nil {
		t.Errorf("ModuleRoot() = %s, which does not hold this package: %v", root, err)
	}
	t.Chdir(t.TempDir())
	if _, err := ModuleRoot(); err == nil {
		t.Errorf("ModuleRoot() outside any module: no error")
	}
}
